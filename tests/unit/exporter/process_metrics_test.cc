#include "exporter/process_metrics.h"

#include <unistd.h>

#include <map>

#include <gtest/gtest.h>

namespace kube9::exporter {
namespace {

std::map<std::string, double> Values(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    const auto& m = f.metric.at(0);
    out[f.name] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return out;
}

TEST(ProcStatTest, ParsesFieldsAfterACommandNameWithSpacesAndParens) {
  auto st = ParseProcStat("4242 (kube9 op) erator) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 125 0 0 20 0 6 0 "
                          "100000 123456789 2048 18446744073709551615 1 1 0\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->utime_ticks, 250u);
  EXPECT_EQ(st->stime_ticks, 125u);
  EXPECT_EQ(st->start_ticks, 100000u);
  EXPECT_EQ(st->vsize_bytes, 123456789u);
  EXPECT_EQ(st->rss_pages, 2048);
}

TEST(ProcStatTest, RejectsTruncatedOrGarbage) {
  EXPECT_FALSE(ParseProcStat(""));
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2 3"));
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 abc 125 0 0 20 0 6 0 1 2 3 4"));
}

TEST(ProcStatTest, BootTime) {
  EXPECT_EQ(ParseBootTime("cpu 1\nbtime 1795770000\nprocesses 3\n"), 1795770000);
  EXPECT_FALSE(ParseBootTime("cpu 1\n"));
}

TEST(ProcessMetricsTest, ComputesConventionalMetricsFromAProcFixture) {
  ProcessMetrics pm(std::string(KUBE9_TESTDATA) + "/proc");
  auto v = Values(pm.Collect());
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(v.at("process_cpu_seconds_total"), 375 / hz);
  EXPECT_DOUBLE_EQ(v.at("process_resident_memory_bytes"), 2048.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_DOUBLE_EQ(v.at("process_virtual_memory_bytes"), 123456789);
  EXPECT_DOUBLE_EQ(v.at("process_start_time_seconds"), 1795770000 + 100000 / hz);
  EXPECT_DOUBLE_EQ(v.at("process_open_fds"), 3);
  EXPECT_GT(v.at("process_max_fds"), 0);
}

TEST(ProcessMetricsTest, RealProcIsReadable) {
  auto v = Values(ProcessMetrics().Collect());
  EXPECT_GT(v.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(v.at("process_start_time_seconds"), 1.6e9);
  EXPECT_GE(v.at("process_open_fds"), 3);
}

}  // namespace
}  // namespace kube9::exporter
