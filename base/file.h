#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace kube9::base {

enum class FileKind {
  kAny,      // whatever can be read: a regular file, /proc, a device
  kRegular,  // a regular file only (configuration a user points at)
};

// The whole content of a file. The error is the reason only ("No such file or directory",
// "Is a directory"), for the caller to say which file it wanted and why.
// With `max_bytes`, a longer file (or an endless one: a FIFO, /dev/zero) is refused after
// reading one byte more: "is larger than 1 MiB".
// With FileKind::kRegular, anything else (a directory, a FIFO, a device) is refused before a
// byte is read, "is not a regular file"; a FIFO without a writer does not block the open.
Expected<std::string, std::string> ReadFile(const std::string& path,
                                            std::size_t max_bytes = std::numeric_limits<std::size_t>::max(),
                                            FileKind kind = FileKind::kAny);

// `text` without leading and trailing whitespace: tokens and keys read from files usually end
// in a newline.
std::string TrimWhitespace(std::string_view text);

}  // namespace kube9::base
