#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace kube9::base {

// RFC 3339 in UTC with milliseconds and `Z`, e.g. 2026-11-27T10:00:00.123Z.
std::string FormatRfc3339Millis(WallTime t);

// Parses RFC 3339 timestamps as Kubernetes writes them (`Z` or a numeric offset, optional
// fraction). nullopt when malformed.
// The fields are digits only, and the day must exist in its month.
std::optional<WallTime> ParseRfc3339(std::string_view text);

// Parses an HTTP Retry-After value: delay-seconds or an IMF-fixdate relative to `now`.
// Past dates give zero; absurdly large values are clamped to ten years (callers cap the wait
// further), never wrapped; nullopt when malformed.
std::optional<Millis> ParseRetryAfter(std::string_view value, WallTime now);

// The longest duration ParseDuration accepts: far beyond any setting, and short enough that a
// clock reading plus it cannot overflow.
inline constexpr Millis kMaxDuration{std::chrono::hours(24 * 365 * 100)};

// Parses a duration like "90s", "5m", "1h30m", "250ms" (a bare number is seconds). nullopt
// when malformed or longer than kMaxDuration (never a wrapped-around value).
std::optional<Millis> ParseDuration(std::string_view text);

// Renders a duration compactly, e.g. "1h30m", "45s", "250ms".
std::string FormatDuration(Millis d);

}  // namespace kube9::base
