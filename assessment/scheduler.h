#pragma once

#include <functional>
#include <optional>

#include "assessment/engine.h"
#include "base/clock.h"
#include "collectors/aggregates.h"
#include "collectors/cluster_stores.h"

namespace kube9::assessment {

// The scheduled assessment: the whole catalogue once the collectors are synced, then every
// `interval`. Driven by the sampler's thread (OnSyncedSample with each synced sample), so it
// reads the sample's aggregates instead of recomputing them, and needs no thread of its own:
// a run is one pass over the stores per check, tens of milliseconds at 10k pods.
class ScheduledAssessment {
 public:
  ScheduledAssessment(const collectors::ClusterStores& stores, const base::Clock& clock, base::Millis interval,
                      SelfFacts self, LastRun& last, std::function<void(const Report&)> on_run = nullptr);

  // Runs the catalogue when due (the first synced sample, then `interval` after the previous
  // run started). Returns whether it ran.
  bool OnSyncedSample(const collectors::ClusterAggregates& sample);

  base::Millis interval() const { return interval_; }

 private:
  const collectors::ClusterStores& stores_;
  const base::Clock& clock_;
  const base::Millis interval_;
  const SelfFacts self_;
  LastRun& last_;
  std::function<void(const Report&)> on_run_;
  std::optional<base::SteadyTime> last_start_;
  const std::vector<const Check*> checks_ = CatalogueChecks();
};

}  // namespace kube9::assessment
