#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

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
  explicit Store(Extract extract) : extract_(std::move(extract)) {}

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
  std::size_t size() const override {
    std::shared_lock lock(mu_);
    return objects_.size();
  }
  std::uint64_t skipped() const override { return skipped_.load(); }

 private:
  struct Entry {
    T value;
    std::uint32_t generation;
  };

  void Upsert(const rapidjson::Value& object) {
    std::optional<T> record = extract_(object);  // outside the lock: the sampler is not kept waiting
    if (!record) {
      ++skipped_;
      return;
    }
    const ObjectKey key = KeyOf(object);
    std::unique_lock lock(mu_);
    objects_.insert_or_assign(key, Entry{std::move(*record), generation_});
  }

  Extract extract_;
  mutable std::shared_mutex mu_;
  std::unordered_map<ObjectKey, Entry, ObjectKeyHash> objects_;
  std::uint32_t generation_ = 0;
  std::atomic<std::uint64_t> skipped_{0};
};

}  // namespace kube9::collectors
