#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "collectors/cluster_stores.h"
#include "collectors/resource.h"

namespace kube9::collectors {

// One line per collector in collectors/registry.cc: its resource, and how to make its store.
struct Registration {
  ResourceKind kind;
  // Creates the collector's store in `stores` and returns it; null for a collector whose
  // objects go to a handler outside the stores (events: the events history).
  StoreBase* (*add_store)(ClusterStores& stores) = nullptr;
  // An optional collector (RegisterOptional) reads an API that a cluster may not serve (a
  // custom resource: Argo CD, Flux, VPA). It runs only while the periodic API discovery finds
  // its API served (collectors/discovery.h, CollectorSet::SetServedApis): started and stopped
  // at run time, never holding readiness back, with its store outside ClusterStores
  // (CollectorSet::FindOptional). Adding one is this line in registry.cc; its RBAC rule is
  // granted whether or not the API is served.
  std::shared_ptr<StoreBase> (*make_store)() = nullptr;
  // An optional collector whose API group other tools share (argoproj.io: Argo CD, Workflows,
  // Rollouts) needs its resource listed by discovery, not only its group/version served.
  bool by_resource = false;

  bool optional() const { return make_store != nullptr; }
  // Off unless --collectors names it: what it reads is beyond the default grant (ConfigMaps
  // cluster-wide, PRODUCT.md §10).
  bool opt_in = false;

  Registration OptIn() const {
    Registration r = *this;
    r.opt_in = true;
    return r;
  }
  Registration ByResource() const {
    Registration r = *this;
    r.by_resource = true;
    return r;
  }
};

template <const auto& R>
Registration Register() {
  return {R.kind, [](ClusterStores& stores) -> StoreBase* { return &stores.Add(R); }};
}

template <const auto& R>
Registration RegisterOptional() {
  Registration reg{R.kind};
  reg.make_store = []() -> std::shared_ptr<StoreBase> {
    return std::make_shared<Store<typename std::remove_cvref_t<decltype(R)>::Record>>(R.extract);
  };
  return reg;
}

// "group/version" of a resource's path ("/apis/argoproj.io/v1alpha1/applications" ->
// "argoproj.io/v1alpha1"; "/api/v1/pods" -> "v1"): what discovery must serve for it.
std::string_view GroupVersionOf(const ResourceKind& kind);
// The resource of a path, its last segment ("applications").
std::string_view ResourceOf(const ResourceKind& kind);

// Every collector, in the order of `kube9-operator rbac` and the docs.
const std::vector<Registration>& Registry();
// The same, as resources (for RBAC).
const std::vector<ResourceKind>& AllResources();
// Every collector's name, the opt-in ones included: what --collectors accepts.
std::vector<std::string> AllCollectorNames();
// The collectors that are not opt-in: --collectors' default.
std::vector<std::string> DefaultCollectorNames();

// Resolves --collectors (config::CollectorCheck): empty means the default collectors, and fills
// `names` in; otherwise each name must be a known collector. Returns the problem (naming every
// unknown collector and the known ones), or "" when there is none.
std::string ResolveCollectorNames(std::vector<std::string>& names);

}  // namespace kube9::collectors
