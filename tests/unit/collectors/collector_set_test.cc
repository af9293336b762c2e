#include "collectors/collector_set.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "collectors/resources/argocd_applications.h"
#include "collectors/resources/flux_kustomizations.h"
#include "collectors/resources/vertical_pod_autoscalers.h"
#include "gitops/gitops_loop.h"
#include "kube/credentials.h"

namespace kube9::collectors {
namespace {

using std::chrono::seconds;

kube::ApiError Forbidden() {
  return {
      kube::ErrorKind::kForbidden, 403, "pods is forbidden: User \"system:serviceaccount:x:y\" cannot list pods", {}};
}

TEST(DescribeCollectorFailuresTest, NothingWhileNoCollectorFailedForLongerThanTheThreshold) {
  EXPECT_EQ(DescribeCollectorFailures({}, seconds(45)), std::nullopt);
  EXPECT_EQ(DescribeCollectorFailures({{"pods", seconds(45), Forbidden()}}, seconds(45)), std::nullopt)
      << "exactly the threshold is not longer than it";
}

TEST(DescribeCollectorFailuresTest, NamesTheCollectorHowLongAndWhy) {
  EXPECT_EQ(
      DescribeCollectorFailures(
          {{"nodes", seconds(3), Forbidden()}, {"pods", std::chrono::milliseconds(125'700), Forbidden()}}, seconds(45)),
      "collector pods failing for 2m5s: forbidden (HTTP 403): pods is forbidden: User "
      "\"system:serviceaccount:x:y\" cannot list pods");
}

TEST(DescribeCollectorFailuresTest, SeveralCollectorsAreNamedFirstSoThatTruncationKeepsEveryName) {
  kube::ApiError refused{kube::ErrorKind::kTransport, 0, "connection refused", {}};
  auto text =
      DescribeCollectorFailures({{"pods", seconds(60), Forbidden()}, {"services", seconds(50), refused}}, seconds(45));
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, ::testing::StartsWith("collectors pods, services failing: pods for 1m: forbidden (HTTP 403): "));
  EXPECT_THAT(*text, ::testing::EndsWith("; services for 50s: transport: connection refused"));
}

// An API server for the set's reflectors, without sockets: a LIST answers `lists[path]` (or 403
// when the path has none) and a WATCH stays open until its collector is stopped. Tells the
// test when a watch opened (the collector's first LIST is done) and when it ended.
class ParkingTransport final : public http::Transport {
 public:
  std::map<std::string, std::string> lists;
  // Discovery documents (GET /apis, GET /apis/<group>/<version>) by path; 404 when absent.
  std::map<std::string, std::string> discovery;

  base::Expected<http::Response, http::TransportError> Send(const http::Request& request) override {
    std::string path = request.url.substr(0, request.url.find('?'));
    path.erase(0, path.find("/api"));
    std::lock_guard lock(mu_);
    auto it = discovery.find(path);
    if (it == discovery.end()) return http::Response{404, {}, R"({"kind":"Status","reason":"NotFound","code":404})"};
    return http::Response{200, {}, it->second};
  }
  void SetDiscovery(const std::string& path, std::optional<std::string> body) {
    std::lock_guard lock(mu_);
    if (body) {
      discovery[path] = *body;
    } else {
      discovery.erase(path);
    }
  }
  base::Expected<int, http::TransportError> Stream(const http::Request& request, http::StreamHandler& handler,
                                                   const base::StopSignal& stop) override {
    std::string path = request.url.substr(0, request.url.find('?'));
    path.erase(0, path.find("/api"));  // after the server
    if (request.url.find("watch=true") != std::string::npos) {
      Note(watching_, path, +1);
      while (!stop.WaitFor(std::chrono::seconds(5))) {
      }
      Note(watching_, path, -1);
      return 200;
    }
    std::string body;
    int status = 200;
    {
      std::lock_guard lock(mu_);
      auto it = lists.find(path);
      if (it != lists.end()) {
        body = it->second;
      } else {
        status = 403;
        body = R"({"kind":"Status","reason":"Forbidden","code":403,"message":"forbidden"})";
      }
    }
    http::Headers headers;
    if (!handler.OnHeaders(status, headers)) return status;
    handler.OnData(body);
    return status;
  }
  // Waits until `path` has `n` open watches.
  void WaitWatching(const std::string& path, int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return watching_[path] == n; });
  }

 private:
  void Note(std::map<std::string, int>& m, const std::string& path, int delta) {
    std::lock_guard lock(mu_);
    m[path] += delta;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> watching_;
};

// Records which resources' series were dropped.
class StoppedObserver final : public kube::ReflectorObserver {
 public:
  void OnRelist(std::string_view, std::string_view) override {}
  void OnSynced(std::string_view, std::size_t) override {}
  void OnWatchEvent(std::string_view, kube::EventType) override {}
  void OnError(std::string_view, const kube::ApiError&) override {}
  void OnStopped(std::string_view resource) override {
    std::lock_guard lock(mu_);
    stopped.emplace_back(resource);
  }
  std::vector<std::string> Stopped() {
    std::lock_guard lock(mu_);
    return stopped;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> stopped;
};

constexpr const char* kApps = "/apis/argoproj.io/v1alpha1/applications";
constexpr const char* kKustomizations = "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations";

class OptionalCollectorsTest : public ::testing::Test {
 protected:
  OptionalCollectorsTest() {
    kube::ClusterAccess access;
    access.server = "https://k";
    access.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{});
    client_ = std::make_unique<kube::Client>(access, transport_, clock_);
    transport_.lists[kApps] =
        R"({"kind":"ApplicationList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a",
        "namespace":"argocd","uid":"u1"},"status":{"health":{"status":"Healthy"},"sync":{"status":"Synced"}}}]})";
    transport_.lists["/api/v1/namespaces"] =
        R"({"kind":"NamespaceList","metadata":{"resourceVersion":"7"},"items":[]})";
  }
  std::unique_ptr<CollectorSet> Make(std::vector<std::string> enabled) {
    return std::make_unique<CollectorSet>(enabled, *client_, clock_, &observer_);
  }

  ParkingTransport transport_;
  base::FakeClock clock_;
  base::StopSignal stop_;
  StoppedObserver observer_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(OptionalCollectorsTest, StartsWhenItsApiIsServedAndStopsWhenItGoesWithoutHoldingReadinessBack) {
  auto set = Make({"namespaces", "applications", "kustomizations"});
  set->Start(stop_, base::LogOnlyThreadFailures());
  transport_.WaitWatching("/api/v1/namespaces", 1);
  EXPECT_TRUE(set->Unsynced().empty()) << "optional collectors not started are not waited for";
  EXPECT_TRUE(set->RunningOptional().empty());
  EXPECT_EQ(set->FindOptional(kArgoCdApplications), nullptr);

  set->SetServedApis({"argoproj.io/v1alpha1/applications", "argoproj.io/v1alpha1", "v1"});
  transport_.WaitWatching(kApps, 1);
  EXPECT_EQ(set->RunningOptional(), std::vector<std::string>{"applications"});
  auto store = set->FindOptional(kArgoCdApplications);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 1u);
  EXPECT_TRUE(set->Unsynced().empty());
  bool listed = false;
  for (const auto& s : set->Stats()) listed |= s.resource == "applications" && s.objects == 1;
  EXPECT_TRUE(listed) << "a running optional collector has self metrics";

  set->SetServedApis({"argoproj.io/v1alpha1/applications", "argoproj.io/v1alpha1", "v1"});  // the same again: nothing restarts
  EXPECT_EQ(set->FindOptional(kArgoCdApplications), store);

  set->SetServedApis({"v1"});  // Argo CD removed
  EXPECT_TRUE(set->RunningOptional().empty());
  EXPECT_EQ(set->FindOptional(kArgoCdApplications), nullptr);
  EXPECT_EQ(observer_.Stopped(), std::vector<std::string>{"applications"}) << "its series go";
  for (const auto& s : set->Stats()) EXPECT_NE(s.resource, "applications");
  EXPECT_EQ(store->size(), 1u) << "a reader still holding the store keeps it alive";
  transport_.WaitWatching(kApps, 0);

  set->SetServedApis({"argoproj.io/v1alpha1/applications", "argoproj.io/v1alpha1", "v1"});  // installed again
  transport_.WaitWatching(kApps, 1);
  EXPECT_NE(set->FindOptional(kArgoCdApplications), nullptr);
  stop_.Stop();
  set->Join();
  transport_.WaitWatching(kApps, 0);
  transport_.WaitWatching("/api/v1/namespaces", 0);
}

TEST_F(OptionalCollectorsTest, WhatDiscoveryFoundBeforeTheStartIsStartedThenAndADisabledOneNever) {
  auto set = Make({"namespaces", "kustomizations"});
  set->SetServedApis({"argoproj.io/v1alpha1/applications", "kustomize.toolkit.fluxcd.io/v1"});
  EXPECT_TRUE(set->RunningOptional().empty()) << "nothing runs before Start";
  set->Start(stop_, base::LogOnlyThreadFailures());
  EXPECT_EQ(set->RunningOptional(), std::vector<std::string>{"kustomizations"}) << "applications is not enabled";
  stop_.Stop();
  set->Join();
}

TEST_F(OptionalCollectorsTest, AFailingOptionalCollectorCountsAsFailingOnlyWhileStarted) {
  auto set = Make({"kustomizations"});  // its LIST is answered 403
  set->Start(stop_, base::LogOnlyThreadFailures());
  set->SetServedApis({"kustomize.toolkit.fluxcd.io/v1"});
  // The reflector retries with a backoff on the simulated clock; wait for its first failure.
  while (set->Failures().empty()) std::this_thread::yield();
  EXPECT_EQ(set->Failures().front().collector, "kustomizations");
  EXPECT_EQ(set->FindOptional(kFluxKustomizations), nullptr) << "never listed: not a picture";
  EXPECT_TRUE(set->Unsynced().empty());
  set->SetServedApis({});
  EXPECT_TRUE(set->Failures().empty());
  stop_.Stop();
  set->Join();
}

// The one mechanism for every optional collector: the gitops thread's discovery, every
// --discovery-interval on the simulated clock, starts VPA's collector when the API server
// begins to serve autoscaling.k8s.io and stops it when it stops, as it does Argo CD's (which
// needs applications listed: Argo Workflows alone shares its group).
class PeriodicDiscoveryTest : public OptionalCollectorsTest {
 protected:
  static constexpr const char* kVpas = "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers";
  static std::string Apis(const std::vector<std::string>& groups) {
    std::string out = R"({"kind":"APIGroupList","groups":[)";
    for (const auto& g : groups) {
      const auto slash = g.find('/');
      out += (out.ends_with("[") ? "" : ",") +
             fmt::format(R"({{"name":"{0}","versions":[{{"version":"{1}"}}],"preferredVersion":{{"version":"{1}"}}}})",
                         g.substr(0, slash), g.substr(slash + 1));
    }
    return out + "]}";
  }
  PeriodicDiscoveryTest() {
    transport_.lists[kVpas] =
        R"({"kind":"VerticalPodAutoscalerList","metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"web",
        "namespace":"shop"},"spec":{"targetRef":{"kind":"Deployment","name":"web"}}}]})";
    transport_.SetDiscovery("/apis", Apis({"apps/v1"}));
    collectors::ListOptionalResources(discovery_);
    discovery_.OnChange([this](const kube::DiscoverySnapshot& s) { set_->SetServedApis(ServedApisOf(s)); });
    set_ = Make({"namespaces", "verticalpodautoscalers", "applications"});
    set_->Start(stop_, base::LogOnlyThreadFailures());
  }
  ~PeriodicDiscoveryTest() override {
    stop_.Stop();
    set_->Join();
  }
  kube::ApiDiscovery discovery_{*client_, clock_};
  gitops::Detector detector_{discovery_, *client_, clock_, "argocd"};
  gitops::GitOpsLoop loop_{detector_,
                           [](base::Millis, const base::StopSignal*) -> base::Expected<base::Ok, gitops::ArgoCdError> {
                             return base::Ok{};
                           },
                           clock_,
                           {std::chrono::minutes(3), std::chrono::minutes(1), std::chrono::seconds(5)},
                           [](const gitops::GitOpsSnapshot&, const std::optional<gitops::ResourceTreeProbe>&) {}};
  std::unique_ptr<CollectorSet> set_;
};

TEST_F(PeriodicDiscoveryTest, VpaStartsAndStopsWithItsApiWithinOneIntervalWithoutARestart) {
  loop_.RunOnce(stop_);
  EXPECT_TRUE(set_->RunningOptional().empty()) << "autoscaling.k8s.io not served";

  transport_.SetDiscovery("/apis", Apis({"apps/v1", "autoscaling.k8s.io/v1"}));  // VPA's CRDs installed
  clock_.Advance(std::chrono::minutes(2));
  loop_.RunOnce(stop_);
  EXPECT_TRUE(set_->RunningOptional().empty()) << "the next discovery is 3 minutes after the last";
  clock_.Advance(std::chrono::minutes(1));
  loop_.RunOnce(stop_);
  EXPECT_EQ(set_->RunningOptional(), std::vector<std::string>{"verticalpodautoscalers"});
  transport_.WaitWatching(kVpas, 1);  // listed
  auto vpas = set_->SyncedOptional().Find(kVerticalPodAutoscalers);
  ASSERT_NE(vpas, nullptr);
  EXPECT_EQ(vpas->size(), 1u);
  EXPECT_TRUE(set_->Unsynced().empty()) << "never part of readiness";

  transport_.SetDiscovery("/apis", Apis({"apps/v1"}));  // VPA's CRDs deleted
  clock_.Advance(std::chrono::minutes(3));
  loop_.RunOnce(stop_);
  EXPECT_TRUE(set_->RunningOptional().empty());
  EXPECT_EQ(set_->SyncedOptional().Find(kVerticalPodAutoscalers), nullptr);
  EXPECT_EQ(observer_.Stopped(), std::vector<std::string>{"verticalpodautoscalers"}) << "its series go";
  transport_.WaitWatching(kVpas, 0);
}

TEST_F(PeriodicDiscoveryTest, ASharedGroupStartsItsCollectorOnlyWhenTheResourceItselfIsServed) {
  transport_.SetDiscovery("/apis", Apis({"argoproj.io/v1alpha1"}));
  transport_.SetDiscovery("/apis/argoproj.io/v1alpha1", R"({"resources":[{"name":"workflows"}]})");
  loop_.RunOnce(stop_);
  EXPECT_TRUE(set_->RunningOptional().empty()) << "Argo Workflows alone is not Argo CD";
  EXPECT_FALSE(detector_.Snapshot().argocd.detected);

  transport_.SetDiscovery("/apis/argoproj.io/v1alpha1",
                          R"({"resources":[{"name":"workflows"},{"name":"applications"}]})");
  transport_.lists["/apis/apps/v1/namespaces/argocd/deployments"] =
      R"({"kind":"DeploymentList","metadata":{"resourceVersion":"1"},"items":[]})";
  clock_.Advance(std::chrono::minutes(3));
  loop_.RunOnce(stop_);
  EXPECT_EQ(set_->RunningOptional(), std::vector<std::string>{"applications"});
  EXPECT_TRUE(detector_.Snapshot().argocd.detected) << "the GitOps detection reads the same discovery";
}

TEST(ServedApisTest, AnOptionalCollectorIsServedByItsGroupVersionOrByItsResource) {
  kube::DiscoverySnapshot s;
  s.looked = true;
  s.groups = {{"autoscaling.k8s.io", {"v1", "v1beta2"}, "v1"}, {"argoproj.io", {"v1alpha1"}, "v1alpha1"}};
  s.resources = {"argoproj.io/v1alpha1/workflows"};
  const ServedApis served = ServedApisOf(s);
  auto registration = [](std::string_view name) {
    for (const auto& r : Registry()) {
      if (r.kind.name == name) return r;
    }
    ADD_FAILURE() << name;
    return Registration{};
  };
  EXPECT_EQ(ServedKeyOf(registration("verticalpodautoscalers")), "autoscaling.k8s.io/v1");
  EXPECT_TRUE(served.contains(ServedKeyOf(registration("verticalpodautoscalers"))));
  EXPECT_EQ(ServedKeyOf(registration("applications")), "argoproj.io/v1alpha1/applications");
  EXPECT_FALSE(served.contains(ServedKeyOf(registration("applications")))) << "the group alone is not enough";
  EXPECT_FALSE(served.contains(ServedKeyOf(registration("kustomizations"))));
}

TEST(GroupVersionOfTest, NamedGroupsAndTheCoreGroup) {
  EXPECT_EQ(GroupVersionOf(kArgoCdApplications.kind), "argoproj.io/v1alpha1");
  EXPECT_EQ(GroupVersionOf(kFluxKustomizations.kind), "kustomize.toolkit.fluxcd.io/v1");
  EXPECT_EQ(GroupVersionOf(kPods.kind), "v1");
}

}  // namespace
}  // namespace kube9::collectors
