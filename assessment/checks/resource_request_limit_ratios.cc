#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "cost-optimization.resource-request-limit-ratios", "Limits stay close to requests", Pillar::kCostOptimization,
    Severity::kMedium,
    "Bring each container's limits within 4x its requests: raise requests to what the container really uses, or "
    "lower limits, so that nodes are not overcommitted and requests reflect cost."};

// A container whose cpu or memory limit exceeds collectors::kWideLimitRatio (4) times its
// request warns.
Result Run(const Inputs& in) {
  Findings f("workloads with limits more than 4x their requests");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    f.Examine();
    if (w.pod_template.shape.wide_limit_ratios > 0) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kWarning);
}

}  // namespace

std::unique_ptr<Check> ResourceRequestLimitRatiosCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
