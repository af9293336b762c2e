// The time parsers of outside input: RFC 3339 timestamps (API objects, exec credentials),
// durations (configuration) and Retry-After (API server and kube9-server replies). What parses
// must format back to itself; a Retry-After is never negative.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/time_format.h"
#include "fuzz_check.h"

namespace {

namespace base = kube9::base;
using std::chrono::milliseconds;

// 2026-11-27T10:20:00.123Z, the simulated clock's usual now.
const base::WallTime kNow{milliseconds(1795774800123)};
// 1700-01-01T00:00:00Z and 2200-01-01T00:00:00Z: well inside what a WallTime holds (1678 to 2262).
const base::WallTime kFirst{milliseconds(-8520336000000)};
const base::WallTime kLast{milliseconds(7258118400000)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto t = base::ParseRfc3339(text)) {
    // Milliseconds are what the parser keeps, and what it formats it reads back.
    KUBE9_FUZZ_CHECK(std::chrono::duration_cast<milliseconds>(t->time_since_epoch()) == t->time_since_epoch());
    if (*t >= kFirst && *t <= kLast) KUBE9_FUZZ_CHECK(base::ParseRfc3339(base::FormatRfc3339Millis(*t)) == *t);
  }

  if (const auto d = base::ParseDuration(text)) {
    KUBE9_FUZZ_CHECK(d->count() >= 0);
    KUBE9_FUZZ_CHECK(base::ParseDuration(base::FormatDuration(*d)) == *d);
  }

  if (const auto after = base::ParseRetryAfter(text, kNow)) {
    KUBE9_FUZZ_CHECK(after->count() >= 0);
  }
  return 0;
}
