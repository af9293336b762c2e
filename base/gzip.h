#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace kube9::base {

// Compresses `data` as a gzip member (RFC 1952), as HTTP Content-Encoding: gzip expects.
std::string GzipCompress(std::string_view data, int level = 6);

// Decompresses a gzip stream; returns false when it is malformed or would be longer than
// `max_out` (a few KiB can inflate to gigabytes).
bool GzipDecompress(std::string_view data, std::string& out,
                    std::size_t max_out = std::numeric_limits<std::size_t>::max());

}  // namespace kube9::base
