#include "sinks/collections/scheduler.h"

#include <algorithm>
#include <random>

#include "base/gzip.h"
#include "base/log.h"

namespace kube9::sinks::collections {
namespace {

// A collection that cannot run yet (no complete sample, identity unknown) is retried this soon.
constexpr base::Millis kNotReadyRetry{std::chrono::seconds(5)};
// Longest sleep between passes, so that a change of the metrics setting is seen promptly.
constexpr base::Millis kMaxSleep{std::chrono::seconds(1)};

base::Millis FirstRunOffset(const std::optional<base::Millis>& initial_delay) {
  if (initial_delay) return *initial_delay;
  // Random per process and type: a fleet started together does not upload in lockstep.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> minutes_ms(60'000, 15 * 60'000);
  return base::Millis(minutes_ms(rng));
}

}  // namespace

base::Expected<base::Ok, std::string> MemoryRing::Store(CollectionType, const std::string&, const std::string& json) {
  std::string compressed = base::GzipCompress(json, 6);  // a full ring stays a few hundred KB
  std::lock_guard lock(mu_);
  if (payloads_.size() == capacity_) payloads_.pop_front();
  payloads_.push_back(std::move(compressed));
  return base::Ok{};
}

std::size_t MemoryRing::Stored() const {
  std::lock_guard lock(mu_);
  return payloads_.size();
}

std::vector<std::string> MemoryRing::Payloads() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(payloads_.size());
  for (const auto& p : payloads_) {
    std::string json;
    base::GzipDecompress(p, json);  // compressed here: cannot fail
    out.push_back(std::move(json));
  }
  return out;
}

Scheduler::Scheduler(const collectors::ClusterStores& stores, const base::Clock& clock, IdentityFn identity,
                     PayloadSink& sink, Options options, NewId new_id, CollectionObserver* observer)
    : stores_(stores),
      clock_(clock),
      identity_(std::move(identity)),
      sink_(sink),
      options_(std::move(options)),
      new_id_(std::move(new_id)),
      observer_(observer) {
  const base::SteadyTime now = clock_.Now();
  periodic_ = {{
      {CollectionType::kClusterMetadata, options_.cluster_metadata_interval, now + FirstRunOffset(options_.initial_delay)},
      {CollectionType::kResourceInventory, options_.resource_inventory_interval,
       now + FirstRunOffset(options_.initial_delay)},
      {CollectionType::kResourceConfigurationPatterns, options_.resource_configuration_patterns_interval,
       now + FirstRunOffset(options_.initial_delay)},
  }};
}

void Scheduler::OnSample(std::shared_ptr<const collectors::ClusterAggregates> aggregates) {
  std::lock_guard lock(mu_);
  latest_ = std::move(aggregates);
}

void Scheduler::SetMetrics(bool enabled, base::Millis interval) {
  std::lock_guard lock(mu_);
  metrics_enabled_ = enabled;
  metrics_interval_ = std::max(interval, base::Millis(1000));
}

void Scheduler::Run(const base::StopSignal& stop) {
  while (!stop.stopped()) {
    if (clock_.SleepFor(Step(), stop)) break;
  }
  FlushBatch();  // samples taken are not lost on shutdown: the spool keeps them
}

base::Millis Scheduler::Step() {
  std::shared_ptr<const collectors::ClusterAggregates> latest;
  bool metrics_enabled = false;
  base::Millis metrics_interval{0};
  {
    std::lock_guard lock(mu_);
    latest = latest_;
    metrics_enabled = metrics_enabled_;
    metrics_interval = metrics_interval_;
  }
  base::SteadyTime now = clock_.Now();
  base::SteadyTime wake = now + kMaxSleep;
  for (Periodic& p : periodic_) {
    if (now >= p.due) {
      const bool done = latest != nullptr && Produce(p.type, [&](const ClusterIdentity& id, const std::string& cid) {
        const auto pillars = options_.assessment ? options_.assessment() : std::nullopt;
        return BuildCollection(p.type, {stores_, *latest, pillars ? &*pillars : nullptr}, id, clock_.WallNow(), cid);
      });
      now = clock_.Now();
      p.due = now + (done ? p.interval : kNotReadyRetry);
    }
    wake = std::min(wake, p.due);
  }

  if (!metrics_enabled) {
    next_sample_.reset();
  } else if (latest != nullptr) {
    if (!next_sample_ || now >= *next_sample_) {
      if (batch_.empty()) batch_started_ = now;
      batch_.push_back(SampleOf(*latest, clock_.WallNow()));
      next_sample_ = now + metrics_interval;
    }
    wake = std::min(wake, *next_sample_);
  }
  if (!batch_.empty()) {
    if (batch_.size() >= options_.batch_samples || now - batch_started_ >= options_.max_batch_age) FlushBatch();
    if (!batch_.empty()) wake = std::min(wake, batch_started_ + options_.max_batch_age);
  }
  return std::max(base::Millis(0), std::chrono::duration_cast<base::Millis>(wake - clock_.Now()));
}

void Scheduler::FlushBatch() {
  if (batch_.empty()) return;
  base::Millis interval;
  {
    std::lock_guard lock(mu_);
    interval = metrics_interval_;
  }
  const int interval_seconds = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(interval).count());
  if (Produce(CollectionType::kMetricsBatch, [&](const ClusterIdentity& id, const std::string& cid) {
        return BuildMetricsBatch(batch_, interval_seconds, id, clock_.WallNow(), cid);
      })) {
    batch_.clear();
  }
}

bool Scheduler::Produce(CollectionType type,
                        const std::function<std::string(const ClusterIdentity&, const std::string&)>& build) {
  const std::optional<ClusterIdentity> identity = identity_();
  if (!identity) return false;
  const auto started = std::chrono::steady_clock::now();
  const std::string collection_id = new_id_();
  const std::string json = build(*identity, collection_id);
  const auto stored = sink_.Store(type, collection_id, json);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const base::WallTime at = clock_.WallNow();
  {
    std::lock_guard lock(mu_);
    if (stored.ok()) {
      ++stats_.success;
      stats_.last_success = at;
    } else {
      ++stats_.failure;
    }
  }
  if (observer_ != nullptr) observer_->OnCollection(type, stored.ok(), seconds, at);
  if (stored.ok()) {
    log::Info("collection produced", {{"type", TypeName(type)}, {"collection_id", collection_id},
                                       {"bytes", json.size()}});
  } else {
    log::Error("collection could not be stored", {{"type", TypeName(type)}, {"collection_id", collection_id},
                                                  {"error", stored.error()}});
  }
  return true;  // a failed store is counted, not retried at once: the next interval tries again
}

std::shared_ptr<const collectors::ClusterAggregates> Scheduler::Latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

CollectionStats Scheduler::Stats() const {
  CollectionStats s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
  }
  s.stored = sink_.Stored();
  return s;
}

}  // namespace kube9::sinks::collections
