#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"

namespace kube9::base {

// The whole content of a file. The error is the reason only ("No such file or directory",
// "Is a directory"), for the caller to say which file it wanted and why.
Expected<std::string, std::string> ReadFile(const std::string& path);

// `text` without leading and trailing whitespace: tokens and keys read from files usually end
// in a newline.
std::string TrimWhitespace(std::string_view text);

}  // namespace kube9::base
