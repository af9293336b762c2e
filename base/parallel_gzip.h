#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kube9::base {

// Compresses a gzip member piece by piece, as GzipWriter does, but spreads the deflating over
// worker threads the way pigz does: the text is cut into blocks, each deflated on its own with
// the previous block's last 32 KiB as its dictionary (so the ratio stays that of one stream)
// and ended on a byte boundary (a sync flush), and the blocks leave in order behind one gzip
// header, followed by the CRC-32 combined from the blocks' and the length. The result is one
// ordinary gzip member that any decompressor reads.
//
// Compressed bytes go to `sink` on the calling thread only, from Write and Finish, in pieces
// of about a block's compressed size. At most a few blocks are in flight: when the sink is
// slow (the client reads slowly), Write waits for it, and the workers soon stop for want of
// blocks. An exception out of the sink (the client is gone) leaves Write or Finish; the
// destructor then stops the workers, which end after the block at hand, and joins them.
//
// The workers start with the second block and end with the writer (a scrape's lifetime):
// nothing idles between scrapes, and a body of one block is compressed on the calling thread
// without any.
class ParallelGzipWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  struct Options {
    int level = 1;
    // Compressing threads; 1 compresses on the calling thread (GzipWriter, no workers).
    int threads = DefaultThreads();
    // Plain bytes per block: large enough that the per-block cost (a sync marker, the
    // dictionary's hashing) is small, small enough that a few in flight cost little memory.
    std::size_t block_size = 128 * 1024;
  };
  // min(2, hardware threads): the compressing threads a scrape may use.
  static int DefaultThreads();

  ParallelGzipWriter(Sink sink, Options options);
  explicit ParallelGzipWriter(Sink sink) : ParallelGzipWriter(std::move(sink), Options{}) {}
  ~ParallelGzipWriter();
  ParallelGzipWriter(const ParallelGzipWriter&) = delete;
  ParallelGzipWriter& operator=(const ParallelGzipWriter&) = delete;

  void Write(std::string_view data);
  // Ends the member and hands the rest to the sink; later calls do nothing.
  void Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kube9::base
