#include "exporter/cluster_metrics.h"

#include "exporter/gauge_family.h"

namespace kube9::exporter {
namespace {

using collectors::ClusterAggregates;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using Family = GaugeFamily;

double Units(std::int64_t milli) { return static_cast<double>(milli) / 1000.0; }

}  // namespace

std::vector<MetricFamily> ClusterMetrics::Render(const ClusterAggregates& a, const ClusterAggregates* cluster) {
  std::vector<MetricFamily> out;
  if (a.has_nodes) {
    Family nodes("kube9_nodes", "Nodes by Ready condition (true, false, unknown).");
    for (std::size_t i = 0; i < 3; ++i) {
      nodes.Add({{"ready", collectors::TriName(static_cast<collectors::Tri>(i))}},
                static_cast<double>(a.nodes_by_ready[i]));
    }
    out.push_back(nodes.Take());
    Family conditions("kube9_node_conditions", "Nodes by condition and condition status.");
    for (std::size_t c = 0; c < collectors::kNodeConditions.size(); ++c) {
      for (std::size_t s = 0; s < 3; ++s) {
        conditions.Add({{"condition", collectors::kNodeConditions[c]},
                        {"status", collectors::ConditionStatusName(static_cast<collectors::Tri>(s))}},
                       static_cast<double>(a.node_conditions[c][s]));
      }
    }
    out.push_back(conditions.Take());
    Family alloc("kube9_node_allocatable", "Allocatable resources summed over Ready nodes (cores, bytes).");
    alloc.Add({{"resource", "cpu"}}, Units(a.allocatable_cpu_milli));
    alloc.Add({{"resource", "memory"}}, static_cast<double>(a.allocatable_memory_bytes));
    out.push_back(alloc.Take());
  }
  if (a.has_pods) {
    Family pods("kube9_pods", "Pods by namespace and phase.");
    Family waiting("kube9_containers_waiting", "Containers currently waiting, by namespace and reason.");
    Family restarts("kube9_container_restarts", "Sum of container restart counts, by namespace.");
    Family oom("kube9_containers_oom_killed", "Containers whose last termination reason is OOMKilled, by namespace.");
    Family requests("kube9_resource_requests",
                    "Resource requests of non-terminated pods (cores, bytes), by namespace.");
    Family limits("kube9_resource_limits", "Resource limits of non-terminated pods (cores, bytes), by namespace.");
    for (const auto& [ns, t] : a.namespaces) {
      for (std::size_t p = 0; p < collectors::kPodPhases.size(); ++p) {
        pods.Add({{"namespace", ns}, {"phase", collectors::kPodPhases[p]}}, static_cast<double>(t.pods_by_phase[p]));
      }
      for (std::size_t r = 0; r < collectors::kWaitingReasons.size(); ++r) {
        if (t.containers_waiting[r] > 0) {
          waiting.Add({{"namespace", ns}, {"reason", collectors::kWaitingReasons[r]}},
                      static_cast<double>(t.containers_waiting[r]));
        }
      }
      restarts.Add({{"namespace", ns}}, static_cast<double>(t.container_restarts));
      oom.Add({{"namespace", ns}}, static_cast<double>(t.containers_oom_killed));
      requests.Add({{"namespace", ns}, {"resource", "cpu"}}, Units(t.request_cpu_milli));
      requests.Add({{"namespace", ns}, {"resource", "memory"}}, static_cast<double>(t.request_memory_bytes));
      limits.Add({{"namespace", ns}, {"resource", "cpu"}}, Units(t.limit_cpu_milli));
      limits.Add({{"namespace", ns}, {"resource", "memory"}}, static_cast<double>(t.limit_memory_bytes));
    }
    for (Family* f : {&pods, &waiting, &restarts, &oom, &requests, &limits}) out.push_back(f->Take());
  }
  if (a.has_workloads) {
    Family replicas(
        "kube9_workload_replicas",
        "Replicas of Deployments, StatefulSets and DaemonSets by state (desired, ready, available, unavailable).");
    for (const auto& w : a.workloads) {
      const std::string_view kind = collectors::WorkloadKindName(w.kind);
      const std::pair<std::string_view, std::int32_t> states[] = {
          {"desired", w.desired}, {"ready", w.ready}, {"available", w.available}, {"unavailable", w.unavailable}};
      for (auto [state, value] : states) {
        replicas.Add({{"namespace", w.ns}, {"kind", kind}, {"workload", w.name}, {"state", state}},
                     static_cast<double>(value));
      }
    }
    out.push_back(replicas.Take());
  }
  if (a.has_pvcs) {
    Family pvcs("kube9_pvcs", "PersistentVolumeClaims by namespace and phase.");
    for (const auto& [ns, t] : a.namespaces) {
      for (std::size_t p = 0; p < collectors::kPvcPhases.size(); ++p) {
        pvcs.Add({{"namespace", ns}, {"phase", collectors::kPvcPhases[p]}}, static_cast<double>(t.pvcs_by_phase[p]));
      }
    }
    out.push_back(pvcs.Take());
  }
  if (a.has_jobs) {
    Family jobs("kube9_jobs", "Jobs by namespace and state (active, succeeded, failed).");
    for (const auto& [ns, t] : a.namespaces) {
      for (std::size_t s = 0; s < collectors::kJobStates.size(); ++s) {
        jobs.Add({{"namespace", ns}, {"state", collectors::kJobStates[s]}}, static_cast<double>(t.jobs_by_state[s]));
      }
    }
    out.push_back(jobs.Take());
  }
  if (cluster != nullptr) {
    Family info("kube9_cluster_info", "Cluster information; always 1.");
    info.Add({{"kubernetes_version", cluster->kubernetes_version.empty() ? "unknown" : cluster->kubernetes_version},
              {"provider", cluster->provider}},
             1);
    out.push_back(info.Take());
  }
  Family checks("kube9_health_check_affected", "Objects failing each health check, with the check's severity.");
  for (const auto& c : a.checks) {
    checks.Add({{"check", c.name}, {"severity", collectors::SeverityName(c.severity)}},
               static_cast<double>(c.affected));
  }
  out.push_back(checks.Take());
  if (cluster != nullptr) {
    Family score("kube9_health_score", "Cluster health score from 0 (every check failing everywhere) to 100.");
    score.Add({}, cluster->score);
    out.push_back(score.Take());
  }
  return out;
}

void ClusterMetrics::Update(const ClusterAggregates& shard, const ClusterAggregates* cluster) {
  Publish(Render(shard, cluster));
}

}  // namespace kube9::exporter
