#include "assessment/checks/vpa_configuration_sanity.h"

#include <memory>

#include <set>
#include <string>
#include <tuple>

#include "assessment/checks/problems.h"
#include "collectors/extract.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"
#include "collectors/resources/vertical_pod_autoscalers.h"

namespace kube9::assessment {

const CheckInfo& VpaConfigurationSanity::info() const {
  static const CheckInfo kInfo{
      "performance-efficiency.vpa-configuration-sanity", "VerticalPodAutoscalers are consistent",
      Pillar::kPerformanceEfficiency, Severity::kMedium,
      "Give each VerticalPodAutoscaler an existing targetRef and minAllowed at or below maxAllowed; do not let a VPA "
      "in Auto or Recreate mode and an HPA on CPU or memory act on the same workload (use the HPA on custom metrics, "
      "or the VPA in Off mode for recommendations)."};
  return kInfo;
}

namespace {

using Target = std::tuple<std::string, std::string, std::string>;  // kind, namespace, name

void AddNames(std::set<Target>& out, std::string_view kind, const collectors::Store<collectors::WorkloadInfo>* store) {
  if (store == nullptr) return;
  store->ForEach([&](const collectors::WorkloadInfo& w) { out.emplace(std::string(kind), w.ns, w.name); });
}

}  // namespace

Result VpaConfigurationSanity::Run(const Inputs& in) const {
  if (in.api_groups == nullptr) return {Status::kSkipped, "not known: API discovery has not completed"};
  // Discovery runs again every --discovery-interval: a VPA installed later is collected then,
  // and this check evaluated at the assessment's next run.
  if (!in.api_groups->Serves(collectors::kVerticalPodAutoscalers.kind.api_group)) {
    return {Status::kSkipped, "VPA API not served (autoscaling.k8s.io)"};
  }
  const auto* vpas = Collected(in, collectors::kVerticalPodAutoscalers);
  if (auto skipped = SkippedUnlessCollected({{vpas, "verticalpodautoscalers"}})) return *skipped;

  const auto* deployments = Collected(in, collectors::kDeployments);
  const auto* statefulsets = Collected(in, collectors::kStatefulSets);
  const auto* daemonsets = Collected(in, collectors::kDaemonSets);
  std::set<Target> workloads;
  AddNames(workloads, "Deployment", deployments);
  AddNames(workloads, "StatefulSet", statefulsets);
  AddNames(workloads, "DaemonSet", daemonsets);
  auto known = [&](std::string_view kind) {
    return (kind == "Deployment" && deployments) || (kind == "StatefulSet" && statefulsets) ||
           (kind == "DaemonSet" && daemonsets);
  };
  std::set<Target> hpa_resource_targets;  // workloads an HPA scales on CPU or memory
  if (const auto* hpas = Collected(in, collectors::kHorizontalPodAutoscalers)) {
    hpas->ForEach([&](const collectors::HpaInfo& h) {
      if (h.scales_on_cpu_or_memory) hpa_resource_targets.emplace(h.target_kind, h.ns, h.target_name);
    });
  }

  Problems found("VerticalPodAutoscalers", {{"have no targetRef", Status::kFailing},
                                            {"target a missing workload", Status::kFailing},
                                            {"have minAllowed above maxAllowed", Status::kFailing},
                                            {"update pods an HPA also scales on CPU or memory", Status::kWarning}});
  vpas->ForEach([&](const collectors::VpaInfo& v) {
    found.Examine();
    const Target target{v.target_kind, v.ns, v.target_name};
    if (v.target_name.empty())
      found.Affected(0, v.ns, v.name);
    else if (known(v.target_kind) && !workloads.contains(target))
      found.Affected(1, v.ns, v.name);
    else if (v.min_above_max)
      found.Affected(2, v.ns, v.name);
    else if (v.updates_pods && hpa_resource_targets.contains(target))
      found.Affected(3, v.ns, v.name);
  });
  return found.Verdict();
}

std::unique_ptr<Check> VpaConfigurationSanityCheck() { return std::make_unique<VpaConfigurationSanity>(); }

}  // namespace kube9::assessment
