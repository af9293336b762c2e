#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kube9::base {

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 character.
std::string TruncateUtf8(std::string text, std::size_t max_bytes);

// `text` as well-formed UTF-8: every byte that does not start a valid sequence (a stray
// continuation byte, a truncated or overlong sequence, a UTF-16 surrogate, a code point past
// U+10FFFF) becomes U+FFFD. JSON must be UTF-8, and RapidJSON 1.1 decodes a lone "\udc00" escape
// into a surrogate, so text from outside is passed through this before it is written out again.
std::string SanitizeUtf8(std::string_view text);

// The non-empty items of a comma-separated list ("a,,b" gives a and b), as flags take them.
std::vector<std::string> SplitList(std::string_view list);

}  // namespace kube9::base
