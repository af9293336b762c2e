#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "collectors/collector_set.h"
#include "collectors/objects.h"

namespace kube9::collectors {

// Per-namespace sums over pods, PVCs and jobs.
struct NamespaceTotals {
  std::array<std::int64_t, kPodPhases.size()> pods_by_phase{};
  std::array<std::int64_t, kWaitingReasons.size()> containers_waiting{};
  std::int64_t container_restarts = 0;
  std::int64_t containers_oom_killed = 0;
  std::int64_t request_cpu_milli = 0, request_memory_bytes = 0;  // non-terminated pods
  std::int64_t limit_cpu_milli = 0, limit_memory_bytes = 0;
  std::array<std::int64_t, kPvcPhases.size()> pvcs_by_phase{};
  std::array<std::int64_t, kJobStates.size()> jobs_by_state{};
};

enum class Severity : std::uint8_t { kWarning, kCritical };
std::string_view SeverityName(Severity s);

struct HealthCheck {
  std::string_view name;
  Severity severity;
  std::int64_t affected = 0;    // objects failing the check
  std::int64_t population = 0;  // objects the check looks at
  int weight = 0;               // share of the score, out of 100
};

// Everything the aggregate metrics, the health assessment and the status report show,
// computed from the stores in one pass per sample.
struct ClusterAggregates {
  // Which collectors are on: families of disabled collectors are not exported.
  bool has_nodes = false, has_pods = false, has_pvcs = false, has_jobs = false, has_workloads = false;

  std::array<std::int64_t, 3> nodes_by_ready{};  // true, false, unknown
  std::array<std::array<std::int64_t, 3>, kNodeConditions.size()> node_conditions{};  // [condition][True/False/Unknown]
  std::int64_t allocatable_cpu_milli = 0, allocatable_memory_bytes = 0;  // ready nodes
  std::map<std::string, NamespaceTotals> namespaces;  // every namespace with pods, PVCs or jobs, or known
  std::vector<WorkloadInfo> workloads;                // sorted by kind, namespace, name
  std::string kubernetes_version;
  std::string provider;  // most common among nodes; "unknown" when none is recognised
  std::string region, zone;  // most common topology labels among nodes; "" when unset
  std::int64_t node_count = 0;

  std::vector<HealthCheck> checks;
  int score = 100;
};

// How long a pod may stay Pending before the pods_pending_too_long check counts it.
inline constexpr std::chrono::minutes kPendingTooLong{5};

// `scope` kShard counts this shard's objects only (--shard/--total-shards): every count, sum and
// check's `affected` is then this shard's share, so the shards' values add up to the cluster's.
// The score, provider, region and zone are not shares (and are computed from the objects held);
// only the status writer, which holds every object, publishes them (docs/ksm-compatibility.md).
ClusterAggregates Aggregate(const ClusterStores& stores, base::WallTime now, std::string kubernetes_version,
                            Scope scope = Scope::kAll);

// The 0-100 score: 100 minus, for each check, its weight times the share of its population
// that fails it (rounded to the nearest integer). Exposed for tests and the README.
int HealthScore(const std::vector<HealthCheck>& checks);

}  // namespace kube9::collectors
