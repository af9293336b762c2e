#include "exporter/assessment_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::exporter {
namespace {

using assessment::Pillar;
using assessment::Severity;
using assessment::Status;

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& fs, const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "";
}

constexpr assessment::CheckInfo kA{"security.a", "A", Pillar::kSecurity, Severity::kCritical, "r"};
constexpr assessment::CheckInfo kB{"security.b", "B", Pillar::kSecurity, Severity::kLow, "r"};
constexpr assessment::CheckInfo kC{"reliability.c", "C", Pillar::kReliability, Severity::kMedium, "r"};

TEST(AssessmentMetrics, BeforeTheFirstRunOnlyTheRunCounter) {
  AssessmentMetrics m;
  auto fs = m.Collect();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].name, "kube9_assessment_runs_total");
  EXPECT_EQ(fs[0].metric[0].counter.value, 0);
}

TEST(AssessmentMetrics, OneStatusSeriesPerCheckAndPillarScores) {
  assessment::Report r;
  r.checks = {
      {&kA, {Status::kFailing, "x"}, {}}, {&kB, {Status::kPassing, "y"}, {}}, {&kC, {Status::kSkipped, "z"}, {}}};
  r.took = std::chrono::milliseconds(12);
  AssessmentMetrics m;
  m.Update(r);
  auto fs = m.Collect();
  const auto* status = Find(fs, "kube9_assessment_check_status");
  ASSERT_NE(status, nullptr);
  ASSERT_EQ(status->metric.size(), 3u);
  EXPECT_EQ(Label(status->metric[0], "check"), "security.a");
  EXPECT_EQ(Label(status->metric[0], "pillar"), "security");
  EXPECT_EQ(Label(status->metric[0], "status"), "failing");
  EXPECT_EQ(status->metric[0].gauge.value, 1);
  const auto* info = Find(fs, "kube9_assessment_check_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(Label(info->metric[0], "severity"), "critical");
  const auto* score = Find(fs, "kube9_assessment_pillar_score");
  ASSERT_NE(score, nullptr);
  ASSERT_EQ(score->metric.size(), 6u);
  EXPECT_EQ(Label(score->metric[0], "pillar"), "security");
  EXPECT_EQ(score->metric[0].gauge.value, 50);   // one of two passing
  EXPECT_EQ(score->metric[1].gauge.value, 100);  // reliability: only skipped
  const auto* checks = Find(fs, "kube9_assessment_pillar_checks");
  ASSERT_NE(checks, nullptr);
  EXPECT_EQ(checks->metric.size(), 36u);  // 6 pillars x 6 statuses
  EXPECT_NEAR(Find(fs, "kube9_assessment_run_duration_seconds")->metric[0].gauge.value, 0.012, 1e-9);
  EXPECT_EQ(Find(fs, "kube9_assessment_runs_total")->metric[0].counter.value, 1);
}

}  // namespace
}  // namespace kube9::exporter
