#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Render(const KsmStores& stores) {
  std::string out;
  {
    TextWriter w([&](std::string_view s) { out += s; });
    stores.Render(w);
  }
  return out;
}

void List(const KsmStores& stores, const char* resource, std::initializer_list<const char*> objects) {
  auto* h = stores.HandlerFor(resource);
  ASSERT_NE(h, nullptr);
  h->OnSyncStart();
  for (const char* o : objects) {
    rapidjson::Document d;
    d.Parse(o);
    h->OnListed(d);
  }
  h->OnSynced();
}

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
  KsmStores stores({"deployments", "services"}, options);  // services: no family set (yet)
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
  EXPECT_THAT(text, HasSubstr("kube_pod_owner{namespace=\"ns\",pod=\"plain\",uid=\"0b7c3b2e-1111-4c4d-9e9f-000000000005\","
                              "owner_kind=\"\",owner_name=\"\",owner_is_controller=\"\"} 1\n"));
}

}  // namespace
}  // namespace kube9::collectors::ksm
