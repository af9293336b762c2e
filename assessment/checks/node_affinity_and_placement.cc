#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "performance-efficiency.node-affinity-and-placement", "Pods are placed by the scheduler",
    Pillar::kPerformanceEfficiency, Severity::kHigh,
    "Remove spec.nodeName from pod templates and express placement with nodeSelector, node affinity or "
    "topologySpreadConstraints, so that the scheduler can place and move pods."};

// A pod template pinned to a node with spec.nodeName fails (it bypasses the scheduler); a
// multi-replica workload restricted by a nodeSelector or required node affinity without any
// spread constraint warns (its replicas crowd onto the few nodes that match).
Result Run(const Inputs& in) {
  Findings pinned("workloads pinned to a node with spec.nodeName");
  Findings crowded("multi-replica workloads restricted to selected nodes without topology spread");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& t = w.pod_template;
    pinned.Examine();
    crowded.Examine();
    if (t.Has(collectors::kPinnedToNode)) {
      pinned.Affected(w.ns, w.name);
    } else if (w.kind != collectors::WorkloadKind::kDaemonSet && w.desired >= 2 && t.Has(collectors::kNodeSelection) &&
               !t.Has(collectors::kSpreadsPods)) {
      crowded.Affected(w.ns, w.name);
    }
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(pinned, crowded);
}

}  // namespace

std::unique_ptr<Check> NodeAffinityAndPlacementCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
