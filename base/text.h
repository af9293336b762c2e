#pragma once

#include <cstddef>
#include <string>

namespace kube9::base {

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 character.
std::string TruncateUtf8(std::string text, std::size_t max_bytes);

}  // namespace kube9::base
