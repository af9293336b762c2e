#include "gitops/gitops_loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/client.h"
#include "testing/fake_transport.h"

namespace kube9::gitops {
namespace {

const std::string kApisWithArgoCd =
    R"({"groups":[{"name":"argoproj.io","versions":[{"version":"v1alpha1"}],"preferredVersion":{"version":"v1alpha1"}}]})";
const std::string kApplications = R"({"resources":[{"name":"applications"}]})";
const std::string kNoDeployment = R"({"kind":"DeploymentList","metadata":{},"items":[]})";
const std::string kApisEmpty = R"({"groups":[]})";

class GitOpsLoopTest : public ::testing::Test {
 protected:
  GitOpsLoopTest() {
    kube::ClusterAccess access;
    access.server = "https://127.0.0.1:6443";
    access.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{"tok3n", "", ""});
    client_ = std::make_unique<kube::Client>(access, transport_, clock_);
    discovery_ = std::make_unique<kube::ApiDiscovery>(*client_, clock_);
    detector_ = std::make_unique<Detector>(*discovery_, *client_, clock_, "argocd");
  }
  GitOpsLoop Loop(GitOpsLoop::Options options) {
    return GitOpsLoop(
        *detector_,
        [this](base::Millis timeout, const base::StopSignal*) -> base::Expected<base::Ok, ArgoCdError> {
          probe_timeouts_.push_back(timeout);
          if (probe_ok_) return base::Ok{};
          return base::Unexpected(ArgoCdError{ArgoCdErrorCode::kTokenMissing, "no token"});
        },
        clock_, options,
        [this](const GitOpsSnapshot& s, const std::optional<ResourceTreeProbe>& p) { published_.emplace_back(s, p); });
  }
  std::size_t Discoveries() const {
    std::size_t n = 0;
    for (const auto& r : transport_.requests()) n += r.url.ends_with("/apis") ? 1 : 0;
    return n;
  }

  testing::FakeTransport transport_;
  base::FakeClock clock_;
  base::StopSignal stop_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::ApiDiscovery> discovery_;
  std::unique_ptr<Detector> detector_;
  bool probe_ok_ = false;
  std::vector<base::Millis> probe_timeouts_;
  std::vector<std::pair<GitOpsSnapshot, std::optional<ResourceTreeProbe>>> published_;
};

TEST_F(GitOpsLoopTest, DiscoveryRunsEveryIntervalAndTheProbeAtEachRoundWhileArgoCdIsThere) {
  auto loop = Loop({std::chrono::minutes(3), std::chrono::minutes(1), std::chrono::seconds(5)});
  transport_.Reply(200, kApisWithArgoCd);
  transport_.Reply(200, kApplications);
  transport_.Reply(200, kNoDeployment);
  loop.RunOnce(stop_);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_TRUE(published_[0].first.argocd.detected);
  ASSERT_TRUE(published_[0].second);
  EXPECT_FALSE(published_[0].second->capable);
  EXPECT_EQ(published_[0].second->last_error->code, ArgoCdErrorCode::kTokenMissing);
  EXPECT_EQ(probe_timeouts_, std::vector<base::Millis>{std::chrono::seconds(5)}) << "the probe is bounded";
  // A minute later: a probe, no discovery.
  probe_ok_ = true;
  clock_.Advance(std::chrono::minutes(1));
  loop.RunOnce(stop_);
  EXPECT_EQ(Discoveries(), 1u);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_TRUE(published_[1].second->capable);
  EXPECT_FALSE(published_[1].second->last_error);
  // Three minutes after the first: discovery again, and Argo CD is gone: no probe.
  clock_.Advance(std::chrono::minutes(2));
  transport_.Reply(200, kApisEmpty);
  loop.RunOnce(stop_);
  EXPECT_EQ(Discoveries(), 2u);
  EXPECT_FALSE(published_[2].first.argocd.detected);
  EXPECT_FALSE(published_[2].second);
  EXPECT_EQ(probe_timeouts_.size(), 2u);
}

TEST_F(GitOpsLoopTest, AFailedFirstDiscoveryPublishesThatNothingIsKnownYet) {
  auto loop = Loop({std::chrono::minutes(3), std::chrono::minutes(1), std::chrono::seconds(5)});
  transport_.FailTransport();
  loop.RunOnce(stop_);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_FALSE(published_[0].first.looked);
  EXPECT_TRUE(probe_timeouts_.empty());
}

TEST_F(GitOpsLoopTest, RunWakesForTheProbeIntervalAndStops) {
  for (int i = 0; i < 3; ++i) transport_.Reply(200, kApisEmpty);
  int rounds = 0;
  std::vector<base::SteadyTime> at;
  GitOpsLoop loop(
      *detector_,
      [](base::Millis, const base::StopSignal*) -> base::Expected<base::Ok, ArgoCdError> { return base::Ok{}; }, clock_,
      {std::chrono::minutes(3), std::chrono::seconds(60), std::chrono::seconds(5)},
      [&](const GitOpsSnapshot&, const std::optional<ResourceTreeProbe>&) { at.push_back(clock_.Now()); },
      [&] {
        if (++rounds == 7) stop_.Stop();
      });
  loop.Run(stop_);
  ASSERT_EQ(at.size(), 7u);
  for (std::size_t i = 1; i < at.size(); ++i) EXPECT_EQ(at[i] - at[i - 1], std::chrono::seconds(60));
  EXPECT_EQ(Discoveries(), 3u) << "at 0, 3 and 6 minutes";
}

}  // namespace
}  // namespace kube9::gitops
