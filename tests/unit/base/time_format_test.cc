#include "base/time_format.h"

#include <gtest/gtest.h>

namespace kube9::base {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

WallTime At(long long unix_ms) { return WallTime(milliseconds(unix_ms)); }

TEST(Rfc3339Test, FormatsUtcWithMillisecondsAndZ) {
  EXPECT_EQ(FormatRfc3339Millis(At(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(At(1795774800123)), "2026-11-27T10:20:00.123Z");
  EXPECT_EQ(FormatRfc3339Millis(At(951782400007)), "2000-02-29T00:00:00.007Z");
}

TEST(Rfc3339Test, ParsesWhatItFormats) {
  for (long long ms : {0LL, 1795774800123LL, 951782400007LL, 4102444799999LL}) {
    auto parsed = ParseRfc3339(FormatRfc3339Millis(At(ms)));
    ASSERT_TRUE(parsed) << ms;
    EXPECT_EQ(*parsed, At(ms));
  }
}

TEST(Rfc3339Test, ParsesKubernetesFormsAndOffsets) {
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:20:00Z"), At(1795774800000));
  EXPECT_EQ(ParseRfc3339("2026-11-27T11:20:00+01:00"), At(1795774800000));
  EXPECT_EQ(ParseRfc3339("2026-11-27T05:20:00.5-05:00"), At(1795774800500));
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:20:00.123456789Z"), At(1795774800123));
}

TEST(Rfc3339Test, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-27", "2026-11-27 10:20:00Z", "2026-13-27T10:20:00Z", "2026-11-27T10:20:00",
                          "2026-11-27T10:20:00.Z", "2026-11-27T10:20:00+0100", "garbage-garbage-garbage"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

// Found by tests/fuzz/time_format_fuzzer ("-158-05-18t16:11:-1s" overflowed on its way into a
// WallTime before dates were clamped): fields with a sign, and days their month does not have.
TEST(Rfc3339Test, RejectsSignedFieldsAndDaysNotInTheMonth) {
  for (const char* bad : {"-158-05-18t16:11:-1s", "2026-11-27T10:20:-1Z", "2026-11-27T-1:20:00Z",
                          "+026-11-27T10:20:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-11-27T10:20:00+-1:00"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
  EXPECT_EQ(ParseRfc3339("2028-02-29T00:00:00Z"), At(1835395200000));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), At(0));
}

// sscanf's %d took signs, spaces and any width; the date is now read field by field.
TEST(RetryAfterTest, HttpDatesAreReadFieldByField) {
  const WallTime now = At(1795774800000);
  for (const char* bad : {"Fri, -1 Nov 2026 10:21:30 GMT", "Fri, 27 Nov 2026 10:21:-1 GMT",
                          "Fri, 27 Nov 2147483647 10:21:30 GMT", "Fri, 31 Nov 2026 10:21:30 GMT",
                          "Fri,  27 Nov 2026 10:21:30 GMT", "Fri, 7 Nov 2026 10:21:30 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(bad, now)) << bad;
  }
  EXPECT_EQ(ParseRetryAfter("Sat, 28 Nov 2026 10:20:00 GMT", now), Millis(86'400'000));
}

TEST(RetryAfterTest, SecondsAndHttpDates) {
  const WallTime now = At(1795774800000);  // Fri, 27 Nov 2026 10:20:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), Millis(120'000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), Millis(0));
  // Absurdly large values are clamped (to ten years), not overflowed into negative waits.
  EXPECT_EQ(ParseRetryAfter("99999999999999999", now), std::chrono::duration_cast<Millis>(std::chrono::hours(24 * 3650)));
  // Beyond 64 bits too: capped, not refused (nor wrapped).
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999999", now),
            std::chrono::duration_cast<Millis>(std::chrono::hours(24 * 3650)));
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now),
            std::chrono::duration_cast<Millis>(std::chrono::hours(24 * 3650)));
  EXPECT_FALSE(ParseRetryAfter("Fri, 31 Dec 99999999999 23:59:59 GMT", now));
  EXPECT_EQ(ParseRetryAfter("Fri, 27 Nov 2026 10:21:30 GMT", now), Millis(90'000));
  EXPECT_EQ(ParseRetryAfter("Fri, 27 Nov 2026 10:00:00 GMT", now), Millis(0)) << "a past date means now";
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("12abc", now));
  EXPECT_FALSE(ParseRetryAfter("Fri, 27 Nov 2026 10:21:30 CET", now));
}

TEST(DurationTest, ParsesUnitsAndBareSeconds) {
  EXPECT_EQ(ParseDuration("90"), Millis(90'000));
  EXPECT_EQ(ParseDuration("90s"), Millis(90'000));
  EXPECT_EQ(ParseDuration("5m"), Millis(300'000));
  EXPECT_EQ(ParseDuration("1h30m"), Millis(5'400'000));
  EXPECT_EQ(ParseDuration("250ms"), Millis(250));
  for (const char* bad : {"", "s", "5x", "-5s", "1.5s", "5m3"}) EXPECT_FALSE(ParseDuration(bad)) << bad;
}

// Issue #10: --upload.max-backoff=2562047788015216h was accepted as 29m52s (hours times
// 3,600,000 wrapped around 64 bits).
TEST(DurationTest, OverflowIsRefusedNotWrapped) {
  for (const char* huge : {"2562047788015216h", "9223372036854775807", "9223372036854775808s",
                           "153722867280912931m", "9223372036854775807ms", "876001h", "876000h1ms",
                           "876000h876000h"}) {
    EXPECT_FALSE(ParseDuration(huge)) << huge;
  }
  EXPECT_EQ(ParseDuration("876000h"), kMaxDuration);
  EXPECT_EQ(ParseDuration("87600h"), Millis(std::chrono::hours(87600)));
}

TEST(Rfc3339Test, DatesBeyondTheClockAreClampedNotWrapped) {
  auto far = ParseRfc3339("9999-12-31T23:59:59Z");
  ASSERT_TRUE(far);
  EXPECT_GT(*far, At(4102444799999LL)) << "must stay later than 2099, not wrap into the past";
}

TEST(DurationTest, FormatsCompactly) {
  EXPECT_EQ(FormatDuration(Millis(5'400'000)), "1h30m");
  EXPECT_EQ(FormatDuration(Millis(45'000)), "45s");
  EXPECT_EQ(FormatDuration(Millis(250)), "250ms");
  EXPECT_EQ(FormatDuration(Millis(0)), "0ms");
}

}  // namespace
}  // namespace kube9::base
