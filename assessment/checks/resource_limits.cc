#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.resource-limits", "Containers have memory limits", Pillar::kReliability, Severity::kMedium,
    "Set resources.limits.memory on every container (a CPU limit is optional: it throttles rather than protects), "
    "so that one leaking container cannot push its node into memory pressure."};

// A container without a memory limit fails; one with a memory limit but no CPU limit warns.
Result Run(const Inputs& in) {
  Findings memory("workloads with containers missing a memory limit");
  Findings cpu("workloads with containers missing a cpu limit");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    memory.Examine();
    cpu.Examine();
    if (s.memory_limits < s.containers) {
      memory.Affected(w.ns, w.name);
    } else if (s.cpu_limits < s.containers) {
      cpu.Affected(w.ns, w.name);
    }
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(memory, cpu);
}

}  // namespace

std::unique_ptr<Check> ResourceLimitsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
