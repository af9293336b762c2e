// The family sets of services, persistentvolumeclaims, horizontalpodautoscalers and
// poddisruptionbudgets: the text kube-state-metrics v2.20 writes for the same objects.
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

TEST(KsmServiceFamiliesTest, LoadBalancerAndExternalNameServices) {
  Options options;
  options.labels_allowlist["services"] = {"app"};
  KsmStores stores({"services"}, options);
  List(stores, "services",
       {R"({"metadata": {"name": "front", "namespace": "shop", "uid": "0b7c3b2e-3333-4c4d-9e9f-000000000001",
                        "creationTimestamp": "2026-12-05T10:00:00Z", "labels": {"app": "front", "x": "y"}},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "externalTrafficPolicy": "Local",
                     "loadBalancerIP": "203.0.113.9", "externalIPs": ["198.51.100.1", "198.51.100.2"]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}]}}})",
        R"({"metadata": {"name": "ext", "namespace": "shop", "uid": "0b7c3b2e-3333-4c4d-9e9f-000000000002",
                        "deletionTimestamp": "2026-12-05T11:00:00Z"},
            "spec": {"type": "ExternalName", "externalName": "db.example.com"}})"});
  const std::string text = Render(stores);
  const std::string front = R"(namespace="shop",service="front",uid="0b7c3b2e-3333-4c4d-9e9f-000000000001")";
  const std::string ext = R"(namespace="shop",service="ext",uid="0b7c3b2e-3333-4c4d-9e9f-000000000002")";
  // Objects come in the store's order, not the list's: one assertion per object.
  EXPECT_THAT(text, HasSubstr("# HELP kube_service_info [STABLE] Information about service.\n"
                              "# TYPE kube_service_info gauge\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_info{" + front +
                              R"(,cluster_ip="10.96.0.10",external_name="",load_balancer_ip="203.0.113.9",)"
                              R"(external_traffic_policy="Local"} 1)"
                              "\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_info{" + ext +
                              R"(,cluster_ip="",external_name="db.example.com",load_balancer_ip="",)"
                              R"(external_traffic_policy=""} 1)"
                              "\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_created{" + front + "} 1.7964648e+09\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_service_created{" + ext)));
  EXPECT_THAT(text, HasSubstr("kube_service_spec_type{" + ext + ",type=\"ExternalName\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_labels{" + front + ",label_app=\"front\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_labels{" + ext + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_spec_external_ip{" + front +
                              ",external_ip=\"198.51.100.1\"} 1\n"
                              "kube_service_spec_external_ip{" +
                              front + ",external_ip=\"198.51.100.2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_service_status_load_balancer_ingress{" + front +
                              ",ip=\"203.0.113.9\",hostname=\"\"} 1\n"
                              "kube_service_status_load_balancer_ingress{" +
                              front + ",ip=\"\",hostname=\"lb.example.com\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# HELP kube_service_deletion_timestamp Unix deletion timestamp\n"
                              "# TYPE kube_service_deletion_timestamp gauge\n"
                              "kube_service_deletion_timestamp{" +
                              ext + "} 1.7964684e+09\n"));
  // No annotations allowlist: the header only.
  EXPECT_THAT(text, HasSubstr("# TYPE kube_service_annotations gauge\n# HELP kube_service_labels"));
}

TEST(KsmPersistentVolumeClaimFamiliesTest, BoundAndPendingClaims) {
  KsmStores stores({"persistentvolumeclaims"}, Options{});
  List(stores, "persistentvolumeclaims",
       {R"({"metadata": {"name": "data", "namespace": "db", "uid": "u1", "creationTimestamp": "2026-12-05T10:00:00Z"},
            "spec": {"storageClassName": "fast", "volumeName": "pv-1", "volumeMode": "Filesystem",
                     "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "resources": {"requests": {"storage": "1.5Gi"}}},
            "status": {"phase": "Bound", "conditions": [{"type": "Resizing", "status": "True"}]}})",
        R"({"metadata": {"name": "legacy", "namespace": "db", "uid": "u2",
                        "annotations": {"volume.beta.kubernetes.io/storage-class": "old"}},
            "spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "1500m"}}},
            "status": {"phase": "Pending"}})",
        R"({"metadata": {"name": "bare", "namespace": "db", "uid": "u3"}, "spec": {}})"});
  const std::string text = Render(stores);
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_info{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "storageclass=\"fast\",volumename=\"pv-1\",volumemode=\"Filesystem\"} 1\n"));
  // The beta annotation wins over spec.storageClassName.
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_info{namespace=\"db\",persistentvolumeclaim=\"legacy\","
                              "storageclass=\"old\",volumename=\"\",volumemode=\"\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_status_phase{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "phase=\"Lost\"} 0\n"
                              "kube_persistentvolumeclaim_status_phase{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "phase=\"Bound\"} 1\n"
                              "kube_persistentvolumeclaim_status_phase{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "phase=\"Pending\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_persistentvolumeclaim_status_phase{namespace=\"db\",persistentvolumeclaim="
                                  "\"bare\"")));
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_resource_requests_storage_bytes{namespace=\"db\","
                              "persistentvolumeclaim=\"data\"} 1.610612736e+09\n"));
  // Value(): a fraction of a byte rounds up.
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_resource_requests_storage_bytes{namespace=\"db\","
                              "persistentvolumeclaim=\"legacy\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_persistentvolumeclaim_access_mode{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "access_mode=\"ReadWriteOnce\"} 1\n"
                              "kube_persistentvolumeclaim_access_mode{namespace=\"db\",persistentvolumeclaim=\"data\","
                              "access_mode=\"ReadOnlyMany\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("# HELP kube_persistentvolumeclaim_status_condition Information about status of different "
                        "conditions of persistent volume claim.\n"
                        "# TYPE kube_persistentvolumeclaim_status_condition gauge\n"
                        "kube_persistentvolumeclaim_status_condition{namespace=\"db\",persistentvolumeclaim="
                        "\"data\",condition=\"Resizing\",status=\"true\"} 1\n"
                        "kube_persistentvolumeclaim_status_condition{namespace=\"db\",persistentvolumeclaim="
                        "\"data\",condition=\"Resizing\",status=\"false\"} 0\n"
                        "kube_persistentvolumeclaim_status_condition{namespace=\"db\",persistentvolumeclaim="
                        "\"data\",condition=\"Resizing\",status=\"unknown\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# HELP kube_persistentvolumeclaim_created Unix creation timestamp\n"
                              "# TYPE kube_persistentvolumeclaim_created gauge\n"
                              "kube_persistentvolumeclaim_created{namespace=\"db\",persistentvolumeclaim=\"data\"} "
                              "1.7964648e+09\n"));
}

TEST(KsmHorizontalPodAutoscalerFamiliesTest, TargetsConditionsAndDefaults) {
  KsmStores stores({"horizontalpodautoscalers"}, Options{});
  List(stores, "horizontalpodautoscalers",
       {R"({"metadata": {"name": "web", "namespace": "shop", "uid": "u1", "generation": 2},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [
                       {"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 60}}},
                       {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app",
                        "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
                       {"type": "External", "external": {"metric": {"name": "queue_depth"},
                        "target": {"type": "Value", "value": "1500m"}}},
                       {"type": "Unknown"}],
                     "behavior": {"scaleUp": {"tolerance": "9m"}, "scaleDown": {"tolerance": "100m"}}},
            "status": {"currentReplicas": 3, "desiredReplicas": 4,
                       "currentMetrics": [
                         {"type": "Resource", "resource": {"name": "cpu",
                          "current": {"averageUtilization": 75, "averageValue": "250m"}}},
                         {"type": "Pods"}],
                       "conditions": [{"type": "AbleToScale", "status": "True"},
                                      {"type": "ScalingLimited", "status": "False"}]}})",
        R"({"metadata": {"name": "bare", "namespace": "shop", "uid": "u2"},
            "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "db"}, "maxReplicas": 3}})"});
  const std::string text = Render(stores);
  const std::string web = R"(namespace="shop",horizontalpodautoscaler="web")";
  const std::string bare = R"(namespace="shop",horizontalpodautoscaler="bare")";
  EXPECT_THAT(text, HasSubstr("# HELP kube_horizontalpodautoscaler_info Information about this autoscaler.\n"
                              "# TYPE kube_horizontalpodautoscaler_info gauge\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_info{" + web +
                              ",scaletargetref_api_version=\"apps/v1\",scaletargetref_kind=\"Deployment\","
                              "scaletargetref_name=\"web\"} 1\n"));
  // No apiVersion: no scaletargetref_api_version label at all.
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_info{" + bare +
                              ",scaletargetref_kind=\"StatefulSet\",scaletargetref_name=\"db\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_metadata_generation{" + web + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_spec_min_replicas{" + web + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_spec_min_replicas{" + bare + "} 1\n"));  // the default
  EXPECT_THAT(text, HasSubstr("# HELP kube_horizontalpodautoscaler_spec_target_metric The metric specifications used "
                              "by this autoscaler when calculating the desired replica count.\n"
                              "# TYPE kube_horizontalpodautoscaler_spec_target_metric gauge\n"
                              "kube_horizontalpodautoscaler_spec_target_metric{" +
                              web +
                              ",metric_name=\"cpu\",metric_target_type=\"utilization\",container=\"\"} 60\n"
                              "kube_horizontalpodautoscaler_spec_target_metric{" +
                              web +
                              ",metric_name=\"memory\",metric_target_type=\"average\",container=\"app\"} "
                              "5.24288e+08\n"
                              "kube_horizontalpodautoscaler_spec_target_metric{" +
                              web +
                              ",metric_name=\"queue_depth\",metric_target_type=\"value\",container=\"\"} 1.5\n"
                              "# HELP"));
  // Go's AsApproximateFloat64: 9 * 10^-3 as floats multiply, not 9/1000.
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_spec_behavior_scale_up_tolerance{" + web +
                              "} 0.009000000000000001\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_spec_behavior_scale_down_tolerance{" + web + "} 0.1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_horizontalpodautoscaler_spec_behavior_scale_up_tolerance{" + bare)));
  EXPECT_THAT(text, HasSubstr("# TYPE kube_horizontalpodautoscaler_status_target_metric gauge\n"
                              "kube_horizontalpodautoscaler_status_target_metric{" +
                              web +
                              ",metric_name=\"cpu\",metric_target_type=\"utilization\",container=\"\"} 75\n"
                              "kube_horizontalpodautoscaler_status_target_metric{" +
                              web +
                              ",metric_name=\"cpu\",metric_target_type=\"average\",container=\"\"} 0.25\n"
                              "# HELP"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_status_current_replicas{" + web + "} 3\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_status_desired_replicas{" + bare + "} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_horizontalpodautoscaler_status_condition{" + web +
                              ",condition=\"ScalingLimited\",status=\"false\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# HELP kube_horizontalpodautoscaler_labels [STABLE] "));
}

TEST(KsmPodDisruptionBudgetFamiliesTest, EveryFamilyInKubeStateMetricsOrder) {
  Options options;
  options.annotations_allowlist["poddisruptionbudgets"] = {"*"};
  KsmStores stores({"poddisruptionbudgets"}, options);
  List(stores, "poddisruptionbudgets",
       {R"({"metadata": {"name": "web", "namespace": "shop", "uid": "u1", "creationTimestamp": "2026-12-05T10:00:00Z",
                        "annotations": {"owner": "team-a"}},
            "spec": {"minAvailable": "50%"},
            "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 4,
                       "observedGeneration": 1}})"});
  const std::string id = R"({namespace="shop",poddisruptionbudget="web")";
  EXPECT_EQ(Render(stores),
            "# HELP kube_poddisruptionbudget_annotations Kubernetes annotations converted to Prometheus labels.\n"
            "# TYPE kube_poddisruptionbudget_annotations gauge\n"
            "kube_poddisruptionbudget_annotations" +
                id +
                ",annotation_owner=\"team-a\"} 1\n"
                "# HELP kube_poddisruptionbudget_labels Kubernetes labels converted to Prometheus labels.\n"
                "# TYPE kube_poddisruptionbudget_labels gauge\n"
                "# HELP kube_poddisruptionbudget_created [STABLE] Unix creation timestamp\n"
                "# TYPE kube_poddisruptionbudget_created gauge\n"
                "kube_poddisruptionbudget_created" +
                id +
                "} 1.7964648e+09\n"
                "# HELP kube_poddisruptionbudget_status_current_healthy [STABLE] Current number of healthy pods\n"
                "# TYPE kube_poddisruptionbudget_status_current_healthy gauge\n"
                "kube_poddisruptionbudget_status_current_healthy" +
                id +
                "} 3\n"
                "# HELP kube_poddisruptionbudget_status_desired_healthy [STABLE] Minimum desired number of healthy "
                "pods\n"
                "# TYPE kube_poddisruptionbudget_status_desired_healthy gauge\n"
                "kube_poddisruptionbudget_status_desired_healthy" +
                id +
                "} 2\n"
                "# HELP kube_poddisruptionbudget_status_pod_disruptions_allowed [STABLE] Number of pod disruptions "
                "that are currently allowed\n"
                "# TYPE kube_poddisruptionbudget_status_pod_disruptions_allowed gauge\n"
                "kube_poddisruptionbudget_status_pod_disruptions_allowed" +
                id +
                "} 1\n"
                "# HELP kube_poddisruptionbudget_status_expected_pods [STABLE] Total number of pods counted by this "
                "disruption budget\n"
                "# TYPE kube_poddisruptionbudget_status_expected_pods gauge\n"
                "kube_poddisruptionbudget_status_expected_pods" +
                id +
                "} 4\n"
                "# HELP kube_poddisruptionbudget_status_observed_generation [STABLE] Most recent generation observed "
                "when updating this PDB status\n"
                "# TYPE kube_poddisruptionbudget_status_observed_generation gauge\n"
                "kube_poddisruptionbudget_status_observed_generation" +
                id +
                "} 1\n"
                "# HELP kube_poddisruptionbudget_deletion_timestamp Unix deletion timestamp\n"
                "# TYPE kube_poddisruptionbudget_deletion_timestamp gauge\n");
}

}  // namespace
}  // namespace kube9::collectors::ksm
