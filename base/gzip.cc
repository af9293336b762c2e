#include "base/gzip.h"

#include <stdexcept>

#include <zlib.h>

namespace kube9::base {
namespace {
constexpr int kGzipWindowBits = 15 + 16;  // 15-bit window, gzip header and trailer
}

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

GzipWriter::GzipWriter(std::string& out, int level) : out_(out), zs_(new z_stream{}) {
  if (deflateInit2(static_cast<z_stream*>(zs_), level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    delete static_cast<z_stream*>(zs_);
    throw std::runtime_error("deflateInit2 failed");
  }
}

GzipWriter::~GzipWriter() {
  auto* zs = static_cast<z_stream*>(zs_);
  deflateEnd(zs);
  delete zs;
}

void GzipWriter::Deflate(std::string_view data, int flush) {
  auto* zs = static_cast<z_stream*>(zs_);
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs->avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  do {
    char buf[16384];
    zs->next_out = reinterpret_cast<Bytef*>(buf);
    zs->avail_out = sizeof(buf);
    rc = deflate(zs, flush);
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
    out_.append(buf, sizeof(buf) - zs->avail_out);
  } while (zs->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void GzipWriter::Write(std::string_view data) {
  if (!data.empty() && !finished_) Deflate(data, Z_NO_FLUSH);
}

void GzipWriter::Finish() {
  if (finished_) return;
  finished_ = true;
  Deflate({}, Z_FINISH);
}

bool GzipDecompress(std::string_view data, std::string& out, std::size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  out.clear();
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const std::size_t produced = sizeof(buf) - zs.avail_out;
    if (produced > max_out - out.size()) {
      rc = Z_BUF_ERROR;
      break;
    }
    out.append(buf, produced);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END;
}

}  // namespace kube9::base
