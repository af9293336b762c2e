#include "assessment/workloads.h"

#include <fmt/format.h>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "cost-optimization.spot-instance-usage", "Spot capacity is used where it fits", Pillar::kCostOptimization,
    Severity::kLow,
    "Run interruption-tolerant, replicated workloads on spot or preemptible nodes (a spot node pool, or Karpenter's "
    "capacity-type spot) with a toleration or node affinity for them."};

// Nodes are spot when a provider's well-known label says so (collectors::NodeInfo::spot). No
// spot node warns (a cost opportunity); spot nodes that no workload selects or tolerates warn
// too; otherwise passing.
Result Run(const Inputs& in) {
  const auto* nodes = in.Collected(collectors::kNodes);
  if (nodes == nullptr) return SkippedWithout("nodes");
  std::int64_t spot = 0, total = 0;
  nodes->ForEach([&](const collectors::NodeInfo& n) {
    ++total;
    if (n.spot) ++spot;
  });
  if (total == 0) return {Status::kSkipped, "no nodes found"};
  if (spot == 0) return {Status::kWarning, fmt::format("0 of {} nodes are spot or preemptible capacity", total)};
  std::int64_t placed = 0, workloads = 0;
  ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    ++workloads;
    if (w.pod_template.Has(collectors::kSpotPlacement)) ++placed;
  });
  const std::string message = fmt::format(
      "{} of {} nodes are spot; {} of {} workloads select or tolerate spot capacity", spot, total, placed, workloads);
  return {placed == 0 && workloads > 0 ? Status::kWarning : Status::kPassing, message};
}

}  // namespace

std::unique_ptr<Check> SpotInstanceUsageCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
