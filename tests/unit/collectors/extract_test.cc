#include "collectors/extract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/json_text.h"

namespace kube9::collectors {
namespace {

using kube9::testing::Json;

TEST(ExtractNodeTest, ConditionsAllocatableAndProvider) {
  auto d = Json(R"({"metadata":{"name":"n1","uid":"u"},"spec":{"providerID":"aws:///us-east-1a/i-0abc"},
    "status":{"allocatable":{"cpu":"3500m","memory":"8Gi","pods":"110"},
      "conditions":[{"type":"Ready","status":"False"},{"type":"MemoryPressure","status":"True"},
                    {"type":"DiskPressure","status":"False"}]}})");
  auto n = ExtractNode(d);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ready(), Tri::kFalse);
  EXPECT_EQ(n->conditions[1], Tri::kTrue);
  EXPECT_EQ(n->conditions[2], Tri::kFalse);
  EXPECT_EQ(n->conditions[3], Tri::kUnknown) << "missing condition";
  EXPECT_EQ(n->allocatable_cpu_milli, 3500);
  EXPECT_EQ(n->allocatable_memory_bytes, 8589934592);
  EXPECT_EQ(n->provider, "aws");
}

TEST(ExtractNodeTest, ProviderFromLabelsAndUnknown) {
  EXPECT_EQ(DetectProvider(Json(R"({"metadata":{"labels":{"cloud.google.com/gke-nodepool":"p"}}})")), "gcp");
  EXPECT_EQ(DetectProvider(Json(R"({"spec":{"providerID":"kind://docker/kind/kind-control-plane"}})")), "kind");
  EXPECT_EQ(DetectProvider(Json(R"({"spec":{"providerID":"weird://x"}})")), "");
  EXPECT_EQ(DetectProvider(Json(R"({"metadata":{"name":"n"}})")), "");
}

TEST(ExtractPodTest, StatusesAndEffectiveResources) {
  auto d = Json(R"({"metadata":{"namespace":"shop","name":"p","uid":"u","creationTimestamp":"2026-11-27T10:00:00Z"},
    "spec":{"initContainers":[{"name":"i","resources":{"requests":{"cpu":"2","memory":"1Gi"}}}],
            "containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"128Mi"},"limits":{"memory":"256Mi"}}},
                          {"name":"b","resources":{"limits":{"cpu":"500m","memory":"64Mi"}}}]},
    "status":{"phase":"Running",
      "initContainerStatuses":[{"name":"i","restartCount":1,"state":{"waiting":{"reason":"PodInitializing"}}}],
      "containerStatuses":[
        {"name":"a","restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}},
         "lastState":{"terminated":{"reason":"OOMKilled","exitCode":137}}},
        {"name":"b","restartCount":0,"state":{"waiting":{"reason":"SomethingNew"}}}]}})");
  auto p = ExtractPod(d);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ns, "shop");
  EXPECT_EQ(p->phase, PodPhase::kRunning);
  EXPECT_EQ(p->created_unix, 1795773600);
  EXPECT_EQ(p->restarts, 6u);
  EXPECT_EQ(p->oom_killed, 1u);
  std::vector<std::string_view> reasons;
  for (auto w : p->waiting) reasons.push_back(kWaitingReasons[w]);
  EXPECT_THAT(reasons, ::testing::UnorderedElementsAre("CrashLoopBackOff", "Other", "PodInitializing"));
  // cpu: containers 250m + 500m (limit stands in for the missing request) < init 2 -> 2000m.
  EXPECT_EQ(p->request_cpu_milli, 2000);
  // memory: 128Mi + 64Mi = 192Mi < init 1Gi -> 1Gi.
  EXPECT_EQ(p->request_memory_bytes, 1073741824);
  EXPECT_EQ(p->limit_cpu_milli, 500);
  EXPECT_EQ(p->limit_memory_bytes, (256 + 64) * 1048576LL);
}

TEST(ExtractPodTest, SidecarsAndOverheadCountAsTheSchedulerCountsThem) {
  // A 500m sidecar beside a 100m app is 600m; a 1-core init container that starts after the
  // sidecar needs 1.5 cores at its peak, which is the larger figure.
  auto p = ExtractPod(Json(R"({"metadata":{"namespace":"a"},"spec":{
      "initContainers":[{"name":"proxy","restartPolicy":"Always","resources":{"requests":{"cpu":"500m"},"limits":{"cpu":"1"}}},
                        {"name":"migrate","resources":{"requests":{"cpu":"1"}}}],
      "containers":[{"name":"app","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}],
      "overhead":{"cpu":"50m","memory":"10Mi"}}})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request_cpu_milli, 1500 + 50);
  EXPECT_EQ(p->request_memory_bytes, (64 + 10) * 1048576LL);
  EXPECT_EQ(p->limit_cpu_milli, 1000 + 50) << "overhead joins the limit where there is one";
  EXPECT_EQ(p->limit_memory_bytes, 0) << "no memory limit: no overhead added to it";
  auto small_init = ExtractPod(Json(R"({"metadata":{"namespace":"a"},"spec":{
      "initContainers":[{"restartPolicy":"Always","resources":{"requests":{"cpu":"500m"}}},{"resources":{"requests":{"cpu":"200m"}}}],
      "containers":[{"resources":{"requests":{"cpu":"100m"}}}]}})"));
  EXPECT_EQ(small_init->request_cpu_milli, 700) << "the init peak (200m + the 500m sidecar) beats 600m steady";
}

TEST(ExtractPodTest, MemoryIsWholeBytesRoundedUp) {
  auto p = ExtractPod(Json(R"({"metadata":{"namespace":"a"},"spec":{"containers":[
      {"resources":{"requests":{"memory":"1500m"},"limits":{"memory":"1k"}}}]}})"));
  EXPECT_EQ(p->request_memory_bytes, 2) << "1.5 bytes rounds up, as Kubernetes' Value() does";
  EXPECT_EQ(p->limit_memory_bytes, 1000);
}

TEST(ExtractPodTest, NoStatusIsPendingAndGarbageFieldsAreIgnored) {
  auto p = ExtractPod(Json(R"({"metadata":{"namespace":"a"},"spec":{"containers":[{"resources":{"requests":{"cpu":"lots"}}}]},
                               "status":{"containerStatuses":"not an array"}})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->phase, PodPhase::kPending);
  EXPECT_EQ(p->request_cpu_milli, 0);
  EXPECT_FALSE(ExtractPod(Json(R"({"kind":"Pod"})"))) << "no metadata: not usable";
  EXPECT_EQ(ExtractPod(Json(R"({"metadata":{},"status":{"phase":"Exploded"}})"))->phase, PodPhase::kUnknown);
}

TEST(ExtractWorkloadTest, DeploymentStatefulSetDaemonSet) {
  auto dep = ExtractDeployment(Json(R"({"metadata":{"namespace":"a","name":"web"},"spec":{"replicas":3},
      "status":{"readyReplicas":2,"availableReplicas":2,"unavailableReplicas":1}})"));
  EXPECT_EQ(std::tie(dep->desired, dep->ready, dep->available, dep->unavailable), std::make_tuple(3, 2, 2, 1));
  EXPECT_EQ(dep->name, "web");
  auto dflt = ExtractDeployment(Json(R"({"metadata":{"namespace":"a","name":"x"},"spec":{}})"));
  EXPECT_EQ(dflt->desired, 1) << "spec.replicas defaults to 1";
  auto sts = ExtractStatefulSet(Json(R"({"metadata":{"namespace":"a","name":"db"},"spec":{"replicas":3},
      "status":{"readyReplicas":1,"availableReplicas":1}})"));
  EXPECT_EQ(sts->unavailable, 2);
  auto ds = ExtractDaemonSet(Json(R"({"metadata":{"namespace":"a","name":"agent"},
      "status":{"desiredNumberScheduled":5,"numberReady":4,"numberAvailable":4,"numberUnavailable":1}})"));
  EXPECT_EQ(std::tie(ds->desired, ds->ready, ds->available, ds->unavailable), std::make_tuple(5, 4, 4, 1));
  EXPECT_EQ(ds->kind, WorkloadKind::kDaemonSet);
}

TEST(ExtractJobTest, StateFromConditions) {
  auto job = [](const char* status) {
    return ExtractJob(Json((std::string(R"({"metadata":{"namespace":"a"},"status":)") + status + "}").c_str()))->state;
  };
  EXPECT_EQ(job(R"({"conditions":[{"type":"FailureTarget","status":"True"},{"type":"Failed","status":"True"}]})"), JobState::kFailed);
  EXPECT_EQ(job(R"({"conditions":[{"type":"Complete","status":"True"}]})"), JobState::kSucceeded);
  EXPECT_EQ(job(R"({"conditions":[{"type":"Failed","status":"False"}],"active":1})"), JobState::kActive);
  EXPECT_EQ(job(R"({})"), JobState::kOther);
}

TEST(ExtractOtherTest, PvcServiceNamespace) {
  EXPECT_EQ(ExtractPvc(Json(R"({"metadata":{"namespace":"a"},"status":{"phase":"Bound"}})"))->phase, 1);
  EXPECT_EQ(ExtractPvc(Json(R"({"metadata":{"namespace":"a"}})"))->phase, 0) << "no status yet: Pending";
  EXPECT_EQ(ExtractService(Json(R"({"metadata":{"namespace":"a"},"spec":{"type":"LoadBalancer"}})"))->type, "LoadBalancer");
  EXPECT_EQ(ExtractService(Json(R"({"metadata":{"namespace":"a"},"spec":{}})"))->type, "ClusterIP");
  EXPECT_EQ(ExtractNamespace(Json(R"({"metadata":{"name":"kube-system"}})"))->name, "kube-system");
}

}  // namespace
}  // namespace kube9::collectors
