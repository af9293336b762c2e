#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "assessment/engine.h"

namespace kube9::exporter {

// The kube9_assessment_* families (docs/metrics.md "Assessment"): rendered once per run, so a
// scrape only copies them. Before the first run only the catalogue's families with no series
// but kube9_assessment_runs_total are exported. Thread-safe.
class AssessmentMetrics final : public prometheus::Collectable {
 public:
  AssessmentMetrics();
  void Update(const assessment::Report& report);
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Pure rendering, exposed for tests: `runs` is the number of runs so far.
  static std::vector<prometheus::MetricFamily> Render(const assessment::Report* report, std::uint64_t runs);

 private:
  mutable std::mutex mu_;
  std::uint64_t runs_ = 0;
  std::shared_ptr<const std::vector<prometheus::MetricFamily>> families_;
};

}  // namespace kube9::exporter
