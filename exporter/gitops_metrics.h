#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "collectors/gitops_summary.h"

namespace kube9::exporter {

// The kube9_gitops_* families (docs/metrics.md "GitOps applications"): applications by tool,
// namespace, health and sync; how many have been non-healthy or out of sync for at least 5m,
// 15m, 30m and 1h; and how many fail to reconcile. A tool's families are absent while it is
// not watched. Update() renders once per sample; a scrape copies. Thread-safe.
class GitOpsMetrics final : public prometheus::Collectable {
 public:
  void Update(const collectors::GitOpsSummary& summary);
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Pure rendering, exposed for tests.
  static std::vector<prometheus::MetricFamily> Render(const collectors::GitOpsSummary& summary);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<prometheus::MetricFamily>> families_ =
      std::make_shared<const std::vector<prometheus::MetricFamily>>();
};

}  // namespace kube9::exporter
