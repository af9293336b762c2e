#pragma once

#include <functional>
#include <optional>
#include <string>

#include "assessment/engine.h"
#include "base/clock.h"
#include "collectors/aggregates.h"
#include "collectors/cluster_stores.h"

namespace kube9::assessment {

// The scheduled assessment: the whole catalogue once the collectors are synced, then every
// `interval`. Driven by the sampler's thread (OnSample with each sample), so it
// reads the sample's aggregates instead of recomputing them, and needs no thread of its own:
// a run is one pass over the stores per check, tens of milliseconds at 10k pods.
class ScheduledAssessment {
 public:
  // `unsynced_grace`: how long unsynced collectors may hold the run back (serve: as long as the
  // status takes to call them failing, 3 sample intervals).
  ScheduledAssessment(const collectors::ClusterStores& stores, const base::Clock& clock, base::Millis interval,
                      SelfFacts self, LastRun& last, std::function<void(const Report&)> on_run = nullptr,
                      base::Millis unsynced_grace = kUnsyncedGrace);

  // Runs the catalogue when due: at the first synced sample, then `interval` after the previous
  // run started. While collectors stay unsynced (`unsynced`: RBAC denied, API errors), it waits
  // kUnsyncedGrace from the first sample, then runs without them (their checks skipped), and
  // again as soon as every collector is synced. Returns whether it ran.
  //
  // kUnsyncedGrace is the default wait.
  bool OnSample(const collectors::ClusterAggregates& sample, const std::vector<std::string>& unsynced);
  static constexpr std::chrono::minutes kUnsyncedGrace{3};

  base::Millis interval() const { return interval_; }
  // What the latest API discovery found: its API groups (Inputs::api_groups; nullopt until one
  // has completed, and the add-on checks are skipped) and the optional collectors (VPA, Argo
  // CD, Flux) synced now (Inputs::optional). Called on the sampler's thread before OnSample.
  // A change (VPA installed or removed) makes the next OnSample with nothing unsynced run the
  // catalogue again, instead of an interval later: those checks follow the cluster.
  void SetDiscovered(std::optional<collectors::ApiGroups> groups, collectors::OptionalStores optional);
  // The GitOps applications of the latest sample (Inputs::gitops); called on the sampler's
  // thread before OnSample.
  void SetGitOps(std::optional<collectors::DeliverySignals> signals) { gitops_ = signals; }

 private:
  const collectors::ClusterStores& stores_;
  const base::Clock& clock_;
  const base::Millis interval_;
  const base::Millis unsynced_grace_;
  const SelfFacts self_;
  LastRun& last_;
  std::optional<collectors::ApiGroups> api_groups_;
  collectors::OptionalStores optional_;
  std::string coverage_;                     // api_groups_ and optional_, in one comparable text
  std::optional<std::string> last_coverage_;  // coverage_ at the last run
  std::optional<collectors::DeliverySignals> gitops_;
  std::function<void(const Report&)> on_run_;
  std::optional<base::SteadyTime> last_start_;
  std::optional<base::SteadyTime> first_sample_;
  bool last_run_partial_ = false;  // the last run went ahead without some collectors
  const std::vector<const Check*> checks_ = CatalogueChecks();
};

}  // namespace kube9::assessment
