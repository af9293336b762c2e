#include "base/parallel_gzip.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <zlib.h>

#include "base/gzip.h"
#include "base/thread.h"

namespace kube9::base {
namespace {

// What a block may refer back to in the block before it. Deflate's window is 32 KiB, but
// zlib hashes every byte of a dictionary, which at 32 KiB a 128 KiB block costs a fifth more
// CPU; exposition text repeats itself within a few lines, and 8 KiB keeps the ratio of one
// stream (measured: bench/micro/gzip_bench) at a few percent of that cost.
constexpr std::size_t kDictionary = 8 * 1024;
constexpr std::size_t kSequentialPiece = 64 * 1024;  // GzipWriter's output handed on at this size

// One block: its plain text, the text before it that it may refer to (its dictionary), and what it became.
struct Block {
  std::string in;
  std::string dict;
  std::unique_ptr<char[]> out;  // not a std::string: resizing one would zero it first
  std::size_t out_capacity = 0;
  std::size_t out_size = 0;
  uLong crc = 0;
  bool last = false;
  bool done = false;  // under Impl::mu_ once handed to the workers
};

// A raw deflate stream (no zlib or gzip wrapper: the writer adds the gzip one).
class RawDeflater {
 public:
  explicit RawDeflater(int level) {
    if (deflateInit2(&zs_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~RawDeflater() { deflateEnd(&zs_); }
  RawDeflater(const RawDeflater&) = delete;
  RawDeflater& operator=(const RawDeflater&) = delete;

  // Deflates `b.in` after `b.dict`, ending on a byte boundary (sync flush) or, for the last
  // block, with the final deflate block: the blocks' outputs concatenate into one stream.
  void Compress(Block& b) {
    if (deflateReset(&zs_) != Z_OK) throw std::runtime_error("deflateReset failed");
    if (!b.dict.empty() && deflateSetDictionary(&zs_, reinterpret_cast<const Bytef*>(b.dict.data()),
                                                static_cast<uInt>(b.dict.size())) != Z_OK) {
      throw std::runtime_error("deflateSetDictionary failed");
    }
    b.crc = crc32(0, reinterpret_cast<const Bytef*>(b.in.data()), static_cast<uInt>(b.in.size()));
    // Room for what text usually becomes (a fifteenth at level 1), grown when that is short.
    if (b.out_capacity == 0) {
      b.out_capacity = b.in.size() / 8 + 4096;
      b.out.reset(new char[b.out_capacity]);
    }
    const int flush = b.last ? Z_FINISH : Z_SYNC_FLUSH;
    zs_.next_in = reinterpret_cast<Bytef*>(b.in.data());
    zs_.avail_in = static_cast<uInt>(b.in.size());
    b.out_size = 0;
    while (true) {
      if (b.out_size == b.out_capacity) {
        const std::size_t capacity = b.out_capacity * 2;
        std::unique_ptr<char[]> grown(new char[capacity]);
        std::copy_n(b.out.get(), b.out_size, grown.get());
        b.out = std::move(grown);
        b.out_capacity = capacity;
      }
      zs_.next_out = reinterpret_cast<Bytef*>(b.out.get() + b.out_size);
      zs_.avail_out = static_cast<uInt>(b.out_capacity - b.out_size);
      const int rc = deflate(&zs_, flush);
      b.out_size = b.out_capacity - zs_.avail_out;
      if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
      if (flush == Z_FINISH ? rc == Z_STREAM_END : zs_.avail_in == 0 && zs_.avail_out != 0) break;
    }
  }

 private:
  z_stream zs_{};
};

void PutLittleEndian32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

class ParallelGzipWriter::Impl {
 public:
  Impl(Sink sink, Options options) : sink_(std::move(sink)), o_(options) {
    o_.block_size = std::clamp<std::size_t>(o_.block_size, kDictionary, std::size_t{64} << 20);
    if (o_.threads <= 1) {
      sequential_.emplace(sequential_out_, o_.level);
      sequential_out_.reserve(kSequentialPiece + 16 * 1024);
    }
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();  // each ends after the block at hand
  }

  void Write(std::string_view data) {
    if (finished_ || broken_) return;
    if (sequential_) {
      sequential_->Write(data);
      if (sequential_out_.size() >= kSequentialPiece) {
        ToSink(sequential_out_);
        sequential_out_.clear();
      }
      return;
    }
    while (!data.empty()) {
      if (!current_) {
        current_ = NewBlock();
      } else if (current_->in.size() == o_.block_size) {
        Submit(false);  // full, and more follows: the last block is the one Finish submits
      }
      const std::size_t take = std::min(o_.block_size - current_->in.size(), data.size());
      current_->in.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  }

  void Finish() {
    if (finished_ || broken_) return;
    finished_ = true;
    if (sequential_) {
      sequential_->Finish();
      ToSink(sequential_out_);
      sequential_out_.clear();
      return;
    }
    if (!current_) current_ = NewBlock();
    Submit(true);
    while (!in_flight_.empty()) EmitOldest();
  }

 private:
  std::unique_ptr<Block> NewBlock() {
    if (free_.empty()) {
      // Allocated here rather than on a worker, so that the memory comes from (and returns to)
      // the scraping thread's malloc arena, not one per short-lived worker.
      auto b = std::make_unique<Block>();
      b->in.reserve(o_.block_size);
      b->out_capacity = o_.block_size / 8 + 4096;
      b->out.reset(new char[b->out_capacity]);
      return b;
    }
    auto b = std::move(free_.back());
    free_.pop_back();
    b->in.clear();
    b->dict.clear();
    b->last = b->done = false;
    return b;
  }

  // Hands the current block on: to the workers, started with the second block; or, for a body
  // of one block (or when no thread could start), compressed here.
  void Submit(bool last) {
    std::unique_ptr<Block> b = std::move(current_);
    b->last = last;
    if (!last) {
      current_ = NewBlock();
      const std::size_t tail = std::min(kDictionary, b->in.size());
      current_->dict.assign(b->in, b->in.size() - tail, tail);
      if (workers_.empty() && !workers_failed_) StartWorkers();
    }
    if (workers_.empty()) {
      if (!inline_deflater_) inline_deflater_.emplace(o_.level);
      inline_deflater_->Compress(*b);
      b->done = true;
      in_flight_.push_back(std::move(b));
      EmitOldest();
      return;
    }
    // A few blocks in flight, enough to keep every worker busy: beyond that the text waits
    // for the sink (and the client behind it).
    while (in_flight_.size() >= 2 * workers_.size()) EmitOldest();
    {
      std::lock_guard lock(mu_);
      todo_.push_back(b.get());
    }
    work_cv_.notify_one();
    in_flight_.push_back(std::move(b));
    // What is already compressed leaves now rather than when the window is full.
    while (!in_flight_.empty() && Done(*in_flight_.front())) EmitOldest();
  }

  void StartWorkers() {
    try {
      for (int i = 0; i < o_.threads; ++i) {
        deflaters_.push_back(std::make_unique<RawDeflater>(o_.level));  // as the blocks: this thread's arena
        RawDeflater* deflater = deflaters_.back().get();
        workers_.push_back(StartThread(
            "gzip-" + std::to_string(i + 1), [this, deflater] { Work(*deflater); }, LogOnlyThreadFailures()));
      }
    } catch (const std::system_error&) {  // no thread to be had: the ones started, or this one
      workers_failed_ = true;
    }
  }

  // Once the sink has thrown (the client is gone) or a worker failed, the stream is over:
  // later calls, as from a destructor flushing on the way out, return at once.
  void ToSink(std::string_view piece) {
    try {
      sink_(piece);
    } catch (...) {
      broken_ = true;
      throw;
    }
  }

  void Rethrow() {
    broken_ = true;
    std::rethrow_exception(error_);
  }

  bool Done(const Block& b) {
    std::lock_guard lock(mu_);
    if (error_) Rethrow();
    return b.done;
  }

  // Waits for the oldest block, then hands it to the sink (with the header before the first
  // and the trailer after the last).
  void EmitOldest() {
    Block& b = *in_flight_.front();
    {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return b.done || error_; });
      if (error_) Rethrow();
    }
    std::unique_ptr<Block> owned = std::move(in_flight_.front());
    in_flight_.pop_front();
    crc_ = crc32_combine(crc_, b.crc, static_cast<z_off_t>(b.in.size()));
    length_ += b.in.size();
    std::string_view body(b.out.get(), b.out_size);
    if (!header_sent_ || b.last) {  // a small copy, to hand the sink one piece
      piece_.clear();
      if (!header_sent_) {
        // Magic, deflate, no flags, no time, XFL ("fastest" 4, "best" 2) as zlib writes it, Unix.
        const char xfl = o_.level == 1 ? 4 : o_.level == 9 ? 2 : 0;
        const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, xfl, 3};
        piece_.append(header, sizeof(header));
        header_sent_ = true;
      }
      piece_.append(body);
      if (b.last) {
        PutLittleEndian32(piece_, static_cast<std::uint32_t>(crc_));
        PutLittleEndian32(piece_, static_cast<std::uint32_t>(length_));  // ISIZE: the length mod 2^32
      }
      body = piece_;
    }
    if (!body.empty()) ToSink(body);
    free_.push_back(std::move(owned));
  }

  void Work(RawDeflater& deflater) {
    std::unique_lock lock(mu_);
    while (true) {
      work_cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
      if (stop_) return;
      Block* b = todo_.front();
      todo_.pop_front();
      lock.unlock();
      std::exception_ptr error;
      try {
        deflater.Compress(*b);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      b->done = true;
      if (error && !error_) error_ = error;
      done_cv_.notify_one();
    }
  }

  Sink sink_;
  Options o_;
  bool finished_ = false;
  bool broken_ = false;
  // threads <= 1
  std::optional<GzipWriter> sequential_;
  std::string sequential_out_;
  // threads > 1; all but the shared part below are the calling thread's
  std::unique_ptr<Block> current_;
  std::deque<std::unique_ptr<Block>> in_flight_;  // in stream order
  std::vector<std::unique_ptr<Block>> free_;
  std::optional<RawDeflater> inline_deflater_;
  std::vector<std::unique_ptr<RawDeflater>> deflaters_;  // one a worker
  std::vector<std::thread> workers_;
  bool workers_failed_ = false;
  bool header_sent_ = false;
  uLong crc_ = crc32(0, nullptr, 0);
  std::uint64_t length_ = 0;
  std::string piece_;
  // Shared with the workers.
  std::mutex mu_;
  std::condition_variable work_cv_;  // todo_ or stop_
  std::condition_variable done_cv_;  // a block done, or error_
  std::deque<Block*> todo_;          // blocks in in_flight_ no worker has taken
  bool stop_ = false;
  std::exception_ptr error_;
};

int ParallelGzipWriter::DefaultThreads() {
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
}

ParallelGzipWriter::ParallelGzipWriter(Sink sink, Options options)
    : impl_(std::make_unique<Impl>(std::move(sink), options)) {}
ParallelGzipWriter::~ParallelGzipWriter() = default;
void ParallelGzipWriter::Write(std::string_view data) { impl_->Write(data); }
void ParallelGzipWriter::Finish() { impl_->Finish(); }

}  // namespace kube9::base
