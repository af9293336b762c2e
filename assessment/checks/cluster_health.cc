#include <fmt/format.h>

#include "assessment/workloads.h"

// The eight cluster health checks of the aggregates (collectors/aggregates.cc, exported as
// kube9_health_check) as reliability checks: the same counts, so that the assessment and
// /metrics never disagree. Critical health checks fail, the others warn.
namespace kube9::assessment {
namespace {

struct HealthSpec {
  CheckInfo info;
  std::string_view health_name;  // collectors::HealthCheck::name
  std::string_view collector;    // the collector whose absence leaves the health check out
  std::string_view what;         // "nodes are not Ready"
};

template <const HealthSpec& S>
Result RunHealth(const Inputs& in) {
  if (in.health == nullptr) return {Status::kSkipped, "cluster aggregates not available"};
  for (const auto& name : in.unsynced) {
    if (name == S.collector) return SkippedWithout(S.collector);
  }
  for (const auto& c : in.health->checks) {
    if (c.name != S.health_name) continue;
    if (c.affected == 0) return {Status::kPassing, fmt::format("0 of {}: none found", c.population)};
    std::string examples;
    if (S.health_name == "workloads_unavailable") {  // the only health check over named objects
      int n = 0;
      for (const auto& w : in.health->workloads) {
        if (w.unavailable <= 0 || n == 3) continue;
        examples += fmt::format("{}{}/{}", n++ == 0 ? " (e.g. " : ", ", w.ns, w.name);
      }
      if (!examples.empty()) examples += ")";
    }
    const Status status = c.severity == collectors::Severity::kCritical ? Status::kFailing : Status::kWarning;
    return {status, fmt::format("{} of {} {}{}", c.affected, c.population, S.what, examples)};
  }
  return SkippedWithout(S.collector);  // the aggregates leave out the checks of disabled collectors
}

constexpr HealthSpec kNodesNotReady{
    {"reliability.nodes-not-ready", "Nodes are Ready", Pillar::kReliability, Severity::kCritical,
     "Find why the node is not Ready (kubectl describe node: kubelet, runtime, network, pressure) and repair or "
     "replace it; cordon and drain it meanwhile."},
    "nodes_not_ready",
    "nodes",
    "nodes are not Ready"};
constexpr HealthSpec kPodsCrashLooping{
    {"reliability.pods-crash-looping", "No pods crash-looping", Pillar::kReliability, Severity::kMedium,
     "Read the crashing container's previous logs (kubectl logs --previous) and fix the cause: a configuration "
     "error, a missing dependency, or a failing probe."},
    "pods_crash_looping",
    "pods",
    "pods crash-looping"};
constexpr HealthSpec kPodsPendingTooLong{
    {"reliability.pods-pending-too-long", "No pods stuck Pending", Pillar::kReliability, Severity::kMedium,
     "Read the pod's scheduling events: add capacity, relax node selectors or affinity, or fix the volume claim it "
     "waits for."},
    "pods_pending_too_long",
    "pods",
    "pods Pending for more than 5 minutes"};
constexpr HealthSpec kImagePullFailures{
    {"reliability.image-pull-failures", "Images can be pulled", Pillar::kReliability, Severity::kMedium,
     "Check the image name and tag, the registry's reachability and the imagePullSecrets."},
    "image_pull_failures",
    "pods",
    "pods failing to pull an image"};
constexpr HealthSpec kPodsOomKilled{
    {"reliability.pods-oom-killed", "No containers OOM-killed", Pillar::kReliability, Severity::kMedium,
     "Raise the container's memory limit to its real peak, or fix the leak that drives it there."},
    "pods_oom_killed",
    "pods",
    "pods with a container OOM-killed"};
constexpr HealthSpec kWorkloadsUnavailable{
    {"reliability.workloads-unavailable", "Workloads are available", Pillar::kReliability, Severity::kMedium,
     "Look at the workload's pods (not ready, crashing, unschedulable) and its rollout status."},
    "workloads_unavailable",
    "deployments",
    "workloads with unavailable replicas"};
constexpr HealthSpec kPvcsPending{
    {"reliability.pvcs-pending", "Volume claims are bound", Pillar::kReliability, Severity::kMedium,
     "Check the claim's StorageClass and provisioner, and that a volume of the requested size and access mode can "
     "be provisioned."},
    "pvcs_pending",
    "persistentvolumeclaims",
    "persistent volume claims Pending"};
constexpr HealthSpec kJobsFailed{
    {"reliability.jobs-failed", "Jobs succeed", Pillar::kReliability, Severity::kMedium,
     "Read the failed job's pod logs and events, fix the cause, and delete or re-run the job."},
    "jobs_failed",
    "jobs",
    "jobs failed"};

template <const HealthSpec& S>
std::unique_ptr<Check> Make() {
  return MakeCheck(S.info, &RunHealth<S>);
}

}  // namespace

std::unique_ptr<Check> NodesNotReadyCheck() { return Make<kNodesNotReady>(); }
std::unique_ptr<Check> PodsCrashLoopingCheck() { return Make<kPodsCrashLooping>(); }
std::unique_ptr<Check> PodsPendingTooLongCheck() { return Make<kPodsPendingTooLong>(); }
std::unique_ptr<Check> ImagePullFailuresCheck() { return Make<kImagePullFailures>(); }
std::unique_ptr<Check> PodsOomKilledCheck() { return Make<kPodsOomKilled>(); }
std::unique_ptr<Check> WorkloadsUnavailableCheck() { return Make<kWorkloadsUnavailable>(); }
std::unique_ptr<Check> PvcsPendingCheck() { return Make<kPvcsPending>(); }
std::unique_ptr<Check> JobsFailedCheck() { return Make<kJobsFailed>(); }

}  // namespace kube9::assessment
