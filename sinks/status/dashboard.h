#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "collectors/collector_set.h"
#include "kube/client.h"
#include "sinks/status/status_publisher.h"

// The dashboard data ConfigMap (docs/PRODUCT.md §12), read by the VS Code extension's operated
// dashboard: counts from the collectors' stores, rewritten with the status.
namespace kube9::sinks {

inline constexpr const char* kDashboardConfigMapName = "kube9-dashboard-data";

struct DashboardData {
  std::int64_t namespaces = 0;
  std::int64_t deployments = 0, statefulsets = 0, daemonsets = 0, replicasets = 0, jobs = 0, cronjobs = 0, pods = 0;
  std::int64_t nodes = 0, ready_nodes = 0;
  std::int64_t cpu_milli = 0, memory_bytes = 0;  // allocatable, summed over all nodes
  std::int64_t collectors_running = 0;
  std::int64_t data_points = 0;  // objects held by the collectors' stores
  std::optional<base::WallTime> last_collection;
};

// Counts what the stores hold now (a disabled collector counts 0).
DashboardData DashboardFromStores(const collectors::ClusterStores& stores);

// {"namespaceCount", "workloads": {...}, "nodes": {...}, "operatorMetrics": {...},
// "lastUpdated"}, 2-space indent, in the contract's order.
std::string RenderDashboardJson(const DashboardData& data, base::WallTime now);
std::string FormatCores(std::int64_t milli);  // "12", "11.5"
std::string FormatGi(std::int64_t bytes);     // "47.1 Gi"

// The latest dashboard numbers, set by the sampler, read by the publisher. Thread-safe.
class DashboardModel {
 public:
  void Set(DashboardData data);
  std::optional<DashboardData> Get() const;

 private:
  mutable std::mutex mu_;
  std::optional<DashboardData> data_;
};

// Publishes the status, then the dashboard ConfigMap with it. The dashboard is best effort:
// its failure is logged (once per change of outcome) and never fails the status write, and the
// final write at shutdown (bounded by 5 s) leaves it out.
class StatusWithDashboardPublisher final : public StatusPublisher {
 public:
  StatusWithDashboardPublisher(StatusPublisher& status, kube::Client& client, std::string ns,
                               const DashboardModel& model)
      : status_(status), client_(client), ns_(std::move(ns)), model_(model) {}
  base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& report, base::Millis timeout,
                                                   const base::StopSignal* cancel) override;

 private:
  StatusPublisher& status_;
  kube::Client& client_;
  std::string ns_;
  const DashboardModel& model_;
  bool last_failed_ = false;  // the status loop's thread only
};

}  // namespace kube9::sinks
