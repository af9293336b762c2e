#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"operational-excellence.metrics-exposure", "kube9-operator exposes metrics",
                          Pillar::kOperationalExcellence, Severity::kMedium,
                          "Keep the operator container's named port (http) and its /metrics endpoint, and scrape it "
                          "(chart serviceMonitor.enabled, or a prometheus.io/scrape annotation)."};

// The operator's Deployment fails when it declares no metrics port (a container port named
// http, metrics, http-metrics or prometheus, or the prometheus.io/scrape annotation); a running
// operator that does not serve /metrics (SelfFacts) warns.
Result Run(const Inputs& in) {
  Findings f("kube9-operator Deployments without a metrics port");
  if (auto none = ForEachOperatorDeployment(in, [&](const collectors::WorkloadInfo& w) {
        f.Examine();
        if (!w.pod_template.Has(collectors::kMetricsPort)) f.Affected(w.ns, w.name);
      })) {
    return *none;
  }
  if (f.affected() == 0 && !in.self.metrics_exposed)
    return {Status::kWarning, "the running operator does not serve /metrics"};
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> MetricsExposureCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
