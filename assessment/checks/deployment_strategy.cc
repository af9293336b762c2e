#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"operational-excellence.deployment-strategy", "kube9-operator runs as one instance",
                          Pillar::kOperationalExcellence, Severity::kMedium,
                          "Run one replica of the operator with strategy Recreate (the chart's default): two instances "
                          "write the same status and upload everything twice."};

// The operator's Deployment fails with more than one replica (two writers of one status) and
// warns with a rolling update (two instances overlap during every upgrade).
Result Run(const Inputs& in) {
  Findings replicas("kube9-operator Deployments with more than one replica");
  Findings rolling("kube9-operator Deployments that roll out with two instances overlapping (not Recreate)");
  if (auto none = ForEachOperatorDeployment(in, [&](const collectors::WorkloadInfo& w) {
        replicas.Examine();
        rolling.Examine();
        if (w.desired > 1) replicas.Affected(w.ns, w.name);
        if (!w.pod_template.Has(collectors::kRecreateStrategy)) rolling.Affected(w.ns, w.name);
      })) {
    return *none;
  }
  return FailOrWarn(replicas, rolling);
}

}  // namespace

std::unique_ptr<Check> DeploymentStrategyCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
