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
  void Update(const collectors::ClusterAggregates& aggregates);

  // Pure rendering, exposed for tests.
  static std::vector<prometheus::MetricFamily> Render(const collectors::ClusterAggregates& aggregates);
};

}  // namespace kube9::exporter
