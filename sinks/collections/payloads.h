#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assessment/engine.h"
#include "base/clock.h"
#include "collectors/aggregates.h"
#include "collectors/collector_set.h"
#include "sinks/collections/identity.h"

// The sanitized payloads the Pro tier uploads (PRODUCT.md §5): one envelope per collection,
// {"version", "type", "data", "sanitization"}. Everything here is built from the collectors'
// compact records, which never held names of pods, labels, annotations, images, env or IPs in
// the first place; namespaces appear only as keyed hashes.
namespace kube9::sinks::collections {

enum class CollectionType { kClusterMetadata, kResourceInventory, kResourceConfigurationPatterns, kMetricsBatch };
inline constexpr std::array<CollectionType, 4> kAllTypes = {
    CollectionType::kClusterMetadata, CollectionType::kResourceInventory,
    CollectionType::kResourceConfigurationPatterns, CollectionType::kMetricsBatch};
std::string_view TypeName(CollectionType type);
std::optional<CollectionType> ParseType(std::string_view name);

inline constexpr std::string_view kEnvelopeVersion = "v1.0.0";

// What the builders read: the stores and the aggregates of one sample.
struct Snapshot {
  const collectors::ClusterStores& stores;
  const collectors::ClusterAggregates& aggregates;
  // The last assessment run's counts per pillar (resource-configuration-patterns' `assessment`),
  // or null before the first run. Counts only: no check's message or example leaves the cluster.
  const std::vector<assessment::PillarSummary>* assessment = nullptr;
};

// The envelope of a collection of `type`, as compact JSON. A metrics-batch built here holds the
// snapshot's one sample (`collect --dry-run`); the scheduler's batches come from BuildMetricsBatch.
std::string BuildCollection(CollectionType type, const Snapshot& snapshot, const ClusterIdentity& identity,
                            base::WallTime now, const std::string& collection_id);

// One point of a metrics-batch: the cluster-wide health aggregates at one time.
struct MetricsSample {
  base::WallTime at;
  int health_score = 100;
  std::int64_t nodes = 0, nodes_ready = 0;
  std::array<std::int64_t, collectors::kPodPhases.size()> pods_by_phase{};
  std::array<std::int64_t, collectors::kWaitingReasons.size()> containers_waiting{};
  std::int64_t container_restarts = 0, containers_oom_killed = 0;
  std::int64_t replicas_desired = 0, replicas_available = 0, replicas_unavailable = 0;
  std::int64_t pvcs_pending = 0, jobs_failed = 0;
  std::vector<std::pair<std::string_view, std::int64_t>> failing_checks;  // check name, affected
};
MetricsSample SampleOf(const collectors::ClusterAggregates& aggregates, base::WallTime at);

std::string BuildMetricsBatch(const std::vector<MetricsSample>& samples, int interval_seconds,
                              const ClusterIdentity& identity, base::WallTime now, const std::string& collection_id);

// The same JSON, indented by 2 spaces (for `collect --dry-run`); "" when it is not JSON.
std::string PrettyJson(std::string_view json);

}  // namespace kube9::sinks::collections
