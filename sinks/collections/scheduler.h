#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "sinks/collections/payloads.h"

// When collections are produced and where they go. Each periodic type runs on its own interval,
// its first run spread by a per-type offset; metrics-batch samples the health aggregates every
// metricsIntervalSeconds (when the server enabled it) and closes a batch at 10 samples or when
// its first sample is `max_batch_age` old. Everything produced goes to a PayloadSink.
namespace kube9::sinks::collections {

// Where finished payloads go: the disk spool in Pro tier, an in-memory ring in free tier.
class PayloadSink {
 public:
  virtual ~PayloadSink() = default;
  virtual base::Expected<base::Ok, std::string> Store(CollectionType type, const std::string& collection_id,
                                                  const std::string& json) = 0;
  // Payloads held (collectionStats.collectionsStoredCount).
  virtual std::size_t Stored() const = 0;
};

// Free tier: the last `capacity` payloads, kept in memory (gzip-compressed) and never sent.
// Thread-safe.
class MemoryRing final : public PayloadSink {
 public:
  explicit MemoryRing(std::size_t capacity = 100) : capacity_(capacity) {}
  base::Expected<base::Ok, std::string> Store(CollectionType type, const std::string& collection_id,
                                          const std::string& json) override;
  std::size_t Stored() const override;
  std::vector<std::string> Payloads() const;  // oldest first

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<std::string> payloads_;  // compressed
};

struct CollectionStats {
  std::uint64_t success = 0, failure = 0;
  std::uint64_t stored = 0;
  std::optional<base::WallTime> last_success;
};

class CollectionObserver {
 public:
  virtual ~CollectionObserver() = default;
  virtual void OnCollection(CollectionType type, bool success, double seconds, base::WallTime at) = 0;
};

class Scheduler {
 public:
  struct Options {
    base::Millis cluster_metadata_interval{std::chrono::hours(24)};
    base::Millis resource_inventory_interval{std::chrono::hours(6)};
    base::Millis resource_configuration_patterns_interval{std::chrono::hours(12)};
    // The first run of each type: this delay when set, else a random offset of 1 to 15 minutes.
    std::optional<base::Millis> initial_delay;
    base::Millis max_batch_age{std::chrono::minutes(10)};
    std::size_t batch_samples = 10;
    // The last assessment run's counts per pillar, or nullopt before the first (see Snapshot).
    std::function<std::optional<std::vector<assessment::PillarSummary>>()> assessment;
  };
  using NewId = std::function<std::string()>;
  // The cluster's identity; nullopt while it cannot be read yet.
  using IdentityFn = std::function<std::optional<ClusterIdentity>()>;

  Scheduler(const collectors::ClusterStores& stores, const base::Clock& clock, IdentityFn identity, PayloadSink& sink,
            Options options, NewId new_id = &NewCollectionId, CollectionObserver* observer = nullptr);

  // The latest complete sample of the aggregates (from the sampler's thread).
  void OnSample(std::shared_ptr<const collectors::ClusterAggregates> aggregates);
  // metrics-batch on or off, as the registration's configuration says.
  void SetMetrics(bool enabled, base::Millis interval);

  // Produces collections until `stop`, then closes the open metrics batch. One dedicated thread.
  void Run(const base::StopSignal& stop);
  // One pass: runs what is due. Returns how long until something is due (tests step this).
  base::Millis Step();
  // Closes the open metrics batch now, if it has samples.
  void FlushBatch();

  CollectionStats Stats() const;
  // The latest sample given to OnSample, or null before the first.
  std::shared_ptr<const collectors::ClusterAggregates> Latest() const;

 private:
  struct Periodic {
    CollectionType type;
    base::Millis interval;
    base::SteadyTime due;
  };
  bool Produce(CollectionType type, const std::function<std::string(const ClusterIdentity&, const std::string&)>& build);

  const collectors::ClusterStores& stores_;
  const base::Clock& clock_;
  IdentityFn identity_;
  PayloadSink& sink_;
  Options options_;
  NewId new_id_;
  CollectionObserver* observer_;
  std::array<Periodic, 3> periodic_;

  mutable std::mutex mu_;  // guards what other threads set or read
  std::shared_ptr<const collectors::ClusterAggregates> latest_;
  bool metrics_enabled_ = false;
  base::Millis metrics_interval_{std::chrono::seconds(60)};
  CollectionStats stats_;

  // Owned by the scheduler's thread.
  std::vector<MetricsSample> batch_;
  base::SteadyTime batch_started_{};
  std::optional<base::SteadyTime> next_sample_;
};

}  // namespace kube9::sinks::collections
