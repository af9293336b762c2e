#include "assessment/workloads.h"

#include <fmt/format.h>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"sustainability.workload-consolidation-signals",
                          "Deployments are not sprawling single replicas", Pillar::kSustainability, Severity::kLow,
                          "Where service levels allow, merge small single-replica Deployments or share runtimes, so "
                          "that fewer pods carry the same work; keep deliberate singletons as they are."};

// With at least 8 running Deployments, 60% or more of them at one replica warns (many small
// pods, each with its own runtime overhead); fewer Deployments pass without a verdict.
constexpr std::int64_t kMinDeployments = 8;
constexpr int kSingleReplicaPercent = 60;

Result Run(const Inputs& in) {
  Findings single("Deployments run a single replica");
  auto missing = ForEachWorkload(in, kDeployments, [&](const collectors::WorkloadInfo& w) {
    if (w.desired <= 0) return;
    single.Examine();
    if (w.desired == 1) single.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  if (single.population() < kMinDeployments) {
    return {Status::kPassing, fmt::format("{} running Deployments: too few to judge sprawl", single.population())};
  }
  if (single.affected() * 100 >= single.population() * kSingleReplicaPercent) return single.Verdict(Status::kWarning);
  return {Status::kPassing,
          fmt::format("{} of {} Deployments run a single replica", single.affected(), single.population())};
}

}  // namespace

std::unique_ptr<Check> WorkloadConsolidationSignalsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
