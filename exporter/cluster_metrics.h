#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "collectors/aggregates.h"

namespace kube9::exporter {

// The kube9_* cluster health families. Update() renders a sample once; a scrape only copies
// the rendered families, so it never walks the cluster's objects. Thread-safe.
class ClusterMetrics final : public prometheus::Collectable {
 public:
  void Update(const collectors::ClusterAggregates& aggregates);
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Pure rendering, exposed for tests.
  static std::vector<prometheus::MetricFamily> Render(const collectors::ClusterAggregates& aggregates);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<prometheus::MetricFamily>> families_ =
      std::make_shared<const std::vector<prometheus::MetricFamily>>();
};

}  // namespace kube9::exporter
