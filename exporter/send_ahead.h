#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "collectors/ksm/text.h"

namespace kube9::exporter {

// Sends a streamed reply's text on a thread of its own while the scraping thread renders the
// next buffers. On one thread the two took turns, each about half of a plain scrape (on
// loopback the sender also does the receiver's TCP work). A TextWriter hands its full buffers
// over (BufferExchange) without a copy and gets back one the sender is done with. At most
// kDepth buffers wait, so a slow client holds the writer back as before; a waiting writer is
// woken when half of them are sent (not for every buffer), a waiting sender when one arrives.
//
// `send` runs on the sending thread (or, when no thread can be had, on the caller's), one piece
// at a time, in order. An exception out of it (the client is gone) stops the sending and drops
// what waits; the next Exchange, SendView or Finish rethrows it, once, and later calls drop
// their text, as http::BodyWriter does for a destructor flushing on the way out.
class SendAhead final : public collectors::ksm::BufferExchange {
 public:
  using Send = std::function<void(std::string_view)>;
  // Two: every buffer a scrape touches is a fresh allocation whose pages fault in (freed buffers
  // go back to the system between scrapes), and the writer renders about as fast as the sender
  // sends, so more waiting buffers only cost faults. Against 4, measured with bench/pair.py in
  // turn: the 1k-pod plain scrape 5-10 % faster and 0.3-0.6 ms less CPU, 10k the same within
  // its noise (docs/benchmarks.md).
  static constexpr std::size_t kDepth = 2;

  // Buffers of `chunk` bytes of text (TextWriter::CapacityFor(chunk) each).
  explicit SendAhead(Send send, std::size_t chunk = collectors::ksm::TextWriter::kChunk);
  // Without Finish (the writer failed), drops what waits and ends the thread.
  ~SendAhead() override;
  SendAhead(const SendAhead&) = delete;
  SendAhead& operator=(const SendAhead&) = delete;

  // Text the caller keeps alive until Finish (the aggregates' text), sent in turn.
  void SendView(std::string_view text);
  std::size_t Chunk() const override { return chunk_; }
  void Exchange(std::unique_ptr<char[]>& buffer, std::size_t size) override;
  // Waits until everything is sent, and rethrows what `send` threw.
  void Finish();

 private:
  struct Piece {
    std::string_view text;
    std::unique_ptr<char[]> buffer;  // null for SendView's text
  };
  // Queues `piece` once there is room; false when the text is to be dropped (after a failure).
  bool Push(Piece& piece);
  void SendInline(std::string_view text);
  void RethrowOnce(std::unique_lock<std::mutex>& lock);
  void Run();

  Send send_;
  const std::size_t chunk_;
  bool thrown_ = false;  // the caller has seen the failure: drop from now on
  std::mutex mu_;
  std::condition_variable room_cv_;  // the writer waits: the queue is down to half
  std::condition_variable work_cv_;  // the sender waits: something queued, or closed
  std::deque<Piece> queue_;
  std::vector<std::unique_ptr<char[]>> free_;  // buffers the sender is done with
  bool writer_waiting_ = false;
  bool sender_waiting_ = false;
  bool closed_ = false;  // nothing more comes: the sender ends once the queue is empty
  std::exception_ptr error_;
  std::thread thread_;  // not joinable: no thread could be had, `send` runs inline
};

}  // namespace kube9::exporter
