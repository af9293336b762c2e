#include "assessment/workloads.h"

#include <algorithm>

#include <fmt/format.h>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"sustainability.resource-efficiency-signals", "Node capacity is put to use",
                          Pillar::kSustainability, Severity::kLow,
                          "Right-size node pools to what pods request (cluster autoscaler or Karpenter consolidation), "
                          "and set requests on every container so that the scheduler can pack nodes."};

// What the running pods request against what the Ready nodes offer (cluster-wide, from the
// health aggregates). Under 20% of CPU or memory requested warns: nodes idle, drawing power.
constexpr int kLowPercent = 20;

int Percent(std::int64_t part, std::int64_t whole) {
  return whole <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(100, part * 100 / whole));
}

Result Run(const Inputs& in) {
  if (in.Collected(collectors::kNodes) == nullptr) return SkippedWithout("nodes");
  if (in.Collected(collectors::kPods) == nullptr) return SkippedWithout("pods");
  if (in.health == nullptr) return {Status::kSkipped, "cluster aggregates not available"};
  const auto& a = *in.health;
  if (a.allocatable_cpu_milli <= 0 || a.allocatable_memory_bytes <= 0)
    return {Status::kSkipped, "no Ready node reports allocatable capacity"};
  std::int64_t cpu = 0, memory = 0;
  for (const auto& [ns, t] : a.namespaces) {
    cpu += t.request_cpu_milli;
    memory += t.request_memory_bytes;
  }
  const int cpu_pct = Percent(cpu, a.allocatable_cpu_milli), mem_pct = Percent(memory, a.allocatable_memory_bytes);
  const std::string message =
      fmt::format("pods request {}% of the Ready nodes' CPU and {}% of their memory", cpu_pct, mem_pct);
  return {cpu_pct < kLowPercent || mem_pct < kLowPercent ? Status::kWarning : Status::kPassing, message};
}

}  // namespace

std::unique_ptr<Check> ResourceEfficiencySignalsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
