#pragma once

#include <string>
#include <string_view>

namespace kube9::base {

// Compresses `data` as a gzip member (RFC 1952), as HTTP Content-Encoding: gzip expects.
std::string GzipCompress(std::string_view data, int level = 6);

// Decompresses a gzip stream; returns false when it is malformed.
bool GzipDecompress(std::string_view data, std::string& out);

}  // namespace kube9::base
