#include "assessment/checks/pod_disruption_budgets.h"

#include <memory>

#include <map>
#include <string>
#include <vector>

#include "assessment/checks/problems.h"
#include "collectors/extract.h"
#include "collectors/resources/pod_disruption_budgets.h"

namespace kube9::assessment {

const CheckInfo& PodDisruptionBudgets::info() const {
  static const CheckInfo kInfo{
      "reliability.pod-disruption-budgets", "Replicated workloads have a PodDisruptionBudget that allows disruptions",
      Pillar::kReliability, Severity::kMedium,
      "Give each Deployment and StatefulSet of two or more replicas a PodDisruptionBudget selecting its pods, with "
      "maxUnavailable of at least 1 (or minAvailable below the replica count), so that drains and upgrades keep it "
      "serving without blocking."};
  return kInfo;
}

Result PodDisruptionBudgets::Run(const Inputs& in) const {
  const auto* deployments = Collected(in, collectors::kDeployments);
  const auto* statefulsets = Collected(in, collectors::kStatefulSets);
  const auto* pdbs = Collected(in, collectors::kPodDisruptionBudgets);
  if (auto skipped = SkippedUnlessCollected(
          {{pdbs, "poddisruptionbudgets"}, {deployments, "deployments"}, {statefulsets, "statefulsets"}})) {
    return *skipped;
  }
  // Copied out: a store's records may change once its lock is released.
  std::map<std::string, std::vector<collectors::PdbInfo>, std::less<>> by_namespace;
  pdbs->ForEach([&](const collectors::PdbInfo& p) { by_namespace[p.ns].push_back(p); });

  Problems found("replicated Deployments and StatefulSets",
                 {{"have only PodDisruptionBudgets that allow no disruption", Status::kFailing},
                  {"have no PodDisruptionBudget", Status::kWarning}});
  auto look = [&](const collectors::WorkloadInfo& w) {
    if (w.desired < 2) return;
    found.Examine();
    bool covered = false, allows_disruption = false;
    if (auto it = by_namespace.find(w.ns); it != by_namespace.end()) {
      for (const auto& p : it->second) {
        if (!p.selector.Matches(w.pod_labels)) continue;
        covered = true;
        if (!p.allows_no_disruption && (p.min_available < 0 || p.min_available < w.desired)) allows_disruption = true;
      }
    }
    if (!covered)
      found.Affected(1, w.ns, w.name);
    else if (!allows_disruption)
      found.Affected(0, w.ns, w.name);
  };
  deployments->ForEach(look);
  statefulsets->ForEach(look);
  return found.Verdict();
}

std::unique_ptr<Check> PodDisruptionBudgetsCheck() { return std::make_unique<PodDisruptionBudgets>(); }

}  // namespace kube9::assessment
