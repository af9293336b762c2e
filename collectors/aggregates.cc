#include "collectors/aggregates.h"

#include "collectors/extract.h"
#include "collectors/quantity.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace kube9::collectors {
namespace {

std::size_t TriIndex(Tri t) { return t == Tri::kTrue ? 0 : t == Tri::kFalse ? 1 : 2; }

bool Waiting(const PodInfo& p, std::initializer_list<std::string_view> reasons) {
  for (std::uint8_t w : p.waiting) {
    for (auto r : reasons) {
      if (kWaitingReasons[w] == r) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view SeverityName(Severity s) { return s == Severity::kCritical ? "critical" : "warning"; }

int HealthScore(const std::vector<HealthCheck>& checks) {
  double penalty = 0;
  for (const auto& c : checks) {
    if (c.population > 0) penalty += c.weight * static_cast<double>(std::min(c.affected, c.population)) / c.population;
  }
  return std::clamp(static_cast<int>(std::lround(100.0 - penalty)), 0, 100);
}

namespace {
// The most frequent key (the first of equals), or `fallback` when there is none.
std::string MostCommon(const std::map<std::string, int>& counts, std::string_view fallback) {
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& x, const auto& y) { return x.second < y.second; });
  return best == counts.end() ? std::string(fallback) : best->first;
}
}  // namespace

ClusterAggregates Aggregate(const ClusterStores& s, base::WallTime now, std::string kubernetes_version, Scope scope) {
  ClusterAggregates a;
  a.kubernetes_version = std::move(kubernetes_version);
  a.has_nodes = s.Find(kNodes) != nullptr;
  a.has_pods = s.Find(kPods) != nullptr;
  a.has_pvcs = s.Find(kPersistentVolumeClaims) != nullptr;
  a.has_jobs = s.Find(kJobs) != nullptr;
  a.has_workloads = s.Find(kDeployments) || s.Find(kStatefulSets) || s.Find(kDaemonSets);

  HealthCheck nodes_not_ready{"nodes_not_ready", Severity::kCritical, 0, 0, 30};
  HealthCheck crash_looping{"pods_crash_looping", Severity::kWarning, 0, 0, 15};
  HealthCheck pending{"pods_pending_too_long", Severity::kWarning, 0, 0, 10};
  HealthCheck image_pull{"image_pull_failures", Severity::kWarning, 0, 0, 10};
  HealthCheck oom{"pods_oom_killed", Severity::kWarning, 0, 0, 10};
  HealthCheck unavailable{"workloads_unavailable", Severity::kWarning, 0, 0, 15};
  HealthCheck pvc_pending{"pvcs_pending", Severity::kWarning, 0, 0, 5};
  HealthCheck jobs_failed{"jobs_failed", Severity::kWarning, 0, 0, 5};

  if (const auto* store = s.Find(kNamespaces)) store->ForEach(Scope::kAll, [&](const NamespaceInfo& n) { a.namespaces[n.name]; });

  if (const auto* store = s.Find(kNodes)) {
    std::map<std::string, int> providers, regions, zones;
    store->ForEach(scope, [&](const NodeInfo& n) {
      ++a.node_count;
      ++a.nodes_by_ready[TriIndex(n.ready())];
      for (std::size_t c = 0; c < kNodeConditions.size(); ++c) ++a.node_conditions[c][TriIndex(n.conditions[c])];
      if (n.ready() == Tri::kTrue) {
        a.allocatable_cpu_milli = SaturatingAdd(a.allocatable_cpu_milli, n.allocatable_cpu_milli);
        a.allocatable_memory_bytes = SaturatingAdd(a.allocatable_memory_bytes, n.allocatable_memory_bytes);
      }
      if (!n.provider.empty()) ++providers[n.provider];
      if (!n.region.empty()) ++regions[n.region];
      if (!n.zone.empty()) ++zones[n.zone];
    });
    nodes_not_ready.population = a.node_count;
    nodes_not_ready.affected = a.nodes_by_ready[1] + a.nodes_by_ready[2];
    a.provider = MostCommon(providers, "unknown");
    a.region = MostCommon(regions, "");
    a.zone = MostCommon(zones, "");
  } else {
    a.provider = "unknown";
  }

  if (const auto* store = s.Find(kPods)) {
    const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const auto too_long = std::chrono::duration_cast<std::chrono::seconds>(kPendingTooLong).count();
    std::int64_t pods = 0;
    store->ForEach(scope, [&](const PodInfo& p) {
      ++pods;
      NamespaceTotals& t = a.namespaces[p.ns];
      ++t.pods_by_phase[static_cast<std::size_t>(p.phase)];
      for (std::uint8_t w : p.waiting) ++t.containers_waiting[w];
      t.container_restarts += p.restarts;
      t.containers_oom_killed += p.oom_killed;
      if (p.phase != PodPhase::kSucceeded && p.phase != PodPhase::kFailed) {
        t.request_cpu_milli = SaturatingAdd(t.request_cpu_milli, p.request_cpu_milli);
        t.request_memory_bytes = SaturatingAdd(t.request_memory_bytes, p.request_memory_bytes);
        t.limit_cpu_milli = SaturatingAdd(t.limit_cpu_milli, p.limit_cpu_milli);
        t.limit_memory_bytes = SaturatingAdd(t.limit_memory_bytes, p.limit_memory_bytes);
      }
      if (Waiting(p, {"CrashLoopBackOff"})) ++crash_looping.affected;
      if (Waiting(p, {"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})) ++image_pull.affected;
      if (p.oom_killed > 0) ++oom.affected;
      if (p.phase == PodPhase::kPending && p.created_unix > 0 && now_unix - p.created_unix > too_long) ++pending.affected;
    });
    crash_looping.population = pending.population = image_pull.population = oom.population = pods;
  }

  if (const auto* store = s.Find(kPersistentVolumeClaims)) {
    store->ForEach(scope, [&](const PvcInfo& p) {
      ++a.namespaces[p.ns].pvcs_by_phase[p.phase];
      ++pvc_pending.population;
      if (p.phase == 0) ++pvc_pending.affected;
    });
  }
  if (const auto* store = s.Find(kJobs)) {
    store->ForEach(scope, [&](const JobInfo& j) {
      ++jobs_failed.population;
      if (j.state == JobState::kOther) {
        a.namespaces[j.ns];
        return;
      }
      ++a.namespaces[j.ns].jobs_by_state[static_cast<std::size_t>(j.state)];
      if (j.state == JobState::kFailed) ++jobs_failed.affected;
    });
  }
  for (const auto* store : {s.Find(kDeployments), s.Find(kStatefulSets), s.Find(kDaemonSets)}) {
    if (store == nullptr) continue;
    store->ForEach(scope, [&](const WorkloadInfo& w) {
      a.workloads.push_back(w);
      a.workloads.back().pod_labels = {};  // for selector matching in the store only; samples are kept
      ++unavailable.population;
      if (w.unavailable > 0) ++unavailable.affected;
    });
  }
  std::sort(a.workloads.begin(), a.workloads.end(), [](const WorkloadInfo& x, const WorkloadInfo& y) {
    return std::tie(x.kind, x.ns, x.name) < std::tie(y.kind, y.ns, y.name);
  });

  if (a.has_nodes) a.checks.push_back(nodes_not_ready);
  if (a.has_pods) {
    for (const auto& c : {crash_looping, pending, image_pull, oom}) a.checks.push_back(c);
  }
  if (a.has_workloads) a.checks.push_back(unavailable);
  if (a.has_pvcs) a.checks.push_back(pvc_pending);
  if (a.has_jobs) a.checks.push_back(jobs_failed);
  a.score = HealthScore(a.checks);
  return a;
}

}  // namespace kube9::collectors
