#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/thread.h"
#include "collectors/cluster_stores.h"
#include "collectors/registry.h"
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
class CollectorSet {
 public:
  using AlsoFeed = std::function<kube::ReflectorHandler*(std::string_view resource)>;
  CollectorSet(const std::vector<std::string>& enabled, kube::Client& client, const base::Clock& clock,
               kube::ReflectorObserver* observer, int page_size = 500,
               kube::ReflectorHandler* events_history = nullptr, const AlsoFeed& also_feed = nullptr);
  ~CollectorSet();

  void Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures);
  void Join();

  const ClusterStores& stores() const { return stores_; }
  // Aggregate collectors whose first LIST has not completed yet (not the events history's).
  std::vector<std::string> Unsynced() const;
  // Collectors whose list/watch is failing now (see kube::Reflector::failing), in order.
  std::vector<CollectorFailure> Failures() const;
  // What each store holds, for self metrics.
  struct StoreStats {
    std::string resource;
    std::size_t objects = 0;   // held now
    std::uint64_t skipped = 0; // objects the API server sent that could not be used, so far
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
  const base::Clock& clock_;
  ClusterStores stores_;
  std::vector<Running> running_;
};

}  // namespace kube9::collectors
