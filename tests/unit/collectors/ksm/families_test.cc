#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>

#include "collectors/ksm/registry.h"
#include "testing/ksm_stores.h"

namespace kube9::collectors::ksm {
namespace {

using ::testing::HasSubstr;
using testing::List;
using testing::Render;
using ::testing::Not;

constexpr const char* kDeployment = R"({
  "metadata": {"name": "web", "namespace": "shop", "uid": "0b7c3b2e-1111-4c4d-9e9f-000000000001",
               "generation": 3, "creationTimestamp": "2026-12-05T10:00:00Z",
               "labels": {"app": "web", "team": "a"}},
  "spec": {"replicas": 3, "strategy": {"type": "RollingUpdate",
           "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}},
  "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1,
             "updatedReplicas": 3, "observedGeneration": 3,
             "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                            {"type": "Progressing", "status": "True", "reason": "SomethingElse"}]}})";

TEST(KsmFamiliesTest, DeploymentSeriesAreKubeStateMetricsText) {
  Options options;
  options.labels_allowlist["deployments"] = {"app"};
  KsmStores stores({"deployments", "events"}, options);  // events: no family set
  EXPECT_EQ(stores.Resources(), std::vector<std::string>{"deployments"});
  List(stores, "deployments", {kDeployment});
  const std::string text = Render(stores);
  EXPECT_THAT(text, HasSubstr("# HELP kube_deployment_created [STABLE] Unix creation timestamp\n"
                              "# TYPE kube_deployment_created gauge\n"
                              "kube_deployment_created{namespace=\"shop\",deployment=\"web\"} 1.7964648e+09\n"));
  EXPECT_THAT(
      text,
      HasSubstr("kube_deployment_owner{namespace=\"shop\",deployment=\"web\",owner_kind=\"\",owner_name=\"\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_deployment_spec_replicas{namespace=\"shop\",deployment=\"web\"} 3\n"));
  // 25% of 3: surge rounds up, unavailable down.
  EXPECT_THAT(
      text,
      HasSubstr("kube_deployment_spec_strategy_rollingupdate_max_surge{namespace=\"shop\",deployment=\"web\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "kube_deployment_spec_strategy_rollingupdate_max_unavailable{namespace=\"shop\",deployment=\"web\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_deployment_status_condition{namespace=\"shop\",deployment=\"web\","
                              "reason=\"MinimumReplicasUnavailable\",condition=\"Available\",status=\"false\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_deployment_status_condition{namespace=\"shop\",deployment=\"web\","
                              "reason=\"unknown\",condition=\"Progressing\",status=\"true\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_deployment_labels{namespace=\"shop\",deployment=\"web\",label_app=\"web\"} 1\n"));
  // No annotations allowlist: the family's header only, as kube-state-metrics.
  EXPECT_THAT(text, HasSubstr("# TYPE kube_deployment_annotations gauge\n# HELP"));
  EXPECT_THAT(text, Not(HasSubstr("kube_deployment_status_terminating_replicas{")));
}

TEST(KsmFamiliesTest, NothingAtAllForAResourceWithoutObjects) {
  KsmStores stores({"deployments", "namespaces"}, Options{});
  List(stores, "namespaces", {});
  EXPECT_EQ(Render(stores), "");
}

TEST(KsmFamiliesTest, DenylistDropsFamilies) {
  Options options;
  options.metric_denylist = {"^kube_deployment_status_"};
  KsmStores stores({"deployments"}, options);
  List(stores, "deployments", {kDeployment});
  const std::string text = Render(stores);
  EXPECT_THAT(text, Not(HasSubstr("kube_deployment_status_")));
  EXPECT_THAT(text, HasSubstr("kube_deployment_spec_replicas{"));
}

TEST(KsmFamiliesTest, NodeAndNamespaceSeries) {
  KsmStores stores({"nodes", "namespaces"}, Options{});
  List(stores, "nodes", {R"({"metadata": {"name": "n1", "uid": "0b7c3b2e-1111-4c4d-9e9f-000000000002",
      "labels": {"node-role.kubernetes.io/control-plane": ""}},
    "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]},
    "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110", "example.com/gpu": "2", "hugepages-2Mi": "0"},
               "conditions": [{"type": "Ready", "status": "True"}],
               "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
               "nodeInfo": {"kubeletVersion": "v1.35.4"}}})"});
  List(stores, "namespaces", {R"({"metadata": {"name": "shop", "uid": "0b7c3b2e-1111-4c4d-9e9f-000000000003"},
    "status": {"phase": "Active"}})"});
  const std::string text = Render(stores);
  EXPECT_THAT(text, HasSubstr("kube_node_status_capacity{node=\"n1\",resource=\"cpu\",unit=\"core\"} 4\n"));
  EXPECT_THAT(text,
              HasSubstr("kube_node_status_capacity{node=\"n1\",resource=\"memory\",unit=\"byte\"} 8.589934592e+09\n"));
  EXPECT_THAT(text,
              HasSubstr("kube_node_status_capacity{node=\"n1\",resource=\"example_com_gpu\",unit=\"integer\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_node_status_capacity{node=\"n1\",resource=\"hugepages_2Mi\",unit=\"byte\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_node_role{node=\"n1\",role=\"control-plane\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_node_spec_taint{node=\"n1\",key=\"k\",value=\"\",effect=\"NoSchedule\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_node_status_condition{node=\"n1\",condition=\"Ready\",status=\"unknown\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("kube_node_info{node=\"n1\",kernel_version=\"\",os_image=\"\",container_runtime_version=\"\","
                        "kubelet_version=\"v1.35.4\",kubeproxy_version=\"deprecated\",provider_id=\"\",pod_cidr=\"\","
                        "system_uuid=\"\",internal_ip=\"10.0.0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_namespace_status_phase{namespace=\"shop\",phase=\"Active\"} 1\n"
                              "kube_namespace_status_phase{namespace=\"shop\",phase=\"Terminating\"} 0\n"));
}

// Reference values printed by kube-state-metrics' own hashing (hash/fnv's New64a and
// github.com/dgryski/go-jump's Hash) for the same UIDs.
TEST(KsmShardingTest, ShardsAsKubeStateMetrics) {
  EXPECT_EQ(ShardOf("0b7c3b2e-1111-4c4d-9e9f-000000000001", 3), 2);
  EXPECT_EQ(ShardOf("0b7c3b2e-1111-4c4d-9e9f-000000000001", 5), 3);
  EXPECT_EQ(ShardOf("0b7c3b2e-1111-4c4d-9e9f-000000000001", 1000), 921);
  EXPECT_EQ(ShardOf("0b7c3b2e-1111-4c4d-9e9f-000000000002", 1000), 47);
  EXPECT_EQ(ShardOf("6f0b0b1e-0000-4000-8000-000000000001", 5), 2);
  EXPECT_EQ(ShardOf("6f0b0b1e-0000-4000-8000-000000000001", 1000), 880);
  EXPECT_EQ(ShardOf("", 1000), 266);
  EXPECT_EQ(ShardOf("anything", 1), 0);
}

std::set<std::string> SeriesLines(const std::string& text) {
  std::set<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line[0] != '#') out.insert(std::move(line));
    pos = end + 1;
  }
  return out;
}

TEST(KsmShardingTest, ThreeShardsTogetherServeEverySeriesOnce) {
  std::vector<std::string> pods;
  for (int i = 0; i < 60; ++i) {
    pods.push_back(
        fmt::format(R"({{"metadata": {{"name": "p{0}", "namespace": "ns", "uid": "0b7c3b2e-2222-4c4d-9e9f-{0:012}"}},
        "spec": {{"restartPolicy": "Always"}}, "status": {{"phase": "Running"}}}})",
                    i));
  }
  auto render = [&](int shard, int total) {
    Options options;
    options.shard = shard;
    options.total_shards = total;
    KsmStores stores({"pods"}, options);
    auto* h = stores.HandlerFor("pods");
    h->OnSyncStart();
    for (const auto& p : pods) {
      rapidjson::Document d;
      d.Parse(p.c_str());
      h->OnListed(d);
    }
    h->OnSynced();
    return SeriesLines(Render(stores));
  };
  const std::set<std::string> whole = render(0, 1);
  std::set<std::string> together;
  std::size_t sum = 0;
  for (int shard = 0; shard < 3; ++shard) {
    const auto part = render(shard, 3);
    EXPECT_FALSE(part.empty()) << "60 pods leave no shard empty";
    EXPECT_LT(part.size(), whole.size());
    sum += part.size();
    together.insert(part.begin(), part.end());
  }
  EXPECT_EQ(together, whole);
  EXPECT_EQ(sum, whole.size()) << "no series in two shards";
}

TEST(KsmFamiliesTest, PodIdentityIsEscapedWhenItMustBe) {
  // The API server never stores such a name; the text must stay well-formed anyway.
  KsmStores stores({"pods"}, Options{});
  List(stores, "pods",
       {R"({"metadata": {"name": "a\"b", "namespace": "ns", "uid": "0b7c3b2e-1111-4c4d-9e9f-000000000004"},
            "spec": {"restartPolicy": "Always"}})",
        R"({"metadata": {"name": "plain", "namespace": "ns", "uid": "0b7c3b2e-1111-4c4d-9e9f-000000000005"},
            "spec": {"restartPolicy": "Never"}})"});
  const std::string text = Render(stores);
  EXPECT_THAT(text, HasSubstr("kube_pod_restart_policy{namespace=\"ns\",pod=\"a\\\"b\","
                              "uid=\"0b7c3b2e-1111-4c4d-9e9f-000000000004\",type=\"Always\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_pod_restart_policy{namespace=\"ns\",pod=\"plain\","
                              "uid=\"0b7c3b2e-1111-4c4d-9e9f-000000000005\",type=\"Never\"} 1\n"));
  // No phase: no kube_pod_status_phase series, as kube-state-metrics.
  EXPECT_THAT(text, Not(HasSubstr("kube_pod_status_phase{")));
  EXPECT_THAT(text,
              HasSubstr("kube_pod_owner{namespace=\"ns\",pod=\"plain\",uid=\"0b7c3b2e-1111-4c4d-9e9f-000000000005\","
                        "owner_kind=\"\",owner_name=\"\",owner_is_controller=\"\"} 1\n"));
}

}  // namespace
}  // namespace kube9::collectors::ksm
