#include "collectors/ksm/registry.h"

#include <algorithm>

namespace kube9::collectors::ksm {

const std::vector<FamilySetRegistration>& FamilySets() {
  static const std::vector<FamilySetRegistration> all = {
      {"namespaces", &NamespaceFamilies},
      {"nodes", &NodeFamilies},
      {"deployments", &DeploymentFamilies},
      {"pods", &PodFamilies},
      {"services", &ServiceFamilies},
      {"persistentvolumeclaims", &PersistentVolumeClaimFamilies},
      {"horizontalpodautoscalers", &HorizontalPodAutoscalerFamilies},
      {"poddisruptionbudgets", &PodDisruptionBudgetFamilies},
      {"statefulsets", &StatefulSetFamilies},
      {"daemonsets", &DaemonSetFamilies},
      {"replicasets", &ReplicaSetFamilies},
      {"jobs", &JobFamilies},
      {"cronjobs", &CronJobFamilies},
      {"networkpolicies", &NetworkPolicyFamilies},
      {"resourcequotas", &ResourceQuotaFamilies},
      {"limitranges", &LimitRangeFamilies},
      {"configmaps", &ConfigMapFamilies},  // opt-in collector: only when --collectors names it
  };
  return all;
}

KsmStores::KsmStores(const std::vector<std::string>& collectors, const Options& options) : filter_(options) {
  for (const auto& reg : FamilySets()) {
    if (std::find(collectors.begin(), collectors.end(), reg.resource) == collectors.end()) continue;
    stores_.push_back(reg.make(options, filter_));
  }
}

kube::ReflectorHandler* KsmStores::HandlerFor(std::string_view resource) const {
  for (const auto& s : stores_) {
    if (s->resource() == resource) return s.get();
  }
  return nullptr;
}

void KsmStores::Render(TextWriter& w) const {
  for (const auto& s : stores_) s->Render(w);
}

std::vector<std::string> KsmStores::Resources() const {
  std::vector<std::string> out;
  for (const auto& s : stores_) out.emplace_back(s->resource());
  return out;
}

}  // namespace kube9::collectors::ksm
