#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "security.capabilities-validation", "Linux capabilities are dropped", Pillar::kSecurity, Severity::kHigh,
    "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add back only what it needs; never "
    "add ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, NET_RAW or SYS_RAWIO."};

// Adding a dangerous capability fails; not dropping ALL warns.
Result Run(const Inputs& in) {
  Findings dangerous("workloads adding dangerous capabilities");
  Findings not_dropped("workloads with containers that do not drop ALL capabilities");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    dangerous.Examine();
    not_dropped.Examine();
    if (s.dangerous_capabilities > 0) dangerous.Affected(w.ns, w.name);
    if (s.drop_all_capabilities < s.containers) not_dropped.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(dangerous, not_dropped);
}

}  // namespace

std::unique_ptr<Check> CapabilitiesValidationCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
