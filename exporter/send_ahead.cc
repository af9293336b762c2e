#include "exporter/send_ahead.h"

#include <system_error>
#include <utility>

#include "base/thread.h"

namespace kube9::exporter {

using collectors::ksm::TextWriter;

SendAhead::SendAhead(Send send, std::size_t chunk) : send_(std::move(send)), chunk_(chunk) {
  try {
    thread_ = base::StartThread("send-ahead", [this] { Run(); }, base::LogOnlyThreadFailures());
  } catch (const std::system_error&) {  // no thread to be had: sent on the caller's thread
  }
}

SendAhead::~SendAhead() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();  // unsent: the writer failed, or the client is gone
  }
  work_cv_.notify_one();
  thread_.join();
}

void SendAhead::SendView(std::string_view text) {
  if (text.empty()) return;
  Piece piece{text, nullptr};
  Push(piece);
}

void SendAhead::Exchange(std::unique_ptr<char[]>& buffer, std::size_t size) {
  Piece piece{std::string_view(buffer.get(), size), nullptr};
  if (!thread_.joinable()) {
    SendInline(piece.text);
    return;
  }
  std::unique_ptr<char[]> next;
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      next = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (next == nullptr) next.reset(new char[TextWriter::CapacityFor(chunk_)]);  // kDepth + 2 at most
  piece.buffer = std::move(buffer);
  buffer = std::move(next);
  if (!Push(piece)) buffer = std::move(piece.buffer);  // dropped: the writer keeps its own
}

void SendAhead::Finish() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  work_cv_.notify_one();
  thread_.join();  // the sender ends once everything is sent, or at a failure
  std::unique_lock lock(mu_);
  RethrowOnce(lock);
}

bool SendAhead::Push(Piece& piece) {
  if (!thread_.joinable()) {
    SendInline(piece.text);
    return true;
  }
  std::unique_lock lock(mu_);
  if (queue_.size() >= kDepth) {
    writer_waiting_ = true;
    room_cv_.wait(lock, [&] { return queue_.size() <= kDepth / 2 || error_; });
    writer_waiting_ = false;
  }
  RethrowOnce(lock);
  if (thrown_ || closed_) return false;
  queue_.push_back(std::move(piece));
  const bool wake = sender_waiting_;
  lock.unlock();
  if (wake) work_cv_.notify_one();  // unlocked: the sender wakes to a free mutex
  return true;
}

void SendAhead::SendInline(std::string_view text) {
  if (thrown_) return;
  try {
    send_(text);
  } catch (...) {
    thrown_ = true;
    throw;
  }
}

void SendAhead::RethrowOnce(std::unique_lock<std::mutex>& lock) {
  if (!error_ || thrown_) return;
  thrown_ = true;
  std::exception_ptr error = error_;
  lock.unlock();
  std::rethrow_exception(error);
}

void SendAhead::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    if (queue_.empty()) {
      if (closed_) break;
      sender_waiting_ = true;
      work_cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
      sender_waiting_ = false;
      continue;
    }
    Piece piece = std::move(queue_.front());
    queue_.pop_front();
    const bool wake_writer = writer_waiting_ && (queue_.size() <= kDepth / 2);
    lock.unlock();
    if (wake_writer) room_cv_.notify_one();
    std::exception_ptr error;
    try {
      send_(piece.text);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (piece.buffer != nullptr) free_.push_back(std::move(piece.buffer));
    if (error) {
      error_ = error;
      queue_.clear();
      break;
    }
  }
  // The writer may wait for room.
  lock.unlock();
  room_cv_.notify_one();
}

}  // namespace kube9::exporter
