#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "security.hardcoded-secrets", "No credentials in plain env values", Pillar::kSecurity, Severity::kHigh,
    "Move credentials out of the pod spec into a Secret (env valueFrom.secretKeyRef or a mounted file), or an "
    "external secret store, and rotate the exposed values."};

// An env var named like a credential (PASSWORD, TOKEN, API_KEY, ...) with a literal `value`.
// Extraction counts them (collectors::PodShape::credential_literals); no value is ever read.
Result Run(const Inputs& in) {
  Findings f("workloads with credential-like env vars set to a literal value");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    f.Examine();
    if (w.pod_template.shape.credential_literals > 0) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> HardcodedSecretsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
