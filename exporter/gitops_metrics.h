#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "collectors/gitops_summary.h"
#include "exporter/gauge_family.h"

namespace kube9::exporter {

// The kube9_gitops_* families (docs/metrics.md "GitOps applications"): applications by tool,
// namespace, health and sync; how many have been non-healthy or out of sync for at least 5m,
// 15m, 30m and 1h; and how many fail to reconcile. A tool's families are absent while it is
// not watched. Update() renders once per sample; a scrape copies. Thread-safe.
class GitOpsMetrics final : public PrerenderedFamilies {
 public:
  void Update(const collectors::GitOpsSummary& summary);

  // Pure rendering, exposed for tests.
  static std::vector<prometheus::MetricFamily> Render(const collectors::GitOpsSummary& summary);
};

}  // namespace kube9::exporter
