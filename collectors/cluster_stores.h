#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/resource.h"
#include "collectors/store.h"

namespace kube9::collectors {

// The enabled collectors' stores, one per resource, found by the collector's Resource:
// `stores.Find(kPods)` is the pods store, or null when that collector is disabled.
// Not thread-safe to Add to; the stores themselves are (see Store).
class ClusterStores {
 public:
  ClusterStores() = default;
  // Stores added later keep and count objects as `sharding` says; the namespaces' store excepted:
  // namespaces are counted by no family but name the per-namespace series, so every shard keeps
  // them all and writes the same series (zeros where it has no object), which PromQL sums.
  explicit ClusterStores(Sharding sharding) : sharding_(sharding) {}
  const Sharding& sharding() const { return sharding_; }

  template <typename T>
  const Store<T>* Find(const Resource<T>& r) const {
    auto it = stores_.find(r.kind.name);
    // The registry's names are unique (tested), so a name always names the same record type.
    return it == stores_.end() ? nullptr : static_cast<const Store<T>*>(it->second.get());
  }
  template <typename T>
  Store<T>* Find(const Resource<T>& r) {
    return const_cast<Store<T>*>(std::as_const(*this).Find(r));
  }
  // Creates (or replaces) the store of `r`.
  template <typename T>
  Store<T>& Add(const Resource<T>& r) {
    auto store = std::make_unique<Store<T>>(r.extract, r.kind.name == "namespaces" ? Sharding{} : sharding_);
    Store<T>& ref = *store;
    stores_[std::string(r.kind.name)] = std::move(store);
    return ref;
  }
  // The store of the collector named `name` (any record type), or null.
  const StoreBase* FindByName(std::string_view name) const {
    auto it = stores_.find(name);
    return it == stores_.end() ? nullptr : it->second.get();
  }

 private:
  Sharding sharding_;
  std::map<std::string, std::unique_ptr<StoreBase>, std::less<>> stores_;
};

// The optional collectors' stores that were running and synced at one moment
// (CollectorSet::SyncedOptional), held alive while a reader uses them: a collector stopped
// meanwhile (its API removed) drops its store only when the last holder lets it go.
class OptionalStores {
 public:
  void Add(std::string_view name, std::shared_ptr<const StoreBase> store) {
    stores_[std::string(name)] = std::move(store);
  }
  template <typename T>
  const Store<T>* Find(const Resource<T>& r) const {
    auto it = stores_.find(r.kind.name);
    return it == stores_.end() ? nullptr : static_cast<const Store<T>*>(it->second.get());
  }
  // Their collectors' names, in name order.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, store] : stores_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, std::shared_ptr<const StoreBase>, std::less<>> stores_;
};

// The number of objects in `store`, 0 when its collector is disabled.
inline std::int64_t SizeOf(const StoreBase* store) {
  return store == nullptr ? 0 : static_cast<std::int64_t>(store->size());
}

}  // namespace kube9::collectors
