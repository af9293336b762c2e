#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "security.run-as-non-root", "Containers run as non-root", Pillar::kSecurity, Severity::kHigh,
    "Set securityContext.runAsNonRoot: true (and a numeric runAsUser) on the pod or on every container, and build "
    "images that run as an unprivileged user."};

Result Run(const Inputs& in) {
  Findings f("workloads with containers not required to run as non-root");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    f.Examine();
    if (s.run_as_non_root < s.containers) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> RunAsNonRootCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
