#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.spread-anti-affinity", "Replicas are spread across nodes", Pillar::kReliability, Severity::kMedium,
    "Add topologySpreadConstraints (kubernetes.io/hostname and topology.kubernetes.io/zone) or a preferred "
    "podAntiAffinity to workloads with 2 or more replicas."};

// A Deployment or StatefulSet of 2 or more replicas with neither podAntiAffinity nor
// topologySpreadConstraints warns: its replicas may all land on one node.
Result Run(const Inputs& in) {
  Findings f("multi-replica workloads without anti-affinity or topology spread");
  auto missing = ForEachWorkload(in, kDeployments | kStatefulSets, [&](const collectors::WorkloadInfo& w) {
    if (w.desired < 2) return;
    f.Examine();
    if (!w.pod_template.Has(collectors::kSpreadsPods)) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kWarning);
}

}  // namespace

std::unique_ptr<Check> SpreadAntiAffinityCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
