#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "collectors/ksm/registry.h"
#include "testing/ksm_stores.h"

// The statefulset, daemonset, replicaset, job and cronjob families: exact series for
// representative objects (kube-state-metrics' internal/store/*.go v2.20 and their tests).
namespace kube9::collectors::ksm {
namespace {

using ::testing::HasSubstr;
using testing::List;
using testing::Render;
using ::testing::Not;

std::string RenderOne(const char* resource, std::initializer_list<const char*> objects, Options options = {}) {
  KsmStores stores({resource}, options);
  List(stores, resource, objects);
  return Render(stores);
}

TEST(KsmWorkloadFamiliesTest, StatefulSet) {
  Options options;
  options.labels_allowlist["statefulsets"] = {"app"};
  const std::string text = RenderOne("statefulsets", {R"({
    "metadata": {"name": "db", "namespace": "data", "uid": "u1", "generation": 4,
                 "creationTimestamp": "2026-12-05T10:00:00Z", "labels": {"app": "db", "x": "y"}},
    "spec": {"replicas": 3, "ordinals": {"start": 1},
             "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}},
    "status": {"replicas": 3, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 1,
               "availableReplicas": 2, "observedGeneration": 3,
               "currentRevision": "db-1", "updateRevision": "db-2"}})",
                                                    R"({"metadata": {"name": "bare", "namespace": "data"}})"},
                                     options);
  EXPECT_THAT(text, HasSubstr("# HELP kube_statefulset_status_replicas [STABLE] The number of replicas per "
                              "StatefulSet.\n# TYPE kube_statefulset_status_replicas gauge\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_created{namespace=\"data\",statefulset=\"db\"} 1.7964648e+09\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_replicas_ready{namespace=\"data\",statefulset=\"db\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_replicas_updated{namespace=\"data\",statefulset=\"db\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_replicas{namespace=\"data\",statefulset=\"db\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_ordinals_start{namespace=\"data\",statefulset=\"db\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_metadata_generation{namespace=\"data\",statefulset=\"db\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_persistentvolumeclaim_retention_policy{namespace=\"data\","
                              "statefulset=\"db\",when_deleted=\"Delete\",when_scaled=\"Retain\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_current_revision{namespace=\"data\",statefulset=\"db\","
                              "revision=\"db-1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_update_revision{namespace=\"data\",statefulset=\"db\","
                              "revision=\"db-2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_labels{namespace=\"data\",statefulset=\"db\",label_app=\"db\"} 1\n"));
  // Without status, spec.replicas, ordinals or a retention policy: zeros, an empty revision,
  // and no series for what is unset.
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_replicas{namespace=\"data\",statefulset=\"bare\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_statefulset_status_current_revision{namespace=\"data\",statefulset=\"bare\","
                              "revision=\"\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_statefulset_replicas{namespace=\"data\",statefulset=\"bare\"}")));
  EXPECT_THAT(text, Not(HasSubstr("kube_statefulset_ordinals_start{namespace=\"data\",statefulset=\"bare\"}")));
  EXPECT_THAT(text, Not(HasSubstr("retention_policy{namespace=\"data\",statefulset=\"bare\"")));
  // Stable here, unlike the deployment's.
  EXPECT_THAT(text, HasSubstr("# HELP kube_statefulset_annotations [STABLE] Kubernetes annotations"));
}

TEST(KsmWorkloadFamiliesTest, DaemonSet) {
  const std::string text = RenderOne("daemonsets", {R"({
    "metadata": {"name": "agent", "namespace": "kube-system", "generation": 2,
                 "deletionTimestamp": "2026-12-05T11:00:00Z"},
    "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 4, "numberAvailable": 2,
               "numberMisscheduled": 1, "numberReady": 2, "numberUnavailable": 2,
               "updatedNumberScheduled": 3, "observedGeneration": 2}})"});
  EXPECT_THAT(text, HasSubstr("kube_daemonset_status_desired_number_scheduled{namespace=\"kube-system\","
                              "daemonset=\"agent\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("kube_daemonset_status_number_misscheduled{namespace=\"kube-system\","
                              "daemonset=\"agent\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_daemonset_status_updated_number_scheduled{namespace=\"kube-system\","
                              "daemonset=\"agent\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# HELP kube_daemonset_deletion_timestamp Unix deletion timestamp\n"));
  EXPECT_THAT(text, HasSubstr("kube_daemonset_deletion_timestamp{namespace=\"kube-system\",daemonset=\"agent\"} "
                              "1.7964684e+09\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_daemonset_created{")));
}

TEST(KsmWorkloadFamiliesTest, ReplicaSetOwners) {
  const std::string text = RenderOne(
      "replicasets",
      {R"({"metadata": {"name": "web-abc", "namespace": "shop", "ownerReferences": [
             {"kind": "Deployment", "name": "web", "controller": true},
             {"kind": "Thing", "name": "t"}]},
           "spec": {"replicas": 3},
           "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "terminatingReplicas": 1}})",
       R"({"metadata": {"name": "orphan", "namespace": "shop"}})"});
  EXPECT_THAT(text, HasSubstr("kube_replicaset_owner{namespace=\"shop\",replicaset=\"web-abc\",owner_kind="
                              "\"Deployment\",owner_name=\"web\",owner_is_controller=\"true\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_replicaset_owner{namespace=\"shop\",replicaset=\"web-abc\",owner_kind=\"Thing\","
                              "owner_name=\"t\",owner_is_controller=\"false\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_replicaset_owner{namespace=\"shop\",replicaset=\"orphan\",owner_kind=\"\","
                              "owner_name=\"\",owner_is_controller=\"\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("kube_replicaset_status_terminating_replicas{namespace=\"shop\",replicaset=\"web-abc\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_replicaset_status_terminating_replicas{namespace=\"shop\","
                                  "replicaset=\"orphan\"}")));
  EXPECT_THAT(text, Not(HasSubstr("kube_replicaset_spec_replicas{namespace=\"shop\",replicaset=\"orphan\"}")));
}

TEST(KsmWorkloadFamiliesTest, JobConditionsAndFailureReasons) {
  const std::string text = RenderOne("jobs", {
      R"({"metadata": {"name": "done", "namespace": "b"},
          "spec": {"completions": 1, "parallelism": 1, "activeDeadlineSeconds": 600},
          "status": {"succeeded": 1, "startTime": "2026-12-05T10:00:00Z", "completionTime": "2026-12-05T10:01:30Z",
                     "conditions": [{"type": "Complete", "status": "True"}]}})",
      R"({"metadata": {"name": "known", "namespace": "b"},
          "status": {"failed": 3, "conditions": [{"type": "Failed", "status": "True",
                                                  "reason": "BackoffLimitExceeded"}]}})",
      R"({"metadata": {"name": "unknown", "namespace": "b"},
          "status": {"failed": 2, "conditions": [{"type": "Failed", "status": "True", "reason": "PodFailurePolicy"}]}})",
      R"({"metadata": {"name": "paused", "namespace": "b"},
          "status": {"conditions": [{"type": "Suspended", "status": "True"}]}})"});
  EXPECT_THAT(text, HasSubstr("kube_job_info{namespace=\"b\",job_name=\"done\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_complete{namespace=\"b\",job_name=\"done\",condition=\"true\"} 1\n"
                              "kube_job_complete{namespace=\"b\",job_name=\"done\",condition=\"false\"} 0\n"
                              "kube_job_complete{namespace=\"b\",job_name=\"done\",condition=\"unknown\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_status_completion_time{namespace=\"b\",job_name=\"done\"} 1.79646489e+09\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_spec_active_deadline_seconds{namespace=\"b\",job_name=\"done\"} 600\n"));
  // Nothing failed: the count alone, without a reason label.
  EXPECT_THAT(text, HasSubstr("kube_job_status_failed{namespace=\"b\",job_name=\"done\"} 0\n"));
  // A known reason: one series per known reason, no reason="".
  EXPECT_THAT(text,
              HasSubstr("kube_job_status_failed{namespace=\"b\",job_name=\"known\",reason=\"BackoffLimitExceeded\"} 1\n"
                        "kube_job_status_failed{namespace=\"b\",job_name=\"known\",reason=\"DeadlineExceeded\"} 0\n"
                        "kube_job_status_failed{namespace=\"b\",job_name=\"known\",reason=\"Evicted\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("job_name=\"known\",reason=\"\"")));
  // Any other reason: the known ones at 0, and the count under reason="".
  EXPECT_THAT(text, HasSubstr("kube_job_status_failed{namespace=\"b\",job_name=\"unknown\",reason=\"Evicted\"} 0\n"
                              "kube_job_status_failed{namespace=\"b\",job_name=\"unknown\",reason=\"\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_failed{namespace=\"b\",job_name=\"known\",condition=\"true\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_status_suspended{namespace=\"b\",job_name=\"paused\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_job_status_suspended{namespace=\"b\",job_name=\"done\"}")));
  EXPECT_THAT(text, HasSubstr("kube_job_status_ready{namespace=\"b\",job_name=\"paused\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kube_job_owner{namespace=\"b\",job_name=\"paused\",owner_kind=\"\",owner_name=\"\","
                              "owner_is_controller=\"\"} 1\n"));
}

TEST(KsmWorkloadFamiliesTest, CronJob) {
  const std::string text = RenderOne("cronjobs", {
      R"({"metadata": {"name": "backup", "namespace": "ops", "resourceVersion": "1234567",
                       "creationTimestamp": "2026-12-05T10:00:00Z"},
          "spec": {"schedule": "30 2 * * *", "timeZone": "UTC", "concurrencyPolicy": "Forbid",
                   "startingDeadlineSeconds": 100, "successfulJobsHistoryLimit": 3},
          "status": {"active": [{"name": "j1"}, {"name": "j2"}], "lastScheduleTime": "2026-12-05T10:00:07Z"}})",
      R"({"metadata": {"name": "paused", "namespace": "ops", "resourceVersion": "7",
                       "creationTimestamp": "2026-12-05T10:00:00Z"},
          "spec": {"schedule": "@hourly", "suspend": true, "concurrencyPolicy": "Allow"}})",
      R"({"metadata": {"name": "bad", "namespace": "ops", "creationTimestamp": "2026-12-05T10:00:00Z"},
          "spec": {"schedule": "0 0 L * *", "timeZone": "UTC", "concurrencyPolicy": "Allow"}})"});
  EXPECT_THAT(text, HasSubstr("kube_cronjob_info{namespace=\"ops\",cronjob=\"backup\",schedule=\"30 2 * * *\","
                              "concurrency_policy=\"Forbid\",timezone=\"UTC\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_cronjob_info{namespace=\"ops\",cronjob=\"paused\",schedule=\"@hourly\","
                              "concurrency_policy=\"Allow\",timezone=\"local\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kube_cronjob_status_active{namespace=\"ops\",cronjob=\"backup\"} 2\n"));
  // After the last schedule time (not the creation time): 2026-12-06T02:30:00Z.
  EXPECT_THAT(text, HasSubstr("kube_cronjob_next_schedule_time{namespace=\"ops\",cronjob=\"backup\"} 1.7965242e+09\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_cronjob_next_schedule_time{namespace=\"ops\",cronjob=\"paused\"}")));
  EXPECT_THAT(text, Not(HasSubstr("kube_cronjob_next_schedule_time{namespace=\"ops\",cronjob=\"bad\"}")));
  EXPECT_THAT(text, HasSubstr("kube_cronjob_schedule_invalid{namespace=\"ops\",cronjob=\"bad\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_cronjob_schedule_invalid{namespace=\"ops\",cronjob=\"backup\"}")));
  EXPECT_THAT(text, HasSubstr("kube_cronjob_spec_suspend{namespace=\"ops\",cronjob=\"paused\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("kube_cronjob_metadata_resource_version{namespace=\"ops\",cronjob=\"backup\"} 1.234567e+06\n"));
  EXPECT_THAT(text, Not(HasSubstr("kube_cronjob_metadata_resource_version{namespace=\"ops\",cronjob=\"bad\"}")));
  EXPECT_THAT(text, HasSubstr("kube_cronjob_spec_successful_job_history_limit{namespace=\"ops\",cronjob=\"backup\"} "
                              "3\n"));
  EXPECT_THAT(text, HasSubstr("# HELP kube_cronjob_schedule_invalid Emitted with value 1"));
}

}  // namespace
}  // namespace kube9::collectors::ksm
