#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "collectors/aggregates.h"
#include "exporter/gauge_family.h"

namespace kube9::exporter {

// The kube9_* cluster health families. Update() renders a sample once; a scrape only copies
// the rendered families, so it never walks the cluster's objects. Thread-safe.
class ClusterMetrics final : public PrerenderedFamilies {
 public:
  void Update(const collectors::ClusterAggregates& aggregates) { Update(aggregates, &aggregates); }
  // Sharded (--total-shards > 1): the counts of this shard's objects (Aggregate with
  // Scope::kShard), and the cluster-wide sample for the families that are not shares
  // (kube9_cluster_info, kube9_health_score), which only the status writer (shard 0) has; null
  // leaves those out, so that summing over the shards counts them once.
  void Update(const collectors::ClusterAggregates& shard, const collectors::ClusterAggregates* cluster);

  // Pure rendering, exposed for tests.
  static std::vector<prometheus::MetricFamily> Render(const collectors::ClusterAggregates& aggregates) {
    return Render(aggregates, &aggregates);
  }
  static std::vector<prometheus::MetricFamily> Render(const collectors::ClusterAggregates& shard,
                                                      const collectors::ClusterAggregates* cluster);
};

}  // namespace kube9::exporter
