// The family sets of networkpolicies, resourcequotas, limitranges and configmaps: the text
// kube-state-metrics v2.20 writes for the same objects.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/ksm/registry.h"
#include "testing/ksm_stores.h"

namespace kube9::collectors::ksm {
namespace {

using ::testing::HasSubstr;
using testing::List;
using testing::Render;
using ::testing::Not;

TEST(KsmQuantityFloatTest, ThousandthsAsKubeStateMetricsConvertsThem) {
  EXPECT_EQ(QuantityFloat("100m"), 0.1);
  EXPECT_EQ(QuantityFloat("1.5Gi"), 1610612736.0);
  EXPECT_EQ(QuantityFloat("3"), 3.0);
  EXPECT_EQ(QuantityFloat("1n"), 0.001);  // MilliValue rounds up
  EXPECT_EQ(QuantityFloat("2500u"), 0.003);
  EXPECT_EQ(QuantityFloat("0"), 0.0);
  // Beyond thousandths in 64 bits: Value(), whole units rounded up.
  EXPECT_EQ(QuantityFloat("10Pi"), 11258999068426240.0);
  EXPECT_EQ(QuantityFloat("12345678901234567.5"), 12345678901234568.0);
  EXPECT_EQ(QuantityFloat("9E"), 9e18);
  EXPECT_EQ(QuantityFloat("1e19"), std::nullopt);  // beyond 64 bits even in whole units
  EXPECT_EQ(QuantityFloat("abc"), std::nullopt);
  EXPECT_EQ(QuantityFloat(""), std::nullopt);
  EXPECT_EQ(QuantityFloat("Mi"), std::nullopt);
  EXPECT_EQ(QuantityFloat("e5"), std::nullopt);
  EXPECT_EQ(QuantityFloat(".5Pi"), 562949953421312.0);
  EXPECT_EQ(QuantityFloat("10.5Pi"), 11821949021847552.0);
}

TEST(KsmNetworkPolicyFamiliesTest, EveryFamilyInKubeStateMetricsOrder) {
  Options options;
  options.labels_allowlist["networkpolicies"] = {"app"};
  KsmStores stores({"networkpolicies"}, options);
  List(stores, "networkpolicies",
       {R"({"metadata": {"name": "deny", "namespace": "shop", "uid": "u1", "creationTimestamp": "2026-12-05T10:00:00Z",
                        "labels": {"app": "web", "x": "y"}, "annotations": {"a": "b"}},
            "spec": {"podSelector": {},
                     "ingress": [{"from": [{"podSelector": {}}]}, {"ports": [{"port": 80}]}, {}],
                     "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
                     "policyTypes": ["Ingress", "Egress"]}})"});
  const std::string id = R"({namespace="shop",networkpolicy="deny")";
  EXPECT_EQ(Render(stores),
            "# HELP kube_networkpolicy_created Unix creation timestamp of network policy\n"
            "# TYPE kube_networkpolicy_created gauge\n"
            "kube_networkpolicy_created" +
                id +
                "} 1.7964648e+09\n"
                "# HELP kube_networkpolicy_annotations Kubernetes annotations converted to Prometheus labels.\n"
                "# TYPE kube_networkpolicy_annotations gauge\n"
                "# HELP kube_networkpolicy_labels Kubernetes labels converted to Prometheus labels.\n"
                "# TYPE kube_networkpolicy_labels gauge\n"
                "kube_networkpolicy_labels" +
                id +
                ",label_app=\"web\"} 1\n"
                "# HELP kube_networkpolicy_spec_ingress_rules Number of ingress rules on the networkpolicy\n"
                "# TYPE kube_networkpolicy_spec_ingress_rules gauge\n"
                "kube_networkpolicy_spec_ingress_rules" +
                id +
                "} 3\n"
                "# HELP kube_networkpolicy_spec_egress_rules Number of egress rules on the networkpolicy\n"
                "# TYPE kube_networkpolicy_spec_egress_rules gauge\n"
                "kube_networkpolicy_spec_egress_rules" +
                id + "} 1\n");
}

TEST(KsmResourceQuotaFamiliesTest, HardAndUsedFromTheStatus) {
  Options options;
  options.annotations_allowlist["resourcequotas"] = {"*"};
  KsmStores stores({"resourcequotas"}, options);
  // spec.hard is not read: kube-state-metrics reports status.hard, what the controller enforces.
  List(stores, "resourcequotas",
       {R"({"metadata": {"name": "compute", "namespace": "shop", "uid": "u1",
                        "creationTimestamp": "2026-12-05T10:00:00Z", "annotations": {"owner": "team-a"}},
            "spec": {"hard": {"requests.cpu": "99", "secrets": "1"}},
            "status": {"hard": {"count/pods": "3", "requests.cpu": "1500m", "requests.memory": "1.5Gi"},
                       "used": {"count/pods": "0", "requests.cpu": "100m", "requests.memory": "512Mi"}}})"});
  const std::string id = R"({namespace="shop",resourcequota="compute")";
  EXPECT_EQ(Render(stores),
            "# HELP kube_resourcequota_created [STABLE] Unix creation timestamp\n"
            "# TYPE kube_resourcequota_created gauge\n"
            "kube_resourcequota_created" +
                id +
                "} 1.7964648e+09\n"
                "# HELP kube_resourcequota [STABLE] Information about resource quota.\n"
                "# TYPE kube_resourcequota gauge\n"
                "kube_resourcequota" +
                id + ",resource=\"count/pods\",type=\"hard\"} 3\n" + "kube_resourcequota" + id +
                ",resource=\"requests.cpu\",type=\"hard\"} 1.5\n" + "kube_resourcequota" + id +
                ",resource=\"requests.memory\",type=\"hard\"} 1.610612736e+09\n" + "kube_resourcequota" + id +
                ",resource=\"count/pods\",type=\"used\"} 0\n" + "kube_resourcequota" + id +
                ",resource=\"requests.cpu\",type=\"used\"} 0.1\n" + "kube_resourcequota" + id +
                ",resource=\"requests.memory\",type=\"used\"} 5.36870912e+08\n"
                "# HELP kube_resourcequota_annotations Kubernetes annotations converted to Prometheus labels.\n"
                "# TYPE kube_resourcequota_annotations gauge\n"
                "kube_resourcequota_annotations" +
                id +
                ",annotation_owner=\"team-a\"} 1\n"
                "# HELP kube_resourcequota_labels [STABLE] Kubernetes labels converted to Prometheus labels.\n"
                "# TYPE kube_resourcequota_labels gauge\n");
}

TEST(KsmLimitRangeFamiliesTest, EveryConstraintOfEveryType) {
  KsmStores stores({"limitranges"}, Options{});
  List(stores, "limitranges",
       {R"({"metadata": {"name": "limits", "namespace": "shop", "uid": "u1",
                        "creationTimestamp": "2026-12-05T10:00:00Z", "labels": {"app": "x"}},
            "spec": {"limits": [
              {"type": "Container", "min": {"cpu": "100m"}, "max": {"cpu": "2", "memory": "1Gi"},
               "default": {"cpu": "500m"}, "defaultRequest": {"memory": "256Mi"},
               "maxLimitRequestRatio": {"cpu": "3"}},
              {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "10Pi"}}]}})"});
  const std::string id = R"(kube_limitrange{namespace="shop",limitrange="limits",resource=)";
  EXPECT_EQ(Render(stores),
            "# HELP kube_limitrange [STABLE] Information about limit range.\n"
            "# TYPE kube_limitrange gauge\n" +
                id + "\"cpu\",type=\"Container\",constraint=\"min\"} 0.1\n" + id +
                "\"cpu\",type=\"Container\",constraint=\"max\"} 2\n" + id +
                "\"memory\",type=\"Container\",constraint=\"max\"} 1.073741824e+09\n" + id +
                "\"cpu\",type=\"Container\",constraint=\"default\"} 0.5\n" + id +
                "\"memory\",type=\"Container\",constraint=\"defaultRequest\"} 2.68435456e+08\n" + id +
                "\"cpu\",type=\"Container\",constraint=\"maxLimitRequestRatio\"} 3\n" + id +
                "\"storage\",type=\"PersistentVolumeClaim\",constraint=\"min\"} 1.073741824e+09\n" + id +
                "\"storage\",type=\"PersistentVolumeClaim\",constraint=\"max\"} 1.125899906842624e+16\n"
                "# HELP kube_limitrange_created [STABLE] Unix creation timestamp\n"
                "# TYPE kube_limitrange_created gauge\n"
                "kube_limitrange_created{namespace=\"shop\",limitrange=\"limits\"} 1.7964648e+09\n");
}

TEST(KsmConfigMapFamiliesTest, MetadataOnlyNeverContents) {
  Options options;
  options.labels_allowlist["configmaps"] = {"*"};
  options.annotations_allowlist["configmaps"] = {"note"};
  KsmStores stores({"configmaps"}, options);
  List(stores, "configmaps",
       {R"({"metadata": {"name": "settings", "namespace": "shop", "uid": "u1", "resourceVersion": "4711",
                        "creationTimestamp": "2026-12-05T10:00:00Z", "labels": {"app.kubernetes.io/name": "shop"},
                        "annotations": {"note": "x", "other": "y"}},
            "data": {"password": "hunter2", "config.yaml": "key: value"},
            "binaryData": {"blob": "c2VjcmV0"}})"});
  const std::string id = R"({namespace="shop",configmap="settings")";
  const std::string text = Render(stores);
  EXPECT_EQ(text,
            "# HELP kube_configmap_annotations Kubernetes annotations converted to Prometheus labels.\n"
            "# TYPE kube_configmap_annotations gauge\n"
            "kube_configmap_annotations" +
                id +
                ",annotation_note=\"x\"} 1\n"
                "# HELP kube_configmap_labels [STABLE] Kubernetes labels converted to Prometheus labels.\n"
                "# TYPE kube_configmap_labels gauge\n"
                "kube_configmap_labels" +
                id +
                ",label_app_kubernetes_io_name=\"shop\"} 1\n"
                "# HELP kube_configmap_info [STABLE] Information about configmap.\n"
                "# TYPE kube_configmap_info gauge\n"
                "kube_configmap_info" +
                id +
                "} 1\n"
                "# HELP kube_configmap_created [STABLE] Unix creation timestamp\n"
                "# TYPE kube_configmap_created gauge\n"
                "kube_configmap_created" +
                id +
                "} 1.7964648e+09\n"
                "# HELP kube_configmap_metadata_resource_version Resource version representing a specific version "
                "of the configmap.\n"
                "# TYPE kube_configmap_metadata_resource_version gauge\n"
                "kube_configmap_metadata_resource_version" +
                id + "} 4711\n");
  for (const char* secret : {"password", "hunter2", "config.yaml", "key: value", "blob", "c2VjcmV0"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
}

TEST(KsmConfigMapFamiliesTest, ServedOnlyWhenTheOptInCollectorIsNamed) {
  KsmStores stores({"networkpolicies", "resourcequotas", "limitranges"}, Options{});
  EXPECT_EQ(stores.HandlerFor("configmaps"), nullptr);
  EXPECT_EQ(stores.Resources(), (std::vector<std::string>{"networkpolicies", "resourcequotas", "limitranges"}));
}

}  // namespace
}  // namespace kube9::collectors::ksm
