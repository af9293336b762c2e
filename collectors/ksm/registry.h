#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/ksm/family_set.h"

namespace kube9::collectors::ksm {

// One line per family set in collectors/ksm/registry.cc: the resource (a collector's name)
// and how to make its store. Each family-set file defines its maker.
struct FamilySetRegistration {
  std::string_view resource;
  std::unique_ptr<FamilyStore> (*make)(const Options& options, const FamilyFilter& filter);
};
const std::vector<FamilySetRegistration>& FamilySets();

std::unique_ptr<FamilyStore> NamespaceFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> NodeFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> DeploymentFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> PodFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> ServiceFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> PersistentVolumeClaimFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> HorizontalPodAutoscalerFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> PodDisruptionBudgetFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> StatefulSetFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> DaemonSetFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> ReplicaSetFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> JobFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> CronJobFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> NetworkPolicyFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> ResourceQuotaFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> LimitRangeFamilies(const Options&, const FamilyFilter&);
std::unique_ptr<FamilyStore> ConfigMapFamilies(const Options&, const FamilyFilter&);

// The family stores of the enabled collectors that have a family set. Each is fed by its
// collector's reflector (HandlerFor), and all render at scrape time (Render, any thread).
class KsmStores {
 public:
  KsmStores(const std::vector<std::string>& collectors, const Options& options);

  // The store to feed with `resource`'s objects, or null.
  kube::ReflectorHandler* HandlerFor(std::string_view resource) const;
  void Render(TextWriter& w) const;
  // The resources served, in registry order.
  std::vector<std::string> Resources() const;

 private:
  FamilyFilter filter_;
  std::vector<std::unique_ptr<FamilyStore>> stores_;
};

}  // namespace kube9::collectors::ksm
