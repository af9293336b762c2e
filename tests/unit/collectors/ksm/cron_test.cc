#include "collectors/ksm/cron.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/time_format.h"

namespace kube9::collectors::ksm::cron {
namespace {

std::int64_t Unix(const char* rfc3339) {
  auto t = base::ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

std::int64_t Next(const std::string& spec, const char* from) {
  auto s = Schedule::Parse(spec);
  EXPECT_TRUE(s.has_value()) << spec;
  return s ? s->Next(Unix(from)) : 0;
}

// Every expected value below was printed by github.com/netresearch/go-cron v0.15.1 (the
// library kube-state-metrics v2.20 computes kube_cronjob_next_schedule_time with):
// ParseStandard(spec).Next(from).Unix(). "TZ=UTC " keeps the test independent of the
// machine's zone.
TEST(CronScheduleTest, NextAsGoCron) {
  EXPECT_EQ(Next("TZ=UTC 30 2 * * *", "2026-12-05T10:00:07Z"), 1796524200);
  EXPECT_EQ(Next("TZ=UTC 0 9 * * MON-FRI", "2026-12-05T10:00:00Z"), 1796634000);
  // Both day fields must match (go-cron's standard parser ANDs them; robfig/cron ORs).
  EXPECT_EQ(Next("TZ=UTC 0 0 1 * SUN", "2026-12-05T10:00:00Z"), 1817078400);
  EXPECT_EQ(Next("TZ=UTC */15 3-5 * JAN-MAR SUN", "2026-12-05T10:00:00Z"), 1798945200);
  EXPECT_EQ(Next("TZ=UTC 22-2 * * * *", "2026-12-05T10:00:00Z"), 1796464860);  // wraps around
  EXPECT_EQ(Next("TZ=UTC 0 22-2/3 * * *", "2026-12-05T10:00:00Z"), 1796508000);
  EXPECT_EQ(Next("TZ=UTC 5/20 * * * *", "2026-12-05T10:00:00Z"), 1796465100);
  EXPECT_EQ(Next("TZ=UTC 0 0 25-5 * *", "2026-12-05T10:00:00Z"), 1798156800);
  EXPECT_EQ(Next("TZ=UTC 0 12 * * 5-1", "2026-12-05T10:00:00Z"), 1796472000);
  EXPECT_EQ(Next("TZ=UTC 0 12 * * 7", "2026-12-05T10:00:00Z"), 1796558400);  // 7 is Sunday
  EXPECT_EQ(Next("TZ=UTC 1,,2 * * * *", "2026-12-05T10:00:00Z"), 1796464860);
  EXPECT_EQ(Next("TZ=UTC * * * * ?", "2026-12-05T10:00:00Z"), 1796464860);
  EXPECT_EQ(Next("TZ=UTC 0 0 29 2 *", "2026-12-05T10:00:00Z"), 1835395200);  // the next leap year
  EXPECT_EQ(Next("TZ=UTC 0 0 30 2 *", "2026-12-05T10:00:00Z"), Schedule::kZeroTime);  // never: Go's zero time
  EXPECT_EQ(Next("TZ=UTC 0 0 * * *", "2026-12-05T10:00:00Z"), 1796515200);
}

TEST(CronScheduleTest, Descriptors) {
  EXPECT_EQ(Next("TZ=UTC @every 1h30m", "2026-12-05T10:00:00Z"), 1796470200);
  EXPECT_EQ(Next("TZ=UTC @every 90s", "2026-12-05T10:00:00Z"), 1796464890);
  EXPECT_EQ(Next("TZ=UTC @weekly", "2026-12-05T10:00:00Z"), 1796515200);
  EXPECT_EQ(Next("TZ=UTC @yearly", "2026-12-05T10:00:00Z"), 1798761600);
  EXPECT_EQ(Next("TZ=UTC @monthly", "2026-12-31T23:59:59Z"), 1798761600);
}

TEST(CronScheduleTest, RejectsWhatGoCronRejects) {
  for (const char* spec : {"*/60 * * * *", "0 24 * * *", "* * * *", "* * * * * *", "0 0 L * *", "0 0 * * 1#2",
                           "H * * * *", "@every 500ms", "@every", "@reboot", "CRON_TZ=Nowhere/City 0 0 * * *",
                           "CRON_TZ= 0 0 * * *", "0 0 0 * *", "1-2-3 * * * *", "1/2/3 * * * *", "-1 * * * *", "",
                           "0 0 * foo *", "0 0 1W * *", "0 0 * * 8", "0/0 * * * *"}) {
    EXPECT_FALSE(Schedule::Parse(spec).has_value()) << spec;
  }
  EXPECT_TRUE(Schedule::Parse("5-2/10 * * * *").has_value());  // wraps around: 5, 15, ... 55, 1
}

TEST(CronZoneTest, PosixRuleGivesOffsetsAndTransitions) {
  auto z = Zone::FromRule("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->Lookup(Unix("2027-01-15T12:00:00Z")).offset, -5 * 3600);
  EXPECT_EQ(z->Lookup(Unix("2027-07-15T12:00:00Z")).offset, -4 * 3600);
  // 2027-03-14 02:00 EST is 07:00 UTC; 2027-11-07 02:00 EDT is 06:00 UTC.
  auto summer = z->Lookup(Unix("2027-07-15T12:00:00Z"));
  EXPECT_EQ(summer.start, Unix("2027-03-14T07:00:00Z"));
  EXPECT_EQ(summer.end, Unix("2027-11-07T06:00:00Z"));
  // Southern hemisphere, half-hour DST, a rule time of 2:00 by default.
  auto lh = Zone::FromRule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  ASSERT_NE(lh, nullptr);
  EXPECT_EQ(lh->Lookup(Unix("2027-01-15T00:00:00Z")).offset, 11 * 3600);
  EXPECT_EQ(lh->Lookup(Unix("2027-06-15T00:00:00Z")).offset, 10 * 3600 + 1800);
  auto fixed = Zone::FromRule("JST-9");
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->Lookup(0).offset, 9 * 3600);
  EXPECT_EQ(Zone::FromRule("not a rule"), nullptr);
  EXPECT_EQ(Zone::FromTzif("TZif but short"), nullptr);
}

// Named zones come from the system's tz database, as Go's time.LoadLocation reads them first.
TEST(CronZoneTest, NamedZonesAcrossDaylightSavingChanges) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/America/New_York")) GTEST_SKIP() << "no tz database";
  // 02:30 does not exist on 2027-03-14 in New York: go-cron runs at 03:30 EDT.
  EXPECT_EQ(Next("CRON_TZ=America/New_York 30 2 * * *", "2027-03-13T07:30:00Z"), 1805009400);
  // 01:30 happens twice on 2027-11-07: go-cron takes the first.
  EXPECT_EQ(Next("CRON_TZ=America/New_York 30 1 * * *", "2027-11-06T05:30:00Z"), 1825565400);
  EXPECT_EQ(Next("CRON_TZ=America/New_York 0 * * * *", "2027-11-07T05:30:00Z"), 1825567200);
  EXPECT_EQ(Next("CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", "2026-12-05T10:00:00Z"), 1796630400);
  EXPECT_EQ(Next("CRON_TZ=America/Sao_Paulo 0 0 * * *", "2026-12-05T10:00:00Z"), 1796526000);
  EXPECT_EQ(Next("CRON_TZ=Australia/Lord_Howe 15 2 * * *", "2027-10-02T10:00:00Z"), 1822576500);
  EXPECT_EQ(Next("CRON_TZ=\"Asia/Tokyo\" 0 0 * * *", "2026-12-05T10:00:00Z"), 1796482800);
  EXPECT_EQ(LoadZone("Nowhere/City"), nullptr);
  EXPECT_EQ(LoadZone("../etc/passwd"), nullptr);
}

}  // namespace
}  // namespace kube9::collectors::ksm::cron
