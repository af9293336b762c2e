#include "collectors/sampler.h"

#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/credentials.h"
#include "testing/fake_transport.h"

namespace kube9::collectors {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr base::Millis kInterval = seconds(30);

// Collectors whose first LISTs end when `unsynced` says: it is asked on every Unsynced() call,
// with how many calls came before, and names the collectors still listing.
class ScriptedSource final : public SampleSource {
 public:
  std::function<std::vector<std::string>(int call)> unsynced = [](int) { return std::vector<std::string>{}; };
  const ClusterStores& stores() const override { return stores_; }
  std::vector<std::string> Unsynced() const override { return unsynced(calls_++); }

 private:
  ClusterStores stores_;
  mutable int calls_ = 0;
};

struct Taken {
  base::Millis at{0};  // since the sampler started
  std::vector<std::string> unsynced;
  std::string version;
};

kube::ClusterAccess Access() {
  kube::ClusterAccess access;
  access.server = "https://k";
  access.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{"t", "", ""});
  return access;
}

// Runs a sampler on simulated time until it has handed `samples` samples to its consumer.
class SamplerTest : public ::testing::Test {
 protected:
  std::vector<Taken> Run(std::size_t samples) {
    std::vector<Taken> taken;
    base::StopSignal stop;
    const auto start = clock_.Now();
    Sampler sampler(source_, client_, clock_, kInterval,
                    {[&](const std::shared_ptr<const ClusterAggregates>& sample, const std::vector<std::string>& unsynced) {
                      taken.push_back({std::chrono::duration_cast<base::Millis>(clock_.Now() - start), unsynced,
                                       sample->kubernetes_version});
                      if (taken.size() == samples) stop.Stop();
                    }});
    sampler.Run(stop);
    return taken;
  }

  base::FakeClock clock_;
  testing::FakeTransport transport_;
  kube::Client client_{Access(), transport_, clock_};
  ScriptedSource source_;
};

// The race behind readiness staying stale for an interval: the last first LIST ends between
// the sample (which saw it unsynced) and the sampler's decision on how long to sleep.
TEST_F(SamplerTest, AListEndingJustAfterTheSampleIsSampledAgainAtOnceNotAnIntervalLater) {
  source_.unsynced = [](int call) {
    return call == 0 ? std::vector<std::string>{"limitranges"} : std::vector<std::string>{};
  };
  const auto taken = Run(2);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_THAT(taken[0].unsynced, ElementsAre("limitranges"));
  EXPECT_THAT(taken[1].unsynced, IsEmpty());
  EXPECT_LT(taken[1].at - taken[0].at, kInterval) << "the incomplete sample stood for a whole interval";
  EXPECT_EQ(taken[1].at, taken[0].at) << "nothing to wait for once every LIST is done";
}

TEST_F(SamplerTest, WhileCollectorsSyncItPollsAndSamplesAsSoonAsTheLastListEnds) {
  source_.unsynced = [this, start = clock_.Now()](int) {
    return clock_.Now() - start < milliseconds(1'250) ? std::vector<std::string>{"pods", "nodes"}
                                                      : std::vector<std::string>{};
  };
  const auto taken = Run(3);
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_THAT(taken[0].unsynced, ElementsAre("pods", "nodes"));
  EXPECT_THAT(taken[1].unsynced, IsEmpty());
  EXPECT_GE(taken[1].at, milliseconds(1'250));
  EXPECT_LE(taken[1].at, milliseconds(1'350)) << "within one 100 ms poll of the LIST's end";
  EXPECT_EQ(taken[2].at - taken[1].at, kInterval) << "complete: the next sample is an interval later";
}

TEST_F(SamplerTest, ACollectorThatNeverSyncsIsSampledOnceAnIntervalNotInABusyLoop) {
  source_.unsynced = [](int) { return std::vector<std::string>{"pods"}; };
  const auto taken = Run(3);
  ASSERT_EQ(taken.size(), 3u);
  for (const auto& t : taken) EXPECT_THAT(t.unsynced, ElementsAre("pods"));
  EXPECT_EQ(taken[1].at - taken[0].at, kInterval);
  EXPECT_EQ(taken[2].at - taken[1].at, kInterval);
}

TEST_F(SamplerTest, TheKubernetesVersionIsReadOnceThenEveryTenMinutesAndRetriedNextSampleAfterAFailure) {
  transport_.FailTransport();
  transport_.Reply(200, R"({"major":"1","minor":"31","gitVersion":"v1.31.2"})");
  transport_.Reply(200, R"({"major":"1","minor":"32","gitVersion":"v1.32.0"})");
  // 0: fails; 30 s: read; 60 s .. 600 s: kept; 630 s: ten minutes after the read, read again.
  const auto taken = Run(22);
  ASSERT_EQ(taken.size(), 22u);
  EXPECT_EQ(taken[0].version, "");
  EXPECT_EQ(taken[1].version, "v1.31.2") << "a failed first read is retried at the next sample";
  EXPECT_EQ(taken[20].version, "v1.31.2");
  EXPECT_EQ(taken[21].version, "v1.32.0");
  EXPECT_EQ(transport_.requests().size(), 3u) << "not read at every sample";
  EXPECT_EQ(transport_.requests().at(0).url, "https://k/version");
}

TEST_F(SamplerTest, AFailedRefreshKeepsTheVersionAlreadyKnown) {
  transport_.Reply(200, R"({"gitVersion":"v1.31.2"})");
  transport_.Reply(500, R"({"kind":"Status","code":500})");
  const auto taken = Run(22);
  ASSERT_EQ(taken.size(), 22u);
  EXPECT_EQ(taken[21].version, "v1.31.2");
  EXPECT_EQ(transport_.requests().size(), 2u) << "with a version known, a failed refresh waits ten minutes more";
}

TEST(ParseGitVersionTest, ReadsGitVersionAndGivesEmptyForAnythingElse) {
  EXPECT_EQ(ParseGitVersion(R"({"gitVersion":"v1.30.1+k3s1","major":"1"})"), "v1.30.1+k3s1");
  EXPECT_EQ(ParseGitVersion(R"({"major":"1"})"), "");
  EXPECT_EQ(ParseGitVersion(R"({"gitVersion":130})"), "");
  EXPECT_EQ(ParseGitVersion(R"(["v1.30.1"])"), "");
  EXPECT_EQ(ParseGitVersion("<html>proxy error</html>"), "");
  EXPECT_EQ(ParseGitVersion(""), "");
}

}  // namespace
}  // namespace kube9::collectors
