#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "operational-excellence.audit-signals", "kube9-operator actions are attributable", Pillar::kOperationalExcellence,
    Severity::kMedium,
    "Run the operator under its own ServiceAccount (not default) and inject POD_NAMESPACE from the downward API "
    "(fieldRef metadata.namespace), so that API audit logs and the operator's logs identify it."};

// The operator's Deployment fails when it runs as the default ServiceAccount or without
// POD_NAMESPACE from the downward API.
Result Run(const Inputs& in) {
  Findings f("kube9-operator Deployments without a dedicated ServiceAccount or POD_NAMESPACE from the downward API");
  if (auto none = ForEachOperatorDeployment(in, [&](const collectors::WorkloadInfo& w) {
        f.Examine();
        if (!w.pod_template.Has(collectors::kDedicatedServiceAccount) ||
            !w.pod_template.Has(collectors::kPodNamespaceFromDownwardApi)) {
          f.Affected(w.ns, w.name);
        }
      })) {
    return *none;
  }
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> AuditSignalsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
