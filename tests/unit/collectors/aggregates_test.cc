#include "collectors/aggregates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include <fmt/format.h>

#include "collectors/quantity.h"
#include "exporter/cluster_metrics.h"

namespace kube9::collectors {
namespace {

const base::WallTime kNow{std::chrono::seconds(1795774800)};  // 2026-11-27T10:20:00Z

class AggregatesTest : public ::testing::Test {
 protected:
  AggregatesTest() {
    stores_.Add(collectors::kNodes);
    stores_.Add(collectors::kPods);
    stores_.Add(collectors::kDeployments);
    stores_.Add(collectors::kPersistentVolumeClaims);
    stores_.Add(collectors::kJobs);
  }
  template <typename T>
  void Add(Store<T>& store, const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    ASSERT_FALSE(d.HasParseError()) << json;
    store.OnEvent(kube::EventType::kAdded, d);
  }
  std::string Uid() { return "00000000-0000-0000-0000-" + std::to_string(100000000000 + next_++); }
  void Node(const char* ready, const char* cpu) {
    Add(*stores_.Find(collectors::kNodes), R"({"metadata":{"uid":")" + Uid() + R"("},"status":{"allocatable":{"cpu":")" + cpu +
                            R"(","memory":"1Gi"},"conditions":[{"type":"Ready","status":")" + ready + "\"}]}}");
  }
  void Pod(const char* ns, const char* status, const char* created = "2026-11-27T10:19:00Z") {
    Add(*stores_.Find(collectors::kPods), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":")" + ns + R"(","creationTimestamp":")" +
                           created + R"("},"spec":{"containers":[{"resources":{"requests":{"cpu":"100m"}}}]},"status":)" +
                           status + "}");
  }
  const HealthCheck& Check(const ClusterAggregates& a, std::string_view name) {
    auto it = std::find_if(a.checks.begin(), a.checks.end(), [&](const HealthCheck& c) { return c.name == name; });
    EXPECT_NE(it, a.checks.end()) << name;
    return *it;
  }
  ClusterStores stores_;
  int next_ = 0;
};

TEST_F(AggregatesTest, EmptyClusterIsPerfectlyHealthy) {
  auto a = Aggregate(stores_, kNow, "v1.35.4");
  EXPECT_EQ(a.score, 100);
  EXPECT_EQ(a.provider, "unknown");
  EXPECT_EQ(a.checks.size(), 8u);
  for (const auto& c : a.checks) EXPECT_EQ(c.affected, 0) << c.name;
}

TEST_F(AggregatesTest, NodesCountsAndAllocatableOfReadyNodesOnly) {
  Node("True", "4");
  Node("True", "3500m");
  Node("False", "8");
  auto a = Aggregate(stores_, kNow, "");
  EXPECT_EQ(a.nodes_by_ready, (std::array<std::int64_t, 3>{2, 1, 0}));
  EXPECT_EQ(a.allocatable_cpu_milli, 7500);
  EXPECT_EQ(Check(a, "nodes_not_ready").affected, 1);
  EXPECT_EQ(Check(a, "nodes_not_ready").severity, Severity::kCritical);
  EXPECT_EQ(a.score, 90) << "100 - 30 * 1/3";
}

TEST_F(AggregatesTest, PodsByNamespaceWaitingRestartsAndChecks) {
  Pod("a", R"({"phase":"Running"})");
  Pod("a", R"({"phase":"Running","containerStatuses":[{"restartCount":4,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"reason":"OOMKilled"}}}]})");
  Pod("b", R"({"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"ImagePullBackOff"}}}]})");
  Pod("b", R"({"phase":"Pending"})", "2026-11-27T10:00:00Z");  // pending for 20 minutes
  Pod("b", R"({"phase":"Succeeded"})");
  auto a = Aggregate(stores_, kNow, "");
  const auto& na = a.namespaces.at("a");
  EXPECT_EQ(na.pods_by_phase[1], 2);
  EXPECT_EQ(na.container_restarts, 4);
  EXPECT_EQ(na.containers_oom_killed, 1);
  EXPECT_EQ(na.containers_waiting[WaitingReasonIndex("CrashLoopBackOff")], 1);
  EXPECT_EQ(na.request_cpu_milli, 200);
  const auto& nb = a.namespaces.at("b");
  EXPECT_EQ(nb.pods_by_phase[0], 2);
  EXPECT_EQ(nb.pods_by_phase[2], 1);
  EXPECT_EQ(nb.request_cpu_milli, 200) << "the Succeeded pod's requests do not count";
  EXPECT_EQ(Check(a, "pods_crash_looping").affected, 1);
  EXPECT_EQ(Check(a, "pods_oom_killed").affected, 1);
  EXPECT_EQ(Check(a, "image_pull_failures").affected, 1);
  EXPECT_EQ(Check(a, "pods_pending_too_long").affected, 1) << "only the one created 20 minutes ago";
  EXPECT_EQ(Check(a, "pods_crash_looping").population, 5);
  // 100 - 15/5 - 10/5 - 10/5 - 10/5 = 91
  EXPECT_EQ(a.score, 91);
}

TEST_F(AggregatesTest, WorkloadsPvcsJobs) {
  Add(*stores_.Find(collectors::kDeployments), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":"a","name":"web"},"spec":{"replicas":2},"status":{"readyReplicas":1,"availableReplicas":1,"unavailableReplicas":1}})");
  Add(*stores_.Find(collectors::kDeployments), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":"a","name":"api"},"spec":{"replicas":1},"status":{"readyReplicas":1,"availableReplicas":1}})");
  Add(*stores_.Find(collectors::kPersistentVolumeClaims), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":"a"}})");
  Add(*stores_.Find(collectors::kPersistentVolumeClaims), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":"a"},"status":{"phase":"Bound"}})");
  Add(*stores_.Find(collectors::kJobs), R"({"metadata":{"uid":")" + Uid() + R"(","namespace":"c"},"status":{"conditions":[{"type":"Failed","status":"True"}]}})");
  auto a = Aggregate(stores_, kNow, "");
  ASSERT_EQ(a.workloads.size(), 2u);
  EXPECT_EQ(a.workloads[0].name, "api") << "sorted for stable output";
  EXPECT_EQ(Check(a, "workloads_unavailable").affected, 1);
  EXPECT_EQ(a.namespaces.at("a").pvcs_by_phase, (std::array<std::int64_t, 3>{1, 1, 0}));
  EXPECT_EQ(Check(a, "pvcs_pending").affected, 1);
  EXPECT_EQ(a.namespaces.at("c").jobs_by_state[2], 1);
  // 100 - 15 * 1/2 - 5 * 1/2 - 5 * 1/1 = 85
  EXPECT_EQ(a.score, 85);
}

TEST_F(AggregatesTest, HugeSumsStayExactAndSaturateInsteadOfOverflowing) {
  // Found by UBSan: two 8 PiB nodes overflowed a sum kept in milli-bytes. Bytes are exact.
  for (int i = 0; i < 2; ++i) {
    Add(*stores_.Find(collectors::kNodes), R"({"metadata":{"uid":")" + Uid() +
                            R"("},"status":{"allocatable":{"memory":"8Pi"},"conditions":[{"type":"Ready","status":"True"}]}})");
  }
  auto a = Aggregate(stores_, kNow, "");
  EXPECT_EQ(a.allocatable_memory_bytes, 2 * 9007199254740992LL);
  EXPECT_EQ(SaturatingAdd(INT64_MAX - 1, 5), INT64_MAX);
  EXPECT_EQ(SaturatingAdd(INT64_MIN, -1), INT64_MIN);
  EXPECT_EQ(SaturatingAdd(40, 2), 42);
}

TEST(HealthScoreTest, FormulaIsBoundedAndRounded) {
  EXPECT_EQ(HealthScore({}), 100);
  std::vector<HealthCheck> all_bad;
  for (int w : {30, 15, 10, 10, 10, 15, 5, 5}) all_bad.push_back({"c", Severity::kWarning, 10, 10, w});
  EXPECT_EQ(HealthScore(all_bad), 0);
  EXPECT_EQ(HealthScore({{"c", Severity::kWarning, 1, 3, 10}}), 97) << "96.67 rounds to 97";
  EXPECT_EQ(HealthScore({{"c", Severity::kWarning, 5, 0, 30}}), 100) << "no population, no penalty";
}

TEST_F(AggregatesTest, DisabledCollectorsExportNoFamilies) {
  ClusterStores only_pods;
  only_pods.Add(collectors::kPods);
  auto a = Aggregate(only_pods, kNow, "v1.35.4");
  std::set<std::string> names;
  for (const auto& f : exporter::ClusterMetrics::Render(a)) names.insert(f.name);
  EXPECT_TRUE(names.count("kube9_pods"));
  EXPECT_FALSE(names.count("kube9_nodes"));
  EXPECT_FALSE(names.count("kube9_workload_replicas"));
  EXPECT_FALSE(names.count("kube9_jobs"));
  EXPECT_TRUE(names.count("kube9_health_score"));
  EXPECT_EQ(a.checks.size(), 4u) << "only the pod checks";
}

TEST_F(AggregatesTest, RenderedFamiliesHaveTheContractLabels) {
  Node("True", "2");
  Pod("a", R"({"phase":"Running","containerStatuses":[{"state":{"waiting":{"reason":"ErrImagePull"}}}]})");
  auto a = Aggregate(stores_, kNow, "v1.35.4");
  std::map<std::string, std::vector<std::string>> series;
  for (const auto& f : exporter::ClusterMetrics::Render(a)) {
    for (const auto& m : f.metric) {
      std::string labels;
      for (const auto& l : m.label) labels += l.name + "=" + l.value + ",";
      series[f.name].push_back(labels + std::to_string(m.gauge.value));
    }
  }
  EXPECT_THAT(series["kube9_nodes"], ::testing::ElementsAre("ready=true,1.000000", "ready=false,0.000000", "ready=unknown,0.000000"));
  EXPECT_EQ(series["kube9_node_conditions"].size(), 15u);
  EXPECT_THAT(series["kube9_containers_waiting"], ::testing::ElementsAre("namespace=a,reason=ErrImagePull,1.000000"));
  EXPECT_EQ(series["kube9_pods"].size(), 5u) << "every phase, zeros included";
  EXPECT_THAT(series["kube9_cluster_info"], ::testing::ElementsAre("kubernetes_version=v1.35.4,provider=unknown,1.000000"));
  EXPECT_THAT(series["kube9_resource_requests"], ::testing::Contains("namespace=a,resource=cpu,0.100000"));
  EXPECT_THAT(series["kube9_node_allocatable"], ::testing::Contains("resource=cpu,2.000000"));
  EXPECT_THAT(series["kube9_health_check_affected"], ::testing::Contains("check=image_pull_failures,severity=warning,1.000000"));
}

// --shard/--total-shards: each shard counts its own objects, so that summing every series over
// the shards (PromQL's `sum`) gives the unsharded value, with the same series; the families that
// are not shares come from the status writer (shard 0) alone.
class ShardedAggregatesTest : public ::testing::Test {
 protected:
  using Series = std::map<std::string, double>;  // "family{labels}" -> value

  // A varied cluster, every object as JSON with its collector.
  void MakeCluster() {
    auto uid = [this] { return fmt::format("6f0b0b1e-0000-4000-8000-{:012}", next_++); };
    const char* ns[] = {"a", "b", "c", "d"};
    const char* waiting[] = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "ContainerCreating"};
    const char* phases[] = {"Running", "Pending", "Succeeded", "Failed", "Running"};
    for (const char* n : ns) objects_.emplace_back("namespaces", fmt::format(R"({{"metadata":{{"uid":"{}","name":"{}"}}}})", uid(), n));
    objects_.emplace_back("namespaces", fmt::format(R"({{"metadata":{{"uid":"{}","name":"empty"}}}})", uid()));
    for (int i = 0; i < 12; ++i) {
      objects_.emplace_back(
          "nodes", fmt::format(R"({{"metadata":{{"uid":"{}","labels":{{"topology.kubernetes.io/zone":"z{}"}}}},)"
                               R"("spec":{{"providerID":"aws:///z/i-{}"}},)"
                               R"("status":{{"allocatable":{{"cpu":"{}","memory":"{}Gi"}},"conditions":[)"
                               R"({{"type":"Ready","status":"{}"}},{{"type":"MemoryPressure","status":"{}"}}]}}}})",
                               uid(), i % 2, i, 2 + i % 3, 4 + i, i % 5 == 0 ? "False" : "True",
                               i % 4 == 0 ? "True" : "False"));
    }
    for (int i = 0; i < 60; ++i) {
      const std::string status =
          i % 3 == 0 ? fmt::format(R"(,"containerStatuses":[{{"restartCount":{},"state":{{"waiting":{{"reason":"{}"}}}},)"
                                   R"("lastState":{{"terminated":{{"reason":"{}"}}}}}}])",
                                   i % 7, waiting[i % 4], i % 2 ? "OOMKilled" : "Error")
                     : "";
      objects_.emplace_back(
          "pods", fmt::format(R"({{"metadata":{{"uid":"{}","namespace":"{}","creationTimestamp":"{}"}},)"
                              R"("spec":{{"containers":[{{"resources":{{"requests":{{"cpu":"{}m","memory":"{}Mi"}},)"
                              R"("limits":{{"cpu":"1","memory":"1Gi"}}}}}}]}},"status":{{"phase":"{}"{}}}}})",
                              uid(), ns[i % 4], i % 2 ? "2026-11-27T10:00:00Z" : "2026-11-27T10:19:00Z", 10 * i,
                              i + 1, phases[i % 5], status));
    }
    for (int i = 0; i < 9; ++i) {
      objects_.emplace_back(
          i % 3 == 0 ? "statefulsets" : "deployments",
          fmt::format(R"({{"metadata":{{"uid":"{}","namespace":"{}","name":"w{}"}},"spec":{{"replicas":{}}},)"
                      R"("status":{{"readyReplicas":{},"availableReplicas":{},"unavailableReplicas":{}}}}})",
                      uid(), ns[i % 4], i, 3, i % 4, i % 4, 3 - i % 4));
    }
    const char* pvc_phases[] = {"Pending", "Bound", "Lost"};
    for (int i = 0; i < 10; ++i) {
      objects_.emplace_back("persistentvolumeclaims",
                            fmt::format(R"({{"metadata":{{"uid":"{}","namespace":"{}"}},"status":{{"phase":"{}"}}}})",
                                        uid(), ns[i % 3], pvc_phases[i % 3]));
    }
    const char* job_conditions[] = {"", R"({"type":"Complete","status":"True"})",
                                    R"({"type":"Failed","status":"True"})"};
    for (int i = 0; i < 10; ++i) {
      objects_.emplace_back(
          "jobs", fmt::format(R"({{"metadata":{{"uid":"{}","namespace":"{}"}},"status":{{"active":{},"conditions":[{}]}}}})",
                              uid(), ns[(i + 1) % 4], i % 3 == 0 ? 1 : 0, job_conditions[i % 3]));
    }
  }

  static void AddAll(ClusterStores& stores) {
    stores.Add(kNamespaces);
    stores.Add(kNodes);
    stores.Add(kPods);
    stores.Add(kDeployments);
    stores.Add(kStatefulSets);
    stores.Add(kPersistentVolumeClaims);
    stores.Add(kJobs);
  }
  void Feed(ClusterStores& stores) const {
    for (const auto& [resource, json] : objects_) {
      rapidjson::Document d;
      d.Parse(json.c_str());
      ASSERT_FALSE(d.HasParseError()) << json;
      auto& handler = const_cast<StoreBase&>(*stores.FindByName(resource));
      handler.OnEvent(kube::EventType::kAdded, d);
    }
  }
  static Series SeriesOf(const std::vector<prometheus::MetricFamily>& families) {
    Series out;
    for (const auto& f : families) {
      for (const auto& m : f.metric) {
        std::string key = f.name + "{";
        for (const auto& l : m.label) key += l.name + "=" + l.value + ",";
        out[key + "}"] += m.gauge.value;
      }
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> objects_;
  int next_ = 0;
};

TEST_F(ShardedAggregatesTest, PerShardSeriesSumToTheUnshardedOnes) {
  MakeCluster();
  ClusterStores whole;
  AddAll(whole);
  Feed(whole);
  const ClusterAggregates cluster = Aggregate(whole, kNow, "v1.35.4");
  const Series expected = SeriesOf(exporter::ClusterMetrics::Render(cluster));

  constexpr int kShards = 3;
  Series summed;
  std::set<std::string> cluster_level;
  for (int k = 0; k < kShards; ++k) {
    // Shard 0 writes the status and keeps every object; the others keep only theirs.
    ClusterStores stores(Sharding{k, kShards, k == 0});
    AddAll(stores);
    Feed(stores);
    const auto* pods = stores.Find(kPods);
    std::size_t mine = 0;
    pods->ForEach(Scope::kShard, [&](const PodInfo&) { ++mine; });
    EXPECT_GT(mine, 5u) << "shard " << k << " has a share of the pods";
    EXPECT_LT(mine, 40u) << "shard " << k;
    EXPECT_EQ(pods->size(), k == 0 ? 60u : mine) << "shard " << k;
    EXPECT_EQ(stores.Find(kNamespaces)->size(), 5u) << "every shard keeps every namespace";

    const ClusterAggregates share = Aggregate(stores, kNow, "v1.35.4", Scope::kShard);
    std::optional<ClusterAggregates> full;
    if (k == 0) {
      full = Aggregate(stores, kNow, "v1.35.4");
      EXPECT_EQ(full->score, cluster.score) << "the writer's cluster-wide sample is the unsharded one";
    }
    for (const auto& [key, value] : SeriesOf(exporter::ClusterMetrics::Render(share, full ? &*full : nullptr))) {
      summed[key] += value;
      if (key.starts_with("kube9_cluster_info") || key.starts_with("kube9_health_score")) {
        EXPECT_EQ(k, 0) << key << " comes from the status writer only";
        cluster_level.insert(key);
      }
    }
  }
  EXPECT_EQ(cluster_level.size(), 2u);
  // The same series; values equal but for the rounding of cores (milli / 1000) summed in parts.
  ASSERT_EQ(summed.size(), expected.size());
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(summed.contains(key)) << key;
    EXPECT_NEAR(summed.at(key), value, 1e-9 * std::max(1.0, value)) << key;
  }
  // Not vacuous: the cluster has pods, nodes and failing checks in several namespaces.
  EXPECT_LT(cluster.score, 100);
  EXPECT_GT(expected.size(), 100u);
}

}  // namespace
}  // namespace kube9::collectors
