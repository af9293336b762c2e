#include "collectors/ksm/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>

#include "base/file.h"

namespace kube9::collectors::ksm::cron {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = FloorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

bool IsLeap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }
int DaysIn(int m, std::int64_t y) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// --- POSIX TZ rules (the footer of a TZif file), as Go's time package reads them ---

struct Rule {
  enum Kind { kJulian, kDayOfYear, kMonthWeekDay } kind = kMonthWeekDay;
  int day = 0, week = 0, mon = 0;
  std::int64_t time = 7200;  // seconds after local midnight
};

struct Posix {
  std::int32_t std_offset = 0, dst_offset = 0;
  bool has_dst = false;
  Rule start, end;
};

bool ParseName(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    auto close = s.find('>');
    if (close == std::string_view::npos) return false;
    s.remove_prefix(close + 1);
    return true;
  }
  std::size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])) != 0) ++i;
  if (i < 3) return false;
  s.remove_prefix(i);
  return true;
}

bool ParseNumber(std::string_view& s, int min, int max, int& out) {
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
  if (i == 0) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, out);
  if (ec != std::errc() || out < min || out > max) return false;
  s.remove_prefix(i);
  return true;
}

// [+-]hh[:mm[:ss]], as seconds.
bool ParseOffset(std::string_view& s, std::int64_t& out) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int h = 0, m = 0, sec = 0;
  if (!ParseNumber(s, 0, 24 * 7, h)) return false;
  if (!s.empty() && s[0] == ':') {
    s.remove_prefix(1);
    if (!ParseNumber(s, 0, 59, m)) return false;
    if (!s.empty() && s[0] == ':') {
      s.remove_prefix(1);
      if (!ParseNumber(s, 0, 59, sec)) return false;
    }
  }
  out = sign * (static_cast<std::int64_t>(h) * 3600 + m * 60 + sec);
  return true;
}

bool ParseRule(std::string_view& s, Rule& r) {
  if (s.empty()) return false;
  if (s[0] == 'J') {
    s.remove_prefix(1);
    r.kind = Rule::kJulian;
    if (!ParseNumber(s, 1, 365, r.day)) return false;
  } else if (s[0] == 'M') {
    s.remove_prefix(1);
    r.kind = Rule::kMonthWeekDay;
    if (!ParseNumber(s, 1, 12, r.mon) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!ParseNumber(s, 1, 5, r.week) || s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    if (!ParseNumber(s, 0, 6, r.day)) return false;
  } else {
    r.kind = Rule::kDayOfYear;
    if (!ParseNumber(s, 0, 365, r.day)) return false;
  }
  r.time = 7200;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!ParseOffset(s, r.time)) return false;
  }
  return true;
}

std::optional<Posix> ParsePosix(std::string_view s) {
  Posix p;
  std::int64_t off = 0;
  if (!ParseName(s) || !ParseOffset(s, off)) return std::nullopt;
  p.std_offset = static_cast<std::int32_t>(-off);
  if (s.empty()) return p;
  if (!ParseName(s)) return std::nullopt;
  p.has_dst = true;
  p.dst_offset = p.std_offset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!ParseOffset(s, off)) return std::nullopt;
    p.dst_offset = static_cast<std::int32_t>(-off);
  }
  if (s.empty()) {  // Go's default: the US rules
    p.start = {Rule::kMonthWeekDay, 0, 2, 3, 7200};
    p.end = {Rule::kMonthWeekDay, 0, 1, 11, 7200};
    return p;
  }
  if (s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!ParseRule(s, p.start) || s.empty() || s[0] != ',') return std::nullopt;
  s.remove_prefix(1);
  if (!ParseRule(s, p.end) || !s.empty()) return std::nullopt;
  return p;
}

// The Unix time a rule falls on in `year`, for a zone `offset` east of UTC before it.
std::int64_t RuleTime(std::int64_t year, const Rule& r, std::int32_t offset) {
  std::int64_t d = 0;
  switch (r.kind) {
    case Rule::kJulian:
      d = r.day - 1;
      if (IsLeap(year) && r.day >= 60) ++d;
      break;
    case Rule::kDayOfYear: d = r.day; break;
    case Rule::kMonthWeekDay: {
      const std::int64_t first = DaysFromCivil(year, r.mon, 1);
      const int dow = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
      int day = r.day - dow;
      if (day < 0) day += 7;
      for (int i = 1; i < r.week; ++i) {
        if (day + 7 >= DaysIn(r.mon, year)) break;
        day += 7;
      }
      d = first - DaysFromCivil(year, 1, 1) + day;
      break;
    }
  }
  return (DaysFromCivil(year, 1, 1) + d) * kDay + r.time - offset;
}

constexpr std::int64_t kLastRuleYear = 2200;

// Appends the transitions `p` makes after `after` (through kLastRuleYear).
void ExpandRule(const Posix& p, std::int64_t after, std::vector<std::int64_t>& at, std::vector<std::int32_t>& offsets) {
  if (!p.has_dst) {
    if (offsets.back() != p.std_offset) {
      at.push_back(after);
      offsets.push_back(p.std_offset);
    }
    return;
  }
  std::int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(FloorDiv(std::max<std::int64_t>(after, -kDay * 366 * 400), kDay), y, m, d);
  std::vector<std::pair<std::int64_t, std::int32_t>> changes;
  for (std::int64_t year = y; year <= kLastRuleYear; ++year) {
    changes.emplace_back(RuleTime(year, p.start, p.std_offset), p.dst_offset);
    changes.emplace_back(RuleTime(year, p.end, p.dst_offset), p.std_offset);
  }
  std::sort(changes.begin(), changes.end());
  for (const auto& [when, offset] : changes) {
    if (when <= after && !at.empty()) continue;
    if (when <= after) {
      offsets.back() = offset;
      continue;
    }
    at.push_back(when);
    offsets.push_back(offset);
  }
}

std::uint32_t Be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::int64_t Be64(const unsigned char* p) {
  return static_cast<std::int64_t>((std::uint64_t{Be32(p)} << 32) | Be32(p + 4));
}

}  // namespace

std::shared_ptr<const Zone> Zone::Utc() {
  static const std::shared_ptr<const Zone> utc = [] {
    auto z = std::make_shared<Zone>();
    z->offsets_ = {0};
    return z;
  }();
  return utc;
}

std::shared_ptr<const Zone> Zone::FromRule(std::string_view rule) {
  auto p = ParsePosix(rule);
  if (!p) return nullptr;
  auto z = std::make_shared<Zone>();
  z->offsets_ = {p->std_offset};
  ExpandRule(*p, kMin, z->at_, z->offsets_);
  return z;
}

std::shared_ptr<const Zone> Zone::FromTzif(std::string_view data) {
  const auto* b = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t size = data.size();
  if (size < 44 || data.substr(0, 4) != "TZif") return nullptr;
  const bool v2 = b[4] >= '2';
  auto counts = [&](std::size_t at, std::array<std::uint32_t, 6>& c) {
    for (std::size_t i = 0; i < 6; ++i) c[i] = Be32(b + at + 20 + 4 * i);
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  std::array<std::uint32_t, 6> c{};
  counts(0, c);
  std::size_t header = 0, time_size = 4;
  auto block = [&](std::size_t ts) {
    return std::size_t{c[3]} * (ts + 1) + std::size_t{c[4]} * 6 + c[5] + std::size_t{c[2]} * (ts + 4) + c[1] + c[0];
  };
  if (v2) {
    header = 44 + block(4);
    if (size < header + 44 || data.substr(header, 4) != "TZif") return nullptr;
    counts(header, c);
    time_size = 8;
  }
  const std::size_t body = header + 44;
  if (size < body + block(time_size) || c[4] == 0) return nullptr;
  const unsigned char* times = b + body;
  const unsigned char* idx = times + std::size_t{c[3]} * time_size;
  const unsigned char* types = idx + c[3];
  struct Type {
    std::int32_t offset;
    bool dst;
  };
  std::vector<Type> ttypes;
  for (std::uint32_t i = 0; i < c[4]; ++i) {
    ttypes.push_back({static_cast<std::int32_t>(Be32(types + 6 * i)), types[6 * i + 4] != 0});
  }
  auto z = std::make_shared<Zone>();
  // Before the first transition: Go's lookupFirstZone.
  std::size_t first = 0;
  bool used = false;
  for (std::uint32_t i = 0; i < c[3]; ++i) used = used || idx[i] == 0;
  if (used) {
    if (c[3] > 0 && idx[0] < ttypes.size() && ttypes[idx[0]].dst) {
      for (int zi = static_cast<int>(idx[0]) - 1; zi >= 0; --zi) {
        if (!ttypes[static_cast<std::size_t>(zi)].dst) {
          first = static_cast<std::size_t>(zi);
          break;
        }
      }
    } else {
      for (std::size_t zi = 0; zi < ttypes.size(); ++zi) {
        if (!ttypes[zi].dst) {
          first = zi;
          break;
        }
      }
    }
  }
  z->offsets_ = {ttypes[first].offset};
  for (std::uint32_t i = 0; i < c[3]; ++i) {
    if (idx[i] >= ttypes.size()) return nullptr;
    z->at_.push_back(time_size == 8 ? Be64(times + 8 * i) : static_cast<std::int32_t>(Be32(times + 4 * i)));
    z->offsets_.push_back(ttypes[idx[i]].offset);
  }
  if (v2) {
    std::string_view footer = data.substr(body + block(time_size));
    if (footer.size() >= 2 && footer[0] == '\n') {
      footer.remove_prefix(1);
      footer = footer.substr(0, footer.find('\n'));
      if (auto p = ParsePosix(footer); p && !footer.empty()) {
        ExpandRule(*p, z->at_.empty() ? kMin : z->at_.back(), z->at_, z->offsets_);
      }
    }
  }
  return z;
}

Zone::Period Zone::Lookup(std::int64_t unix) const {
  const std::size_t i = static_cast<std::size_t>(std::upper_bound(at_.begin(), at_.end(), unix) - at_.begin());
  return {offsets_[i], i > 0 ? at_[i - 1] : kMin, i < at_.size() ? at_[i] : kMax};
}

namespace {

// A TZif file is a few KiB; a directory ("America") or anything else is not a zone.
constexpr std::size_t kMaxZoneFileBytes = 1 << 20;

std::shared_ptr<const Zone> LoadFile(const std::string& path) {
  auto data = base::ReadFile(path, kMaxZoneFileBytes, base::FileKind::kRegular);
  return data.ok() ? Zone::FromTzif(*data) : nullptr;
}

std::shared_ptr<const Zone> LoadNamed(std::string_view name) {
  if (name.find("..") != std::string_view::npos || name.starts_with('/') || name.starts_with('\\')) return nullptr;
  const char* env = std::getenv("ZONEINFO");
  for (std::string dir : {std::string(env != nullptr ? env : ""), std::string("/usr/share/zoneinfo"),
                          std::string("/usr/share/lib/zoneinfo"), std::string("/usr/lib/locale/TZ"),
                          std::string("/etc/zoneinfo")}) {
    if (dir.empty()) continue;
    if (auto z = LoadFile(dir + "/" + std::string(name))) return z;
  }
  return nullptr;
}

}  // namespace

std::shared_ptr<const Zone> LocalZone() {
  static const std::shared_ptr<const Zone> local = []() -> std::shared_ptr<const Zone> {
    const char* tz = std::getenv("TZ");
    if (tz == nullptr) {
      auto z = LoadFile("/etc/localtime");
      return z ? z : Zone::Utc();
    }
    std::string_view name(tz);
    if (name.starts_with(':')) name.remove_prefix(1);
    if (name.empty() || name == "UTC") return Zone::Utc();
    if (name.starts_with('/')) {
      auto z = LoadFile(std::string(name));
      return z ? z : Zone::Utc();
    }
    auto z = LoadNamed(name);
    return z ? z : Zone::Utc();
  }();
  return local;
}

std::shared_ptr<const Zone> LoadZone(std::string_view name) {
  if (name.empty() || name == "UTC") return Zone::Utc();
  if (name == "Local") return LocalZone();
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> loaded;  // failures too (nullptr)
  std::lock_guard lock(mu);
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(std::string(name), LoadNamed(name)).first;
  return it->second;
}

// --- the schedule ---

namespace {

struct Bounds {
  unsigned min, max;
  const std::array<std::string_view, 12>* names;  // names[i] is min + i; nullptr: numbers only
};
constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr Bounds kMinutes{0, 59, nullptr}, kHours{0, 23, nullptr}, kDom{1, 31, nullptr}, kMonth{1, 12, &kMonths},
    kDow{0, 7, &kDays};

// Go's strconv.Atoi, then "negative numbers not allowed".
std::optional<unsigned> ParseUint(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(ch - '0');
  }
  if (v > std::numeric_limits<unsigned>::max()) return std::nullopt;
  return static_cast<unsigned>(v);
}

std::optional<unsigned> IntOrName(std::string_view s, const Bounds& r) {
  if (r.names != nullptr) {
    std::string lower(s);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (std::size_t i = 0; i < r.names->size(); ++i) {
      if (!(*r.names)[i].empty() && (*r.names)[i] == lower) return r.min + static_cast<unsigned>(i);
    }
  }
  return ParseUint(s);
}

std::vector<std::string_view> Split(std::string_view s, char sep, bool drop_empty) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = s.find(sep, pos);
    std::string_view part = s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (!(drop_empty && part.empty())) out.push_back(part);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

// go-cron's getRange: number | name | "*" | "?", an optional "-" end, an optional "/" step.
std::optional<std::uint64_t> Range(std::string_view expr, const Bounds& r) {
  if (expr.starts_with('H')) return std::nullopt;  // hash expressions: not in the standard parser
  const auto range_step = Split(expr, '/', false);
  const auto low_high = Split(range_step[0], '-', false);
  unsigned start = 0, end = 0;
  if (low_high[0] == "*" || low_high[0] == "?") {
    start = r.min;
    end = r.max;
  } else {
    auto s = IntOrName(low_high[0], r);
    if (!s) return std::nullopt;
    start = end = *s;
    if (low_high.size() == 2) {
      auto e = IntOrName(low_high[1], r);
      if (!e) return std::nullopt;
      end = *e;
    } else if (low_high.size() > 2) {
      return std::nullopt;
    }
  }
  unsigned step = 1;
  if (range_step.size() == 2) {
    auto s = ParseUint(range_step[1]);
    if (!s) return std::nullopt;
    step = *s;
    if (low_high.size() == 1 && low_high[0] != "*" && low_high[0] != "?") end = r.max;
  } else if (range_step.size() > 2) {
    return std::nullopt;
  }
  if (start < r.min || end > r.max || step == 0) return std::nullopt;
  const unsigned size = start > end ? (r.max - start + 1) + (end - r.min + 1) : end - start + 1;
  if (step > 1 && step >= size) return std::nullopt;
  std::uint64_t bits = 0;
  if (start > end) {  // wraps around: 22-2 is 22, 23, 0, 1, 2
    const unsigned n = r.max - r.min + 1;
    for (unsigned i = start; i <= end + n; i += step) bits |= std::uint64_t{1} << (i > r.max ? (i - r.min) % n + r.min : i);
  } else {
    for (unsigned i = start; i <= end; i += step) bits |= std::uint64_t{1} << i;
  }
  return bits;
}

std::optional<std::uint64_t> Field(std::string_view field, const Bounds& r) {
  std::uint64_t bits = 0;
  for (std::string_view expr : Split(field, ',', true)) {
    auto b = Range(expr, r);
    if (!b) return std::nullopt;
    bits |= *b;
  }
  return bits;
}

// Go's time.ParseDuration, in whole seconds (sub-second parts truncated); nullopt when invalid.
std::optional<long double> ParseDurationSeconds(std::string_view s) {
  long double sign = 1;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    long double v = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      v = v * 10 + (s[i++] - '0');
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
        v += (s[i++] - '0') * scale;
        scale /= 10;
        digits = true;
      }
    }
    if (!digits) return std::nullopt;
    std::size_t u = i;
    while (u < s.size() && s[u] != '.' && std::isdigit(static_cast<unsigned char>(s[u])) == 0) ++u;
    const std::string_view unit = s.substr(i, u - i);
    long double mult = 0;
    if (unit == "ns") mult = 1e-9L;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") mult = 1e-6L;
    else if (unit == "ms") mult = 1e-3L;
    else if (unit == "s") mult = 1;
    else if (unit == "m") mult = 60;
    else if (unit == "h") mult = 3600;
    else return std::nullopt;
    total += v * mult;
    s.remove_prefix(u);
  }
  if (total > 9223372036.854775807L) return std::nullopt;  // beyond Go's int64 nanoseconds
  return sign * total;
}

bool ValidZoneName(std::string_view tz) {
  if (tz.empty() || tz.size() > 64) return false;
  return std::all_of(tz.begin(), tz.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '/' || ch == '_' || ch == '-' || ch == '+' ||
           ch == ':';
  });
}

// Local calendar fields of a Unix time in a zone.
struct Local {
  std::int64_t year;
  int month, day, hour, minute, second, weekday;
};
Local ToLocal(const Zone& z, std::int64_t unix) {
  const std::int64_t s = unix + z.Lookup(unix).offset;
  const std::int64_t days = FloorDiv(s, kDay);
  const std::int64_t rem = s - days * kDay;
  Local l{};
  CivilFromDays(days, l.year, l.month, l.day);
  l.hour = static_cast<int>(rem / 3600);
  l.minute = static_cast<int>(rem / 60 % 60);
  l.second = static_cast<int>(rem % 60);
  l.weekday = static_cast<int>(((days + 4) % 7 + 7) % 7);
  return l;
}

// Go's time.Date in a zone, out-of-range fields normalized, a time in a DST gap or overlap
// resolved as Go resolves it.
std::int64_t Date(const Zone& z, std::int64_t year, std::int64_t month, std::int64_t day, std::int64_t hour,
                  std::int64_t minute, std::int64_t second) {
  std::int64_t m0 = month - 1;
  year += FloorDiv(m0, 12);
  m0 -= FloorDiv(m0, 12) * 12;
  std::int64_t unix = (DaysFromCivil(year, static_cast<int>(m0 + 1), 1) + day - 1) * kDay + hour * 3600 +
                      minute * 60 + second;
  const Zone::Period p = z.Lookup(unix);
  std::int32_t offset = p.offset;
  if (offset != 0) {
    const std::int64_t utc = unix - offset;
    if (utc < p.start || utc >= p.end) offset = z.Lookup(utc).offset;
    unix -= offset;
  }
  return unix;
}

bool Has(std::uint64_t bits, int v) { return ((bits >> v) & 1) != 0; }

}  // namespace

std::optional<Schedule> Schedule::Parse(std::string_view spec) {
  if (spec.empty() || spec.size() > 1024) return std::nullopt;
  Schedule s;
  s.zone_ = LocalZone();
  if (spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
    const std::size_t space = spec.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::string_view tz = spec.substr(spec.find('=') + 1, space - spec.find('=') - 1);
    if (tz.size() >= 2 && ((tz.front() == '"' && tz.back() == '"') || (tz.front() == '\'' && tz.back() == '\''))) {
      tz = tz.substr(1, tz.size() - 2);
    }
    if (!ValidZoneName(tz)) return std::nullopt;
    s.zone_ = LoadZone(tz);
    if (s.zone_ == nullptr) return std::nullopt;
    spec.remove_prefix(space);
    while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.front())) != 0) spec.remove_prefix(1);
    while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.back())) != 0) spec.remove_suffix(1);
    if (spec.empty()) return std::nullopt;
  }
  if (spec.starts_with('@')) {
    if (spec == "@yearly" || spec == "@annually") {
      s.minute_ = 1, s.hour_ = 1, s.dom_ = 1 << 1, s.month_ = 1 << 1, s.dow_ = 0x7f;
    } else if (spec == "@monthly") {
      s.minute_ = 1, s.hour_ = 1, s.dom_ = 1 << 1, s.month_ = 0x1ffe, s.dow_ = 0x7f;
    } else if (spec == "@weekly") {
      s.minute_ = 1, s.hour_ = 1, s.dom_ = 0xfffffffe, s.month_ = 0x1ffe, s.dow_ = 1;
    } else if (spec == "@daily" || spec == "@midnight") {
      s.minute_ = 1, s.hour_ = 1, s.dom_ = 0xfffffffe, s.month_ = 0x1ffe, s.dow_ = 0x7f;
    } else if (spec == "@hourly") {
      s.minute_ = 1, s.hour_ = 0xffffff, s.dom_ = 0xfffffffe, s.month_ = 0x1ffe, s.dow_ = 0x7f;
    } else if (spec == "@triggered" || spec == "@manual" || spec == "@none") {
      s.never_ = true;
    } else if (spec.starts_with("@every ")) {
      auto d = ParseDurationSeconds(spec.substr(7));
      if (!d || *d < 1) return std::nullopt;  // go-cron's minimum interval: one second
      s.every_ = static_cast<std::int64_t>(*d);
    } else {
      return std::nullopt;
    }
    return s;
  }
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i])) != 0) ++i;
    std::size_t j = i;
    while (j < spec.size() && std::isspace(static_cast<unsigned char>(spec[j])) == 0) ++j;
    if (j > i) fields.push_back(spec.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5) return std::nullopt;
  for (std::string_view f : fields) {
    for (std::string_view part : Split(f, ',', false)) {
      if (part.starts_with('H')) return std::nullopt;
    }
  }
  // Extended day-of-month (L, W) and day-of-week (#) syntax: not in the standard parser.
  if (fields[2].find_first_of("LWlw") != std::string_view::npos || fields[4].find('#') != std::string_view::npos) {
    return std::nullopt;
  }
  auto minute = Field(fields[0], kMinutes);
  auto hour = Field(fields[1], kHours);
  auto dom = Field(fields[2], kDom);
  auto month = Field(fields[3], kMonth);
  auto dow = Field(fields[4], kDow);
  if (!minute || !hour || !dom || !month || !dow) return std::nullopt;
  s.minute_ = *minute, s.hour_ = *hour, s.dom_ = *dom, s.month_ = *month;
  s.dow_ = (*dow & (1 << 7)) != 0 ? ((*dow | 1) & ~std::uint64_t{1 << 7}) : *dow;  // 7 is Sunday too
  return s;
}

std::int64_t Schedule::Next(std::int64_t unix) const {
  if (never_) return kZeroTime;
  if (every_ > 0) return unix + every_;
  const Zone& z = *zone_;
  std::int64_t t = unix + 1;
  bool added = false;
  const std::int64_t year_limit = ToLocal(z, t).year + 5;
wrap:  // go-cron's WRAP: after a field wraps around, every field is checked again
  {
    Local l = ToLocal(z, t);
    if (l.year > year_limit) return kZeroTime;
    while (!Has(month_, l.month)) {
      if (!added) {
        added = true;
        t = Date(z, l.year, l.month, 1, 0, 0, 0);
        l = ToLocal(z, t);
      }
      t = Date(z, l.year, l.month + 1, l.day, l.hour, l.minute, l.second);
      l = ToLocal(z, t);
      if (l.month == 1) goto wrap;
    }
    // go-cron's standard parser requires both the day of month and the day of week to match.
    while (!(Has(dom_, l.day) && Has(dow_, l.weekday))) {
      if (!added) {
        added = true;
        t = Date(z, l.year, l.month, l.day, 0, 0, 0);
        l = ToLocal(z, t);
      }
      t = Date(z, l.year, l.month, l.day + 1, l.hour, l.minute, l.second);
      l = ToLocal(z, t);
      if (l.hour != 0) {  // midnight does not exist that day (DST)
        t += l.hour > 12 ? (24 - l.hour) * 3600 : -l.hour * 3600;
        l = ToLocal(z, t);
      }
      if (l.day == 1) goto wrap;
    }
    while (!Has(hour_, l.hour)) {
      if (!added) {
        added = true;
        t = Date(z, l.year, l.month, l.day, l.hour, 0, 0);
        l = ToLocal(z, t);
      }
      const int prev = l.hour;
      t += 3600;
      l = ToLocal(z, t);
      if (l.hour - prev == 2 && Has(hour_, l.hour - 1)) break;  // DST skipped the hour: run now
      if (l.hour == 0) goto wrap;
    }
    while (!Has(minute_, l.minute)) {
      if (!added) {
        added = true;
        t -= ((t % 60) + 60) % 60;
      }
      t += 60;
      l = ToLocal(z, t);
      if (l.minute == 0) goto wrap;
    }
    while (l.second != 0) {
      if (!added) added = true;
      t += 1;
      l = ToLocal(z, t);
      if (l.second == 0) goto wrap;
    }
    return t;
  }
}

}  // namespace kube9::collectors::ksm::cron
