#include "exporter/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;

TEST(HealthTest, NotReadyUntilEveryConditionHolds) {
  base::FakeClock clock;
  HealthState h(clock);
  EXPECT_FALSE(h.Ready().ok) << "nothing reported yet";
  h.SetCondition("status", false, "status ConfigMap not written yet");
  h.SetCondition("collectors", true);
  auto v = h.Ready();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.reason, HasSubstr("status: status ConfigMap not written yet"));
  h.SetCondition("status", true);
  EXPECT_TRUE(h.Ready().ok);
  EXPECT_EQ(h.Ready().reason, "Ready");
}

TEST(HealthTest, LivenessFailsOnlyWhenALoopGoesSilentPastItsBudget) {
  base::FakeClock clock;
  HealthState h(clock);
  h.RegisterLoop("status", std::chrono::seconds(90));
  EXPECT_TRUE(h.Live().ok);
  clock.Advance(std::chrono::seconds(80));
  h.Heartbeat("status");
  clock.Advance(std::chrono::seconds(80));
  EXPECT_TRUE(h.Live().ok);
  clock.Advance(std::chrono::seconds(11));
  auto v = h.Live();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.reason, HasSubstr("status loop has not run for 91s"));
  h.UnregisterLoop("status");
  EXPECT_TRUE(h.Live().ok) << "a loop ended by shutdown no longer counts";
}

}  // namespace
}  // namespace kube9::exporter
