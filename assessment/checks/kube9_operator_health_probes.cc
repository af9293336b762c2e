#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"operational-excellence.kube9-operator-health-probes", "kube9-operator has health probes",
                          Pillar::kOperationalExcellence, Severity::kMedium,
                          "Keep the chart's livenessProbe (/healthz) and readinessProbe (/readyz) on the operator "
                          "container; do not remove them through values overrides."};

// The operator's Deployment fails when a container lacks a liveness or readiness probe.
Result Run(const Inputs& in) {
  Findings f("kube9-operator Deployments with containers missing a liveness or readiness probe");
  if (auto none = ForEachOperatorDeployment(in, [&](const collectors::WorkloadInfo& w) {
        const auto& s = w.pod_template.shape;
        f.Examine();
        if (s.liveness < s.containers || s.readiness < s.containers) f.Affected(w.ns, w.name);
      })) {
    return *none;
  }
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> Kube9OperatorHealthProbesCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
