#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace kube9::base {

// The whole content of a file. The error is the reason only ("No such file or directory",
// "Is a directory"), for the caller to say which file it wanted and why.
// With `max_bytes`, a longer file (or an endless one: a FIFO, /dev/zero) is refused after
// reading one byte more: "is larger than 1 MiB".
Expected<std::string, std::string> ReadFile(const std::string& path,
                                            std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

// `text` without leading and trailing whitespace: tokens and keys read from files usually end
// in a newline.
std::string TrimWhitespace(std::string_view text);

}  // namespace kube9::base
