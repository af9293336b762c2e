#include "cmd/thread_supervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/metrics_text.h"

namespace kube9::cmd {
namespace {

using ::testing::HasSubstr;
using kube9::testing::MetricsText;

class ThreadSupervisorTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  exporter::OperatorMetrics metrics_{registry_};
  sinks::StatusModel model_{"ops", false};
  base::FakeClock clock_;
  int shutdowns_ = 0;
  ThreadSupervisor supervisor_{metrics_, model_, clock_, [this] { ++shutdowns_; }};
};

TEST_F(ThreadSupervisorTest, ARestartedLoopIsCountedAndDegradesTheStatusForAWhile) {
  supervisor_.OnThreadStarted("sampler");
  EXPECT_THAT(MetricsText(registry_), HasSubstr(R"(kube9_operator_thread_failures_total{thread="sampler"} 0)"));
  supervisor_.OnThreadFailure("sampler", "boom", true);
  EXPECT_THAT(MetricsText(registry_), HasSubstr(R"(kube9_operator_thread_failures_total{thread="sampler"} 1)"));
  auto r = model_.Current(clock_.WallNow());
  EXPECT_EQ(r.health, "degraded");
  EXPECT_EQ(*r.error, "sampler thread failed and was restarted: boom");
  EXPECT_EQ(shutdowns_, 0);
  EXPECT_FALSE(supervisor_.fatal_error());

  clock_.Advance(sinks::StatusModel::kThreadRecovery);
  EXPECT_EQ(model_.Current(clock_.WallNow()).health, "healthy");
}

TEST_F(ThreadSupervisorTest, AThreadThatIsNotRestartedShutsTheOperatorDownOnce) {
  supervisor_.OnThreadFailure("status", "boom", false);
  supervisor_.OnThreadFailure("stopper", "again", false);
  EXPECT_EQ(shutdowns_, 1);
  EXPECT_EQ(supervisor_.fatal_error(), "status thread failed: boom");
  EXPECT_THAT(MetricsText(registry_), HasSubstr(R"(kube9_operator_thread_failures_total{thread="stopper"} 1)"));
  model_.SetShuttingDown();
  EXPECT_EQ(*model_.Current(clock_.WallNow()).error, "Shutting down: status thread failed: boom");
}

}  // namespace
}  // namespace kube9::cmd
