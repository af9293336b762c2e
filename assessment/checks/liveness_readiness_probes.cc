#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.liveness-readiness-probes", "Containers have readiness and liveness probes", Pillar::kReliability,
    Severity::kMedium,
    "Add a readinessProbe to every serving container (traffic only reaches ready pods) and a livenessProbe (or a "
    "startupProbe plus livenessProbe) so that a hung process is restarted."};

// A container without a readiness probe fails; one with readiness but no liveness probe warns.
Result Run(const Inputs& in) {
  Findings readiness("workloads with containers missing a readiness probe");
  Findings liveness("workloads with containers missing a liveness probe");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    readiness.Examine();
    liveness.Examine();
    if (s.readiness < s.containers) {
      readiness.Affected(w.ns, w.name);
    } else if (s.liveness < s.containers) {
      liveness.Affected(w.ns, w.name);
    }
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(readiness, liveness);
}

}  // namespace

std::unique_ptr<Check> LivenessReadinessProbesCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
