#include "assessment/checks/hpa_configuration_sanity.h"

#include <memory>

#include <set>
#include <string>
#include <utility>

#include "assessment/checks/problems.h"
#include "collectors/extract.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"

namespace kube9::assessment {

const CheckInfo& HpaConfigurationSanity::info() const {
  static const CheckInfo kInfo{
      "performance-efficiency.hpa-configuration-sanity", "HorizontalPodAutoscalers can scale their target",
      Pillar::kPerformanceEfficiency, Severity::kMedium,
      "Point each HorizontalPodAutoscaler at an existing Deployment or StatefulSet, keep minReplicas below "
      "maxReplicas and give it at least one metric; delete autoscalers whose workload is gone."};
  return kInfo;
}

namespace {

using Key = std::pair<std::string, std::string>;  // namespace, name

// The names of a workload store's objects; none when that collector is off (the caller then
// does not check targets of that kind).
std::set<Key> Names(const collectors::Store<collectors::WorkloadInfo>* store) {
  std::set<Key> out;
  if (store != nullptr) store->ForEach([&](const collectors::WorkloadInfo& w) { out.emplace(w.ns, w.name); });
  return out;
}

}  // namespace

Result HpaConfigurationSanity::Run(const Inputs& in) const {
  const auto* hpas = Collected(in, collectors::kHorizontalPodAutoscalers);
  if (auto skipped = SkippedUnlessCollected({{hpas, "horizontalpodautoscalers"}})) return *skipped;
  const auto* deployments = Collected(in, collectors::kDeployments);
  const auto* statefulsets = Collected(in, collectors::kStatefulSets);
  const std::set<Key> deployment_names = Names(deployments), statefulset_names = Names(statefulsets);

  Problems found("HorizontalPodAutoscalers", {{"have minReplicas above maxReplicas", Status::kFailing},
                                              {"target a missing workload", Status::kFailing},
                                              {"have minReplicas equal to maxReplicas (never scale)", Status::kWarning},
                                              {"have no metrics", Status::kWarning}});
  hpas->ForEach([&](const collectors::HpaInfo& h) {
    found.Examine();
    const Key target{h.ns, h.target_name};
    const bool missing =
        (h.target_kind == "Deployment" && deployments != nullptr && !deployment_names.contains(target)) ||
        (h.target_kind == "StatefulSet" && statefulsets != nullptr && !statefulset_names.contains(target)) ||
        h.target_name.empty();
    if (h.min_replicas > h.max_replicas)
      found.Affected(0, h.ns, h.name);
    else if (missing)
      found.Affected(1, h.ns, h.name);
    else if (h.min_replicas == h.max_replicas)
      found.Affected(2, h.ns, h.name);
    else if (h.metrics == 0)
      found.Affected(3, h.ns, h.name);
  });
  return found.Verdict();
}

std::unique_ptr<Check> HpaConfigurationSanityCheck() { return std::make_unique<HpaConfigurationSanity>(); }

}  // namespace kube9::assessment
