#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/thread.h"
#include "collectors/cluster_stores.h"
#include "collectors/discovery.h"
#include "collectors/registry.h"
#include "collectors/sample_source.h"
#include "collectors/store.h"
#include "kube/client.h"
#include "kube/reflector.h"

namespace kube9::collectors {

// A collector whose list/watch has kept failing since `since`, with the latest error.
struct CollectorFailure {
  std::string collector;
  base::Millis failing_for{0};
  kube::ApiError error;
};

// The status's `error` when collectors have been failing for longer than `threshold` (the
// status rule of docs/status-configmap.md: every enabled collector is core), naming each
// with how long and why, e.g. "collector pods failing for 2m: forbidden (HTTP 403): ...";
// nullopt when none has.
std::optional<std::string> DescribeCollectorFailures(const std::vector<CollectorFailure>& failures,
                                                     base::Millis threshold);

// The enabled collectors: a store and a reflector each, one named thread each ("w:<resource>",
// restarted after a failure). The events collector feeds `events_history` (sinks/events)
// instead of a store, and runs only with one. `also_feed(resource)` names a second handler fed
// by the same watch (the kube-state-metrics families' store of that resource), or null: one
// LIST and one WATCH per resource whatever consumes it.
//
// Optional collectors (Registration::optional) run only while their API is served: each
// SetServedApis starts those whose API (ServedKeyOf) appeared and stops those whose went away
// (thread joined, store dropped, their series gone through ReflectorObserver::OnStopped), so
// installing or removing VPA, Argo CD or Flux needs no restart. They never hold readiness
// (Unsynced) back, and count as failing (Failures) only while started, and not for "not
// found": the API going away between two discoveries is not a fault.
//
// `sharding` (--shard/--total-shards) applies to the stores (ClusterStores), not to the
// optional collectors, which only the status writer runs.
class CollectorSet final : public SampleSource {
 public:
  using AlsoFeed = std::function<kube::ReflectorHandler*(std::string_view resource)>;
  CollectorSet(const std::vector<std::string>& enabled, kube::Client& client, const base::Clock& clock,
               kube::ReflectorObserver* observer, int page_size = 500,
               kube::ReflectorHandler* events_history = nullptr, const AlsoFeed& also_feed = nullptr,
               Sharding sharding = {});
  ~CollectorSet();

  void Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures);
  // Stops the optional collectors (the global stop does not reach them: each has its own) and
  // joins every thread. Call after `stop` fired.
  void Join();

  // Starts and stops the enabled optional collectors to match `served` (before Start: remembers
  // it, and Start starts them). Called by the thread that runs discovery; may block while a
  // stopped collector's thread ends (about a second). Thread-safe.
  void SetServedApis(const ServedApis& served);

  const ClusterStores& stores() const override { return stores_; }
  // The store of an optional collector, once running and its first LIST completed (a partial
  // picture would show false alarms); null otherwise. The pointer keeps the store alive after
  // the collector stops, so a reader never sees it freed. Thread-safe.
  template <typename T>
  std::shared_ptr<const Store<T>> FindOptional(const Resource<T>& r) const {
    return std::static_pointer_cast<const Store<T>>(FindOptionalByName(r.kind.name));
  }
  std::shared_ptr<const StoreBase> FindOptionalByName(std::string_view name) const;
  // The optional collectors running now (synced or not), in registry order.
  std::vector<std::string> RunningOptional() const;
  // The stores of the optional collectors running now whose first LIST has completed.
  OptionalStores SyncedOptional() const;
  // The optional collectors running now whose first LIST has not completed (they hold neither
  // readiness nor the samples back; the assessment's first run waits for them).
  std::vector<std::string> UnsyncedOptional() const;
  // Aggregate collectors whose first LIST has not completed yet (not the events history's).
  std::vector<std::string> Unsynced() const override;
  // Collectors whose list/watch is failing now (see kube::Reflector::failing), in order.
  std::vector<CollectorFailure> Failures() const;
  // What each store holds, for self metrics.
  struct StoreStats {
    std::string resource;
    std::size_t objects = 0;    // held now
    std::uint64_t skipped = 0;  // objects the API server sent that could not be used, so far
  };
  std::vector<StoreStats> Stats() const;

 private:
  struct Running {
    std::string name;
    kube::ReflectorHandler* store;
    const StoreBase* stats_store;  // null: not an aggregate store (the events history)
    std::unique_ptr<kube::ReflectorHandler> tee;  // set when a second handler is fed
    std::unique_ptr<kube::Reflector> reflector;
    std::thread thread;
  };
  // A started optional collector. Its own stop signal ends it alone.
  struct OptionalRunning {
    const Registration* reg;
    std::shared_ptr<StoreBase> store;
    std::unique_ptr<base::StopSignal> stop;
    std::unique_ptr<kube::Reflector> reflector;
    std::thread thread;
  };
  std::unique_ptr<OptionalRunning> MakeOptional(const Registration& reg) const;
  void StopOptional(OptionalRunning& r);

  kube::Client& client_;
  const base::Clock& clock_;
  kube::ReflectorObserver* observer_;
  const int page_size_;
  ClusterStores stores_;
  std::vector<Running> running_;

  // Serializes SetServedApis and Join (the only writers of optional_): starting or joining a
  // thread happens under it, never under optional_mu_, so readers are not held up.
  std::mutex change_mu_;
  std::vector<const Registration*> optional_enabled_;  // in registry order
  std::optional<ServedApis> served_;                   // the latest SetServedApis
  const base::StopSignal* global_stop_ = nullptr;      // set by Start
  base::ThreadFailureHandler* failures_ = nullptr;     // set by Start
  bool joined_ = false;
  bool reported_off_ = false;  // the optional collectors off at the first discovery were logged
  mutable std::mutex optional_mu_;
  std::vector<std::unique_ptr<OptionalRunning>> optional_;  // in registry order
};

}  // namespace kube9::collectors
