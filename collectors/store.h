#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/extract.h"
#include "kube/reflector.h"

namespace kube9::collectors {

// The identity of an object in a store: its UID packed into 128 bits (a UUID's 32 hex
// digits), or two independent hashes of namespace/name when the UID is missing.
struct ObjectKey {
  std::uint64_t hi = 0, lo = 0;
  bool operator==(const ObjectKey&) const = default;
};
struct ObjectKeyHash {
  std::size_t operator()(const ObjectKey& k) const { return k.hi ^ (k.lo * 0x9E3779B97F4A7C15ull); }
};
ObjectKey KeyOf(const rapidjson::Value& object);
ObjectKey KeyOfUid(std::string_view uid);

// kube-state-metrics' shard of an object: the jump consistent hash (Lamping and Veach) of the
// 64-bit FNV-1a hash of its UID, over `total` shards.
int ShardOf(std::string_view uid, int total);

// --shard/--total-shards for a store (docs/ksm-compatibility.md "Sharding"): which of its objects
// are this shard's (counted by the per-shard aggregates), and whether the others are kept at
// all. The status writer (shard 0) keeps them, since the status, the assessment and the uploads
// describe the whole cluster; the other shards drop them and hold only their share.
struct Sharding {
  int shard = 0;
  int total = 1;
  bool keep_others = true;
  bool sharded() const { return total > 1; }
};

// What a reader walks: every object the store holds, or only this shard's.
enum class Scope : std::uint8_t { kAll, kShard };

// The state of one resource type, kept in compact records. The reflector's thread writes;
// the sampler reads. A relist marks what it lists and then drops what it did not see, so a
// relist never holds two copies of the store (peak memory stays at the steady size).
// What every store answers whatever its record type: for self metrics and counts.
class StoreBase : public kube::ReflectorHandler {
 public:
  virtual std::size_t size() const = 0;
  // Objects that could not be used (no metadata; too large or too deep to read): counted,
  // not kept.
  virtual std::uint64_t skipped() const = 0;
};

template <typename T>
class Store final : public StoreBase {
 public:
  using Extract = std::function<std::optional<T>(const rapidjson::Value&)>;
  explicit Store(Extract extract, Sharding sharding = {}) : extract_(std::move(extract)), sharding_(sharding) {}

  void OnSyncStart() override {
    std::unique_lock lock(mu_);
    ++generation_;
  }
  void OnListed(const rapidjson::Value& object) override { Upsert(object); }
  void OnSynced() override {
    std::unique_lock lock(mu_);
    std::erase_if(objects_, [this](const auto& kv) { return kv.second.generation != generation_; });
  }
  void OnEvent(kube::EventType type, const rapidjson::Value& object) override {
    if (type == kube::EventType::kDeleted) {
      const ObjectKey key = KeyOf(object);
      std::unique_lock lock(mu_);
      objects_.erase(key);
      return;
    }
    Upsert(object);
  }
  void OnSkipped(std::size_t count) override { skipped_ += count; }

  // Calls f(const T&) for every object, under a shared lock: keep f short.
  template <typename F>
  void ForEach(F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [key, entry] : objects_) f(entry.value);
  }
  // The same over `scope`: kShard skips the objects of other shards that the store keeps.
  template <typename F>
  void ForEach(Scope scope, F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [key, entry] : objects_) {
      if (scope == Scope::kAll || entry.mine) f(entry.value);
    }
  }
  // Calls f(std::span<const T* const>) with every object, under one shared lock: for a reader
  // that walks them several times (the per-object families, once per family). An array of
  // pointers lets the CPU fetch several records at once, where walking the map's nodes waits
  // for each node to know the next one.
  template <typename F>
  void ForAll(F&& f) const {
    std::shared_lock lock(mu_);
    std::vector<const T*> all;
    all.reserve(objects_.size());
    for (const auto& [key, entry] : objects_) all.push_back(&entry.value);
    f(std::span<const T* const>(all));
  }
  std::size_t size() const override {
    std::shared_lock lock(mu_);
    return objects_.size();
  }
  std::uint64_t skipped() const override { return skipped_.load(); }

 private:
  struct Entry {
    T value;
    std::uint32_t generation;
    bool mine;  // this shard's (always, unsharded)
  };

  void Upsert(const rapidjson::Value& object) {
    std::optional<T> record = extract_(object);  // outside the lock: the sampler is not kept waiting
    if (!record) {
      ++skipped_;
      return;
    }
    const std::string uid = ObjectUid(object);
    const bool mine = !sharding_.sharded() || ShardOf(uid, sharding_.total) == sharding_.shard;
    const ObjectKey key = KeyOfUid(uid);
    std::unique_lock lock(mu_);
    if (!mine && !sharding_.keep_others) {
      objects_.erase(key);  // (an update cannot move an object between shards: its UID is fixed)
      return;
    }
    objects_.insert_or_assign(key, Entry{std::move(*record), generation_, mine});
  }

  Extract extract_;
  const Sharding sharding_;
  mutable std::shared_mutex mu_;
  std::unordered_map<ObjectKey, Entry, ObjectKeyHash> objects_;
  std::uint32_t generation_ = 0;
  std::atomic<std::uint64_t> skipped_{0};
};

}  // namespace kube9::collectors
