#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.replica-counts", "Services run more than one replica", Pillar::kReliability, Severity::kMedium,
    "Run at least 2 replicas of every Deployment and StatefulSet that serves traffic (or an HPA with minReplicas "
    ">= 2), so that a node drain or a crash does not take it down."};

// A Deployment or StatefulSet with exactly one desired replica warns (scaled to 0 is left out).
Result Run(const Inputs& in) {
  Findings f("workloads run a single replica");
  auto missing = ForEachWorkload(in, kDeployments | kStatefulSets, [&](const collectors::WorkloadInfo& w) {
    if (w.desired <= 0) return;
    f.Examine();
    if (w.desired == 1) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kWarning);
}

}  // namespace

std::unique_ptr<Check> ReplicaCountsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
