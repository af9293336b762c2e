#include "sinks/status/assessment_block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/clock.h"
#include "collectors/registry.h"

namespace kube9::sinks {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Keys(const rapidjson::Value& v) {
  std::vector<std::string> out;
  for (const auto& m : v.GetObject()) out.emplace_back(m.name.GetString());
  return out;
}

StatusReport Report(const AssessmentBlock& block) {
  StatusModel model("kube9-system", false);
  model.SetAssessment(block);
  return model.Current(base::WallTime(std::chrono::seconds(1'800'000'000)));
}

TEST(AssessmentBlock, BeforeTheFirstRunTotalsAreZeroAndOutcomeNone) {
  assessment::LastRun last;
  const std::string json = RenderStatusJson(Report(MakeAssessmentBlock(last, std::chrono::hours(1))));
  rapidjson::Document d;
  d.Parse(json.c_str());
  ASSERT_TRUE(d.IsObject());
  // After namespace/collectionStats, in the contract's order.
  EXPECT_THAT(Keys(d), ElementsAre("mode", "tier", "version", "health", "lastUpdate", "registered", "apiKeyConfigured",
                                   "error", "namespace", "collectionStats", "assessment"));
  const auto& a = d["assessment"];
  EXPECT_THAT(Keys(a), ElementsAre("lastScheduledCompletedAt", "lastScheduledOutcome", "lastScheduledRunState",
                                   "lastScheduledRunId", "lastScheduledTotals", "lastScheduledError",
                                   "lastScheduledChecks", "schedulingEnabled", "scheduleIntervalSeconds",
                                   "scheduledAssessmentMode", "scheduledAssessmentPillar"));
  EXPECT_TRUE(a["lastScheduledCompletedAt"].IsNull());
  EXPECT_STREQ(a["lastScheduledOutcome"].GetString(), "none");
  EXPECT_TRUE(a["lastScheduledRunState"].IsNull());
  EXPECT_TRUE(a["lastScheduledRunId"].IsNull());
  EXPECT_THAT(Keys(a["lastScheduledTotals"]),
              ElementsAre("totalChecks", "completedChecks", "passedChecks", "failedChecks", "warningChecks"));
  for (const auto& m : a["lastScheduledTotals"].GetObject()) EXPECT_EQ(m.value.GetInt64(), 0) << m.name.GetString();
  EXPECT_TRUE(a["lastScheduledError"].IsNull());
  EXPECT_EQ(a["lastScheduledChecks"].Size(), 0u);
  EXPECT_TRUE(a["schedulingEnabled"].GetBool());
  EXPECT_EQ(a["scheduleIntervalSeconds"].GetInt64(), 3600);
  EXPECT_STREQ(a["scheduledAssessmentMode"].GetString(), "full");
  EXPECT_TRUE(a["scheduledAssessmentPillar"].IsNull());
}

TEST(AssessmentBlock, AFailedRunKeepsThePreviousChecksAndBoundsTheError) {
  constexpr assessment::CheckInfo kInfo{"reliability.x", "X", assessment::Pillar::kReliability,
                                        assessment::Severity::kHigh, "fix it"};
  assessment::Report r;
  r.run_id = "run-1";
  r.checks.push_back({&kInfo, {assessment::Status::kFailing, "1 of 2 things (e.g. a/b)"}, {}});
  assessment::LastRun last;
  last.Set(r);
  last.SetFailure("collectors never synced " + std::string(400, 'x'), base::WallTime{});
  const std::string json = RenderStatusJson(Report(MakeAssessmentBlock(last, std::chrono::minutes(30))));
  rapidjson::Document d;
  d.Parse(json.c_str());
  const auto& a = d["assessment"];
  EXPECT_STREQ(a["lastScheduledOutcome"].GetString(), "failed");
  EXPECT_LE(a["lastScheduledError"].GetStringLength(), 200u);
  EXPECT_STREQ(a["lastScheduledRunId"].GetString(), "run-1");
  EXPECT_EQ(a["lastScheduledTotals"]["failedChecks"].GetInt64(), 1);
  ASSERT_EQ(a["lastScheduledChecks"].Size(), 1u);
  const auto& c = a["lastScheduledChecks"][0];
  EXPECT_THAT(Keys(c), ElementsAre("checkId", "checkName", "pillar", "status", "message", "remediation"));
  EXPECT_STREQ(c["status"].GetString(), "failing");
  EXPECT_EQ(a["scheduleIntervalSeconds"].GetInt64(), 1800);
}

// The status stays under 64 KiB with the whole catalogue failing over a 150,000-pod cluster
// whose workloads have the longest names Kubernetes allows.
TEST(AssessmentBlock, TheStatusStaysUnder64KiBAt150kPods) {
  collectors::ClusterStores stores;
  for (const auto& r : collectors::Registry()) {
    if (r.add_store != nullptr) r.add_store(stores);
  }
  auto add = [&](std::string_view collector, const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    const_cast<collectors::StoreBase*>(stores.FindByName(collector))->OnEvent(kube::EventType::kAdded, d);
  };
  const std::string ns(63, 'n');
  for (int i = 0; i < 150'000; ++i) {
    add("pods",
        R"({"metadata":{"uid":"p-)" + std::to_string(i) + R"(","namespace":"ns-)" + std::to_string(i % 500) +
            R"("},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  }
  for (int i = 0; i < 3'000; ++i) {
    const std::string name = std::to_string(i) + std::string(240, 'w');
    add("deployments",
        R"({"metadata":{"uid":"d-)" + std::to_string(i) + R"(","namespace":")" + ns + R"(","name":")" + name +
            R"("},"spec":{"replicas":2,"template":{"spec":{"nodeName":"n","containers":[{"name":"a","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN"]}},"env":[{"name":"PASSWORD","value":"x"}]}]}}},"status":{"unavailableReplicas":2}})");
  }
  base::FakeClock clock;
  const auto health = collectors::Aggregate(stores, clock.WallNow(), "v1.31.0");
  assessment::LastRun last;
  last.Set(assessment::Run(assessment::CatalogueChecks(), {}, assessment::Inputs{stores, clock.WallNow(), {}, &health},
                           clock));
  StatusModel model("kube9-system", true);
  model.SetAssessment(MakeAssessmentBlock(last, std::chrono::hours(1)));
  ClusterHealth ch;
  for (std::size_t i = 0; i < ClusterHealth::kMaxChecks; ++i)
    ch.checks.push_back({"pods_crash_looping", "warning", 150'000});
  model.SetClusterHealth(ch);
  model.SetRegistration(false, std::nullopt, std::string(600, 'r'));
  const std::string json = RenderStatusJson(model.Current(clock.WallNow()));
  EXPECT_LT(json.size(), 64u * 1024) << json.size();
  rapidjson::Document d;
  d.Parse(json.c_str());
  ASSERT_TRUE(d.IsObject());
  const auto& checks = d["assessment"]["lastScheduledChecks"];
  EXPECT_EQ(checks.Size(), assessment::CatalogueChecks().size());
  for (const auto& c : checks.GetArray()) {
    EXPECT_LE(c["message"].GetStringLength(), 400u);
    EXPECT_EQ(std::string(c["message"].GetString()).find('\n'), std::string::npos);
  }
  std::printf("status bytes at 150k pods, every check failing with the longest names: %zu\n", json.size());
}

}  // namespace
}  // namespace kube9::sinks
