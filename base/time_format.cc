#include "base/time_format.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace kube9::base {
namespace {

// Fixed-width decimal fields: digits only (no sign, no spaces).
bool ParseDigits(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<WallTime> FromUtcFields(int year, int mon, int day, int h, int m, int s) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 0 || year > 9999 || mon < 1 || mon > 12 || day < 1 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 ||
      s > 60) {
    return {};
  }
  if (day > kDays[mon - 1] + (mon == 2 && IsLeapYear(year) ? 1 : 0)) return {};  // no February 30th
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  // WallTime counts nanoseconds in 64 bits, which ends in 2262: later dates (a credential
  // that "never" expires, 9999-12-31) are clamped rather than wrapped into the past.
  constexpr std::time_t kLatest = 9'000'000'000;  // 2255
  return std::chrono::system_clock::from_time_t(std::clamp(timegm(&tm), -kLatest, kLatest));
}

}  // namespace

std::string FormatRfc3339Millis(WallTime t) {
  const auto ms = std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::optional<WallTime> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
      text[13] != ':' || text[16] != ':') {
    return {};
  }
  int year, mon, day, h, m, s;
  if (!ParseDigits(text.substr(0, 4), year) || !ParseDigits(text.substr(5, 2), mon) ||
      !ParseDigits(text.substr(8, 2), day) || !ParseDigits(text.substr(11, 2), h) ||
      !ParseDigits(text.substr(14, 2), m) || !ParseDigits(text.substr(17, 2), s)) {
    return {};
  }
  auto base = FromUtcFields(year, mon, day, h, m, s);
  if (!base) return {};
  std::size_t pos = 19;
  Millis frac{0};
  if (pos < text.size() && text[pos] == '.') {
    std::size_t end = pos + 1;
    int digits = 0, value = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      if (digits < 3) value = value * 10 + (text[end] - '0');
      ++digits;
      ++end;
    }
    if (digits == 0) return {};
    for (int d = digits; d < 3; ++d) value *= 10;
    frac = Millis(value);
    pos = end;
  }
  std::string_view zone = text.substr(pos);
  Millis offset{0};
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!ParseDigits(zone.substr(1, 2), oh) || !ParseDigits(zone.substr(4, 2), om)) return {};
    offset = std::chrono::minutes(oh * 60 + om);
    if (zone[0] == '-') offset = -offset;
  } else {
    return {};
  }
  return *base + frac - offset;
}

std::optional<Millis> ParseRetryAfter(std::string_view value, WallTime now) {
  constexpr long long kMaxSeconds = 10LL * 365 * 24 * 3600;
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return {};
  if (value.front() >= '0' && value.front() <= '9') {
    long long secs = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ptr != value.data() + value.size()) return {};
    // Callers cap the wait; clamp first so that absurd values (even beyond 64 bits) cannot
    // overflow milliseconds.
    if (ec == std::errc::result_out_of_range) secs = kMaxSeconds;
    else if (ec != std::errc()) return {};
    return std::chrono::duration_cast<Millis>(std::chrono::seconds(std::min(secs, kMaxSeconds)));
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, read field by field
  // (sscanf's %d would take signs and numbers beyond int).
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (value.size() != 29 || value.substr(3, 2) != ", " || value[7] != ' ' || value[11] != ' ' || value[16] != ' ' ||
      value[19] != ':' || value[22] != ':' || value.substr(25) != " GMT") {
    return {};
  }
  int day, year, h, m, s;
  if (!ParseDigits(value.substr(5, 2), day) || !ParseDigits(value.substr(12, 4), year) ||
      !ParseDigits(value.substr(17, 2), h) || !ParseDigits(value.substr(20, 2), m) ||
      !ParseDigits(value.substr(23, 2), s)) {
    return {};
  }
  int mon = 0;
  for (int i = 0; i < 12; ++i) {
    if (value.substr(8, 3) == kMonths[i]) mon = i + 1;
  }
  auto at = FromUtcFields(year, mon, day, h, m, s);
  if (!at) return {};
  if (*at <= now) return Millis(0);
  return std::min(std::chrono::duration_cast<Millis>(*at - now),
                  std::chrono::duration_cast<Millis>(std::chrono::seconds(kMaxSeconds)));
}

std::optional<Millis> ParseDuration(std::string_view text) {
  if (text.empty()) return {};
  // n * unit, or nullopt when it would pass kMaxDuration (from_chars already refused what
  // does not fit 64 bits): 2562047788015216h must not wrap around into 29m52s.
  auto times = [](long long n, Millis unit) -> std::optional<Millis> {
    if (n < 0 || n > kMaxDuration.count() / unit.count()) return {};
    return unit * n;
  };
  long long bare = 0;
  auto [bp, bec] = std::from_chars(text.data(), text.data() + text.size(), bare);
  if (bec == std::errc() && bp == text.data() + text.size()) return times(bare, std::chrono::seconds(1));
  Millis total{0};
  std::size_t pos = 0;
  while (pos < text.size()) {
    long long n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0) return {};
    pos = static_cast<std::size_t>(ptr - text.data());
    std::size_t unit_end = pos;
    while (unit_end < text.size() && (text[unit_end] < '0' || text[unit_end] > '9')) ++unit_end;
    std::string_view unit = text.substr(pos, unit_end - pos);
    pos = unit_end;
    std::optional<Millis> part;
    if (unit == "ms") part = times(n, Millis(1));
    else if (unit == "s") part = times(n, std::chrono::seconds(1));
    else if (unit == "m") part = times(n, std::chrono::minutes(1));
    else if (unit == "h") part = times(n, std::chrono::hours(1));
    else return {};
    if (!part || *part > kMaxDuration - total) return {};
    total += *part;
  }
  return total;
}

std::string FormatDuration(Millis d) {
  auto ms = d.count();
  if (ms % 1000 != 0 || ms == 0) return fmt::format("{}ms", ms);
  auto s = ms / 1000;
  std::string out;
  if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
  if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

}  // namespace kube9::base
