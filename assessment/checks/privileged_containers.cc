#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "security.privileged-containers", "No privileged containers", Pillar::kSecurity, Severity::kCritical,
    "Remove securityContext.privileged: true; grant only the specific capabilities the container needs, and "
    "avoid hostNetwork and hostPID."};

// Privileged containers fail; hostNetwork or hostPID (the host's namespaces without privilege)
// warn.
Result Run(const Inputs& in) {
  Findings privileged("workloads with privileged containers");
  Findings host("workloads sharing the host's network or PID namespace");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    privileged.Examine();
    host.Examine();
    if (s.privileged > 0) privileged.Affected(w.ns, w.name);
    if (s.host_network || s.host_pid) host.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(privileged, host);
}

}  // namespace

std::unique_ptr<Check> PrivilegedContainersCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
