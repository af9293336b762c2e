#include "assessment/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/resources/vertical_pod_autoscalers.h"
#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

const CheckRun& Find(const Report& r, std::string_view id) {
  for (const auto& c : r.checks) {
    if (c.info->id == id) return c;
  }
  static const CheckRun none;
  ADD_FAILURE() << id;
  return none;
}

TEST(ScheduledAssessment, RunsAtTheFirstSyncedSampleThenEveryInterval) {
  Cluster c;
  c.Deployment("shop", "root", 2, Containers(R"({"name":"a"})"));
  base::FakeClock clock;
  LastRun last;
  int runs = 0;
  ScheduledAssessment s(c.stores(), clock, std::chrono::hours(1), {}, last, [&](const Report&) { ++runs; });
  const auto sample = collectors::Aggregate(c.stores(), clock.WallNow(), "");
  EXPECT_TRUE(s.OnSample(sample, {}));
  EXPECT_EQ(Find(*last.Get(), "security.run-as-non-root").result.status, Status::kFailing);
  clock.Advance(std::chrono::minutes(59));
  EXPECT_FALSE(s.OnSample(sample, {}));
  clock.Advance(std::chrono::minutes(1));
  EXPECT_TRUE(s.OnSample(sample, {}));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(last.runs(), 2u);
}

// A collector that never syncs (RBAC denied) does not hold the assessment back for ever: after
// the grace period it runs, and that collector's checks are skipped rather than passing over
// an empty store; once everything is synced it runs again at once.
TEST(ScheduledAssessment, RunsWithoutUnsyncedCollectorsAfterAGracePeriod) {
  Cluster c;
  c.Deployment("shop", "root", 2, Containers(R"({"name":"a"})"));
  base::FakeClock clock;
  LastRun last;
  ScheduledAssessment s(c.stores(), clock, std::chrono::hours(1), {}, last);
  const auto sample = collectors::Aggregate(c.stores(), clock.WallNow(), "");
  EXPECT_FALSE(s.OnSample(sample, {"deployments"}));
  clock.Advance(ScheduledAssessment::kUnsyncedGrace - std::chrono::seconds(1));
  EXPECT_FALSE(s.OnSample(sample, {"deployments"}));
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(s.OnSample(sample, {"deployments", "pods"}));
  const Report partial = *last.Get();
  EXPECT_EQ(Find(partial, "security.run-as-non-root").result.status, Status::kSkipped);
  EXPECT_EQ(Find(partial, "reliability.replica-counts").result.status, Status::kSkipped);
  EXPECT_EQ(Find(partial, "cost-optimization.spot-instance-usage").result.status, Status::kSkipped) << "no node";
  EXPECT_EQ(Find(partial, "sustainability.workload-consolidation-signals").result.status, Status::kSkipped);
  EXPECT_THAT(Find(partial, "sustainability.workload-consolidation-signals").result.message,
              ::testing::HasSubstr("deployments"));
  EXPECT_EQ(Find(partial, "reliability.pods-crash-looping").result.status, Status::kSkipped);
  clock.Advance(std::chrono::seconds(15));
  EXPECT_FALSE(s.OnSample(sample, {"deployments"}));
  EXPECT_TRUE(s.OnSample(sample, {}));  // synced: at once, not an hour later
  EXPECT_EQ(Find(*last.Get(), "sustainability.workload-consolidation-signals").result.status, Status::kPassing);
}

// VPA installed while the operator runs: once discovery shows its API and its optional
// collector has listed, the next sample runs the catalogue again (not an interval later) and
// vpa-configuration-sanity is evaluated; VPA removed, it is skipped again at the next sample.
TEST(ScheduledAssessment, AddOnChecksFollowDiscoveryWithoutWaitingForTheInterval) {
  Cluster c;
  c.Deployment("shop", "web", 2, Containers(R"({"name":"a"})"));
  base::FakeClock clock;
  LastRun last;
  ScheduledAssessment s(c.stores(), clock, std::chrono::hours(1), {}, last);
  const auto sample = collectors::Aggregate(c.stores(), clock.WallNow(), "");
  constexpr std::string_view kVpaCheck = "performance-efficiency.vpa-configuration-sanity";
  collectors::ApiGroups without_vpa;
  without_vpa.served = {"apps"};
  s.SetDiscovered(without_vpa, {});
  ASSERT_TRUE(s.OnSample(sample, {}));
  EXPECT_EQ(Find(*last.Get(), kVpaCheck).result.status, Status::kSkipped);
  EXPECT_THAT(Find(*last.Get(), kVpaCheck).result.message, ::testing::HasSubstr("VPA API not served"));
  clock.Advance(std::chrono::seconds(15));
  EXPECT_FALSE(s.OnSample(sample, {})) << "nothing changed: the interval rules";

  collectors::ApiGroups with_vpa = without_vpa;
  with_vpa.served.insert("autoscaling.k8s.io");
  auto vpas = std::make_shared<collectors::Store<collectors::VpaInfo>>(collectors::kVerticalPodAutoscalers.extract);
  rapidjson::Document vpa;
  vpa.Parse(R"({"metadata":{"namespace":"shop","name":"web"},"spec":{"targetRef":{"kind":"Deployment","name":"web"}}})");
  vpas->OnListed(vpa);
  collectors::OptionalStores optional;
  optional.Add("verticalpodautoscalers", vpas);
  s.SetDiscovered(with_vpa, {});
  clock.Advance(std::chrono::seconds(15));
  EXPECT_FALSE(s.OnSample(sample, {"verticalpodautoscalers"})) << "its collector has not listed yet";
  s.SetDiscovered(with_vpa, optional);
  EXPECT_TRUE(s.OnSample(sample, {}));
  EXPECT_EQ(Find(*last.Get(), kVpaCheck).result.status, Status::kPassing) << Find(*last.Get(), kVpaCheck).result.message;
  EXPECT_THAT(Find(*last.Get(), kVpaCheck).result.message, ::testing::HasSubstr("1 VerticalPodAutoscaler"));

  s.SetDiscovered(without_vpa, {});
  clock.Advance(std::chrono::seconds(15));
  EXPECT_TRUE(s.OnSample(sample, {}));
  EXPECT_EQ(Find(*last.Get(), kVpaCheck).result.status, Status::kSkipped);
  EXPECT_EQ(last.runs(), 3u);
}

}  // namespace
}  // namespace kube9::assessment::testing
