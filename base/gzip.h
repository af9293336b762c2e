#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace kube9::base {

// Compresses `data` as a gzip member (RFC 1952), as HTTP Content-Encoding: gzip expects.
std::string GzipCompress(std::string_view data, int level = 6);

// Compresses a gzip member piece by piece into `out`, so that the plain text never exists whole
// (a scrape of per-object families can be tens of MiB before compression). Finish() ends the
// member; the destructor releases zlib's state.
class GzipWriter {
 public:
  GzipWriter(std::string& out, int level = 1);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;
  void Write(std::string_view data);
  void Finish();

 private:
  void Deflate(std::string_view data, int flush);
  std::string& out_;
  void* zs_;  // z_stream, kept out of this header
  bool finished_ = false;
};

// Decompresses a gzip stream; returns false when it is malformed or would be longer than
// `max_out` (a few KiB can inflate to gigabytes).
bool GzipDecompress(std::string_view data, std::string& out,
                    std::size_t max_out = std::numeric_limits<std::size_t>::max());

}  // namespace kube9::base
