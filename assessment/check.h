#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "collectors/aggregates.h"
#include "collectors/cluster_stores.h"
#include "collectors/discovery.h"
#include "collectors/gitops_summary.h"

// The Well-Architected assessment (docs/assessment.md, PRODUCT.md §10): checks of how the
// cluster's workloads are configured, computed from the collectors' stores. A check is one
// file under assessment/checks/ and one line in assessment/catalogue.cc.
namespace kube9::assessment {

enum class Pillar : std::uint8_t {
  kSecurity,
  kReliability,
  kPerformanceEfficiency,
  kCostOptimization,
  kOperationalExcellence,
  kSustainability,
};
// "security", "reliability", "performance-efficiency", "cost-optimization",
// "operational-excellence", "sustainability": as the extension spells them.
std::string_view PillarName(Pillar p);

enum class Status : std::uint8_t { kPassing, kFailing, kWarning, kSkipped, kError, kTimeout };
std::string_view StatusName(Status s);  // "passing", "failing", ...

// How much a failure of the check matters; `assess run --fail-on` and the alerts use it.
enum class Severity : std::uint8_t { kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity s);  // "low", "medium", "high", "critical"

// What a check is, for the catalogue (`assess list`, docs/assessment.md).
struct CheckInfo {
  std::string_view id;    // "<pillar>.<name>", e.g. "security.run-as-non-root"
  std::string_view name;  // "Containers run as non-root"
  Pillar pillar;
  Severity severity;             // default severity of a failure
  std::string_view remediation;  // one or two sentences: what to change
};

struct Result {
  Status status = Status::kPassing;
  std::string message;  // one line: how many objects are affected, at most 3 examples
};

// What the operator knows about itself, for operational-excellence checks of its own health.
struct SelfFacts {
  bool metrics_exposed = true;
  bool probes_configured = true;
  std::string log_format;  // "json" or "logfmt"
};

// Everything a check may read. Stores are null when their collector is disabled: the check
// then returns Skipped (see Findings::SkippedWithout), never passing.
struct Inputs {
  const collectors::ClusterStores& stores;
  base::WallTime now;
  SelfFacts self;
  // The cluster health aggregates of the same stores (collectors::Aggregate), computed once
  // per run for the checks that read sums rather than objects; null when not computed.
  const collectors::ClusterAggregates* health = nullptr;
  // Collectors that are enabled but not synced (their first LIST never completed: RBAC denied,
  // API errors) when the run went ahead without them: their stores count as not collected.
  std::vector<std::string> unsynced;
  // The API groups the latest API discovery found served (collectors/discovery.h), for checks
  // about add-ons (VPA, External Secrets); null when no discovery has completed: such checks
  // are then skipped.
  const collectors::ApiGroups* api_groups = nullptr;
  // The optional collectors' stores (VPA, Argo CD, Flux) running and synced when the run
  // started (CollectorSet::SyncedOptional); null: none. Collected() looks here too.
  const collectors::OptionalStores* optional = nullptr;
  // The Argo CD and Flux applications the GitOps collectors watch (collectors/gitops_summary.h);
  // nullopt when no tool is watched (not installed, switched off, or still listing).
  std::optional<collectors::DeliverySignals> gitops;

  // The store of `r` when its collector is enabled and synced, else null: the check is then
  // skipped (SkippedWithout), never passing over an empty or partial store.
  template <typename T>
  const collectors::Store<T>* Collected(const collectors::Resource<T>& r) const {
    for (const auto& name : unsynced) {
      if (name == r.kind.name) return nullptr;
    }
    if (const auto* store = stores.Find(r)) return store;
    return optional != nullptr ? optional->Find(r) : nullptr;
  }
};

// A check: stateless, cheap (one pass over the stores it needs), safe to run on any thread.
class Check {
 public:
  virtual ~Check() = default;
  virtual const CheckInfo& info() const = 0;
  virtual Result Run(const Inputs& in) const = 0;
};

// Builds a result's one-line message: counts affected objects out of a population and keeps
// three `namespace/name` examples, the first three in that order (stable from run to run).
class Findings {
 public:
  explicit Findings(std::string_view what) : what_(what) {}  // e.g. "containers run as root"
  void Examine() { ++population_; }
  void Affected(std::string_view ns, std::string_view name);
  std::int64_t affected() const { return affected_; }
  std::int64_t population() const { return population_; }
  // Passing when nothing is affected, else `if_affected`; the message says how many of how
  // many, and names up to three examples.
  Result Verdict(Status if_affected) const;

 private:
  std::string what_;
  std::int64_t population_ = 0, affected_ = 0;
  std::vector<std::string> examples_;
  std::string scratch_;  // the candidate example, reused
};

// The result of a check whose data is not collected: skipped, naming the collector.
Result SkippedWithout(std::string_view collector);

}  // namespace kube9::assessment
