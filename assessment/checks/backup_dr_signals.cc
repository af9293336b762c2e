#include "assessment/workloads.h"

#include <fmt/format.h>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.backup-dr-signals", "Persistent data has a backup tool", Pillar::kReliability, Severity::kMedium,
    "Install a backup tool for persistent volumes and cluster objects (Velero, or the CSI snapshot controller with "
    "scheduled VolumeSnapshots) and test a restore."};

// Passing when a backup tool runs (a Velero Deployment, by its app.kubernetes.io/name label,
// or a snapshot controller, by name) or nothing keeps persistent data; a warning when
// workloads or claims keep persistent data and no backup tool is seen.
Result Run(const Inputs& in) {
  std::string tool;
  Findings stateful("workloads keep persistent data with no backup tool (Velero, snapshot-controller) found");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    if (w.pod_template.Has(collectors::kVelero)) tool = "Velero";
    if (tool.empty() && w.name.find("snapshot-controller") != std::string::npos) tool = "snapshot-controller";
    stateful.Examine();
    if (w.pod_template.Has(collectors::kPersistentStorage)) stateful.Affected(w.ns, w.name);
  });
  // Velero and snapshot controllers usually run in their own (non-system) namespaces, but some
  // distributions put the snapshot controller in kube-system.
  if (tool.empty() && in.health != nullptr) {
    for (const auto& w : in.health->workloads) {
      if (w.name.find("snapshot-controller") != std::string::npos) tool = "snapshot-controller";
    }
  }
  if (!missing.empty()) return SkippedWithout(missing);
  if (!tool.empty()) return {Status::kPassing, fmt::format("backup tooling found: {}", tool)};
  std::int64_t claims = collectors::SizeOf(in.Collected(collectors::kPersistentVolumeClaims));
  if (stateful.affected() == 0 && claims == 0) {
    return {Status::kPassing, "no persistent data found (no PVC-backed workload or claim), no backup tool needed"};
  }
  if (stateful.affected() == 0) {
    return {Status::kWarning, fmt::format("{} persistent volume claims and no backup tool (Velero, "
                                          "snapshot-controller) was found",
                                          claims)};
  }
  return stateful.Verdict(Status::kWarning);
}

}  // namespace

std::unique_ptr<Check> BackupDrSignalsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
