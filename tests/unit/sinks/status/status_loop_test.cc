#include "sinks/status/status_loop.h"

#include <deque>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "exporter/health.h"
#include "exporter/operator_metrics.h"

namespace kube9::sinks {
namespace {

// Records reports; fails while scripted to; stops the loop after `stop_after` publishes.
class RecordingPublisher final : public StatusPublisher {
 public:
  RecordingPublisher(base::StopSignal& stop, std::size_t stop_after) : stop_(stop), stop_after_(stop_after) {}
  base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& r, base::Millis timeout,
                                                   const base::StopSignal*) override {
    reports.push_back(r);
    timeouts.push_back(timeout);
    if (reports.size() >= stop_after_) stop_.Stop();
    if (!failures.empty()) {
      kube::ApiError e = failures.front();
      failures.pop_front();
      return base::Unexpected(e);
    }
    return base::Ok{};
  }
  std::vector<StatusReport> reports;
  std::vector<base::Millis> timeouts;
  std::deque<kube::ApiError> failures;

 private:
  base::StopSignal& stop_;
  std::size_t stop_after_;
};

class StatusLoopTest : public ::testing::Test {
 protected:
  StatusLoopTest() : model_("kube9-system", false), metrics_(registry_), health_(clock_) {}
  std::unique_ptr<StatusLoop> Loop(RecordingPublisher& p, base::Millis interval) {
    return std::make_unique<StatusLoop>(model_, p, clock_, interval, &metrics_, &health_, 1);
  }
  base::FakeClock clock_;
  base::StopSignal stop_;
  StatusModel model_;
  prometheus::Registry registry_;
  exporter::OperatorMetrics metrics_;
  exporter::HealthState health_;
};

TEST_F(StatusLoopTest, WritesAtStartThenEveryInterval) {
  RecordingPublisher p(stop_, 4);
  const auto start = clock_.WallNow();
  Loop(p, std::chrono::seconds(60))->Run(stop_);
  ASSERT_EQ(p.reports.size(), 4u);
  EXPECT_EQ(p.reports[0].last_update, start) << "first write at start-up";
  for (std::size_t i = 1; i < p.reports.size(); ++i) {
    EXPECT_EQ(p.reports[i].last_update - p.reports[i - 1].last_update, std::chrono::seconds(60));
  }
  EXPECT_TRUE(health_.Ready().ok);
}

TEST_F(StatusLoopTest, ARegistrationChangeIsWrittenWithoutWaitingForTheInterval) {
  RecordingPublisher p(stop_, 3);
  const auto start = clock_.WallNow();
  StatusModel pro("kube9-system", /*api_key_configured=*/true);
  pro.SetRegistration(false, std::nullopt, "registering");  // before the loop: no early write
  // The registrar's thread reports a rejected key while the first write is in flight.
  struct Changing final : StatusPublisher {
    RecordingPublisher& inner;
    StatusModel& model;
    Changing(RecordingPublisher& i, StatusModel& m) : inner(i), model(m) {}
    base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& r, base::Millis t,
                                                     const base::StopSignal* c) override {
      if (inner.reports.empty()) model.SetRegistration(false, std::nullopt, "kube9-server rejected the API key");
      return inner.Publish(r, t, c);
    }
  } changing(p, pro);
  StatusLoop(pro, changing, clock_, std::chrono::seconds(60), &metrics_, &health_, 1).Run(stop_);
  ASSERT_EQ(p.reports.size(), 3u);
  EXPECT_LE(p.reports[1].last_update - start, std::chrono::seconds(1));
  EXPECT_EQ(p.reports[1].error, "kube9-server rejected the API key");
  EXPECT_EQ(p.reports[2].last_update - p.reports[1].last_update, std::chrono::seconds(60));
}

TEST_F(StatusLoopTest, CollectorsFailingOrRecoveringAreWrittenWithoutWaitingForTheInterval) {
  RecordingPublisher p(stop_, 4);
  const auto start = clock_.WallNow();
  // The sampler's thread finds a collector failing during the first write, recovered during
  // the second.
  struct Sampling final : StatusPublisher {
    RecordingPublisher& inner;
    StatusModel& model;
    Sampling(RecordingPublisher& i, StatusModel& m) : inner(i), model(m) {}
    base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& r, base::Millis t,
                                                     const base::StopSignal* c) override {
      if (inner.reports.size() == 0) model.SetCollectorProblem("collector pods failing for 46s: forbidden");
      if (inner.reports.size() == 1) model.SetCollectorProblem("collector pods failing for 47s: forbidden");
      if (inner.reports.size() == 2) model.SetCollectorProblem(std::nullopt);
      return inner.Publish(r, t, c);
    }
  } sampling(p, model_);
  StatusLoop(model_, sampling, clock_, std::chrono::seconds(60), &metrics_, &health_, 1).Run(stop_);
  ASSERT_EQ(p.reports.size(), 4u);
  EXPECT_EQ(p.reports[0].health, "healthy");
  EXPECT_EQ(p.reports[1].health, "degraded");
  EXPECT_EQ(p.reports[1].error, "collector pods failing for 46s: forbidden");
  EXPECT_LE(p.reports[1].last_update - start, std::chrono::seconds(1));
  // Only its text changed: written at the interval, and the recovery at once after it.
  EXPECT_EQ(p.reports[2].last_update - p.reports[1].last_update, std::chrono::seconds(60));
  EXPECT_EQ(p.reports[2].error, "collector pods failing for 47s: forbidden");
  EXPECT_EQ(p.reports[3].health, "healthy");
  EXPECT_LE(p.reports[3].last_update - p.reports[2].last_update, std::chrono::seconds(1));
}

// kube9-server's statusUpdateIntervalSeconds arrives on the registrar's thread at any time.
TEST_F(StatusLoopTest, ANewIntervalAppliesToTheNextWaitClampedAndKeepsTheLoopAlive) {
  RecordingPublisher p(stop_, 6);
  StatusLoop* loop = nullptr;
  std::vector<bool> alive;
  struct Registering final : StatusPublisher {
    std::function<void()> before;
    RecordingPublisher& inner;
    explicit Registering(RecordingPublisher& i) : inner(i) {}
    base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& r, base::Millis t,
                                                     const base::StopSignal* c) override {
      before();
      return inner.Publish(r, t, c);
    }
  } registering(p);
  registering.before = [&] {
    alive.push_back(health_.Live().ok);
    switch (p.reports.size()) {
      case 0: loop->SetInterval(std::chrono::seconds(10)); break;    // during the first write
      case 2: loop->SetInterval(std::chrono::hours(1)); break;       // beyond the allowed range
      case 4: loop->SetInterval(std::chrono::seconds(1)); break;     // below it
    }
  };
  StatusLoop l(model_, registering, clock_, std::chrono::seconds(60), &metrics_, &health_, 1);
  loop = &l;
  l.Run(stop_);
  ASSERT_EQ(p.reports.size(), 6u);
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < p.reports.size(); ++i) {
    gaps.push_back(std::chrono::duration_cast<std::chrono::seconds>(p.reports[i].last_update -
                                                                    p.reports[i - 1].last_update).count());
  }
  EXPECT_EQ(gaps, (std::vector<std::int64_t>{10, 10, 240, 240, 5}));
  EXPECT_EQ(l.interval(), std::chrono::seconds(5));
  // 240 s between writes is more than the budget of a 60 s loop: the budget followed.
  EXPECT_EQ(alive, std::vector<bool>(6, true));
}

TEST_F(StatusLoopTest, NotReadyUntilTheFirstWrite) {
  RecordingPublisher p(stop_, 1);
  auto loop = Loop(p, std::chrono::seconds(60));
  EXPECT_FALSE(health_.Ready().ok);
  EXPECT_THAT(health_.Ready().reason, ::testing::HasSubstr("not written yet"));
  loop->Run(stop_);
  EXPECT_TRUE(health_.Ready().ok);
}

TEST_F(StatusLoopTest, MissingNamespaceIsRetriedWithBackoffAndRecovers) {
  RecordingPublisher p(stop_, 100);
  for (int i = 0; i < 8; ++i) {
    p.failures.push_back(kube::ApiError{kube::ErrorKind::kNotFound, 404, "namespaces \"kube9-system\" not found", {}});
  }
  // Observe readiness while failing: stop right after the failures.
  RecordingPublisher probe(stop_, 8);
  probe.failures = p.failures;
  Loop(probe, std::chrono::seconds(60))->Run(stop_);
  auto verdict = health_.Ready();
  EXPECT_FALSE(verdict.ok);
  EXPECT_THAT(verdict.reason, ::testing::HasSubstr("namespace kube9-system not found"));
  // Gaps grow (1s, 2s, 4s, ... with jitter) but never exceed the interval.
  for (std::size_t i = 1; i < probe.reports.size(); ++i) {
    const auto gap = probe.reports[i].last_update - probe.reports[i - 1].last_update;
    EXPECT_LE(gap, std::chrono::seconds(60));
    EXPECT_GE(gap, std::chrono::milliseconds(500));
  }
  const auto first_gap = probe.reports[1].last_update - probe.reports[0].last_update;
  const auto last_gap = probe.reports[7].last_update - probe.reports[6].last_update;
  EXPECT_GT(last_gap, first_gap * 4);

  base::StopSignal stop2;
  RecordingPublisher recovering(stop2, 4);
  recovering.failures.push_back(kube::ApiError{kube::ErrorKind::kNotFound, 404, "not found", {}});
  StatusLoop(model_, recovering, clock_, std::chrono::seconds(60), &metrics_, &health_, 1).Run(stop2);
  EXPECT_TRUE(health_.Ready().ok) << "recovers by itself";
}

TEST_F(StatusLoopTest, ThrottlingHonoursRetryAfterButNeverWaitsPastTheInterval) {
  RecordingPublisher p(stop_, 3);
  p.failures.push_back(kube::ApiError{kube::ErrorKind::kThrottled, 429, "slow", base::Millis(20'000)});
  p.failures.push_back(kube::ApiError{kube::ErrorKind::kThrottled, 429, "slow", base::Millis(600'000)});
  Loop(p, std::chrono::seconds(30))->Run(stop_);
  ASSERT_EQ(p.reports.size(), 3u);
  EXPECT_GE(p.reports[1].last_update - p.reports[0].last_update, std::chrono::seconds(20));
  EXPECT_EQ(p.reports[2].last_update - p.reports[1].last_update, std::chrono::seconds(30));
}

TEST_F(StatusLoopTest, FinalWriteSaysShuttingDownWithinTheDeadline) {
  RecordingPublisher p(stop_, 1);
  auto loop = Loop(p, std::chrono::seconds(60));
  loop->Run(stop_);
  EXPECT_TRUE(loop->WriteFinal(std::chrono::seconds(3)));
  ASSERT_EQ(p.reports.size(), 2u);
  EXPECT_EQ(p.reports[1].health, "unhealthy");
  EXPECT_EQ(p.reports[1].error, "Shutting down");
  EXPECT_EQ(p.timeouts[1], std::chrono::seconds(3));
}

TEST_F(StatusLoopTest, WritesAreCounted) {
  RecordingPublisher p(stop_, 3);
  p.failures.push_back(kube::ApiError{kube::ErrorKind::kTransport, 0, "connection refused", {}});
  Loop(p, std::chrono::seconds(60))->Run(stop_);
  std::string text;
  for (const auto& f : registry_.Collect()) {
    if (f.name != "kube9_operator_status_writes_total") continue;
    for (const auto& m : f.metric) text += m.label.at(0).value + "=" + std::to_string(int(m.counter.value)) + ";";
  }
  EXPECT_EQ(text, "failure=1;success=2;");
}

}  // namespace
}  // namespace kube9::sinks
