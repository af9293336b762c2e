#pragma once

#include <string>
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
};

template <const auto& R>
Registration Register() {
  return {R.kind, [](ClusterStores& stores) -> StoreBase* { return &stores.Add(R); }};
}

// Every collector, in the order of `kube9-operator rbac` and the docs.
const std::vector<Registration>& Registry();
// The same, as resources (for RBAC).
const std::vector<ResourceKind>& AllResources();
// Every collector's name: --collectors' default.
std::vector<std::string> AllCollectorNames();

// Resolves --collectors (config::CollectorCheck): empty means every collector, and fills
// `names` in; otherwise each name must be a known collector. Returns the problem (naming every
// unknown collector and the known ones), or "" when there is none.
std::string ResolveCollectorNames(std::vector<std::string>& names);

}  // namespace kube9::collectors
