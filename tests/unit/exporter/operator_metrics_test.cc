#include "exporter/operator_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/metrics_text.h"

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;
using kube9::testing::MetricsText;

TEST(OperatorMetricsTest, StoreStatsExportObjectsHeldAndACounterOfObjectsSkipped) {
  prometheus::Registry registry;
  OperatorMetrics metrics(registry);
  metrics.SetStoreStats("pods", 120, 0);
  std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_store_objects{resource="pods"} 120)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_objects_skipped_total{resource="pods"} 0)"))
      << "present from the first sample, so that increase() sees the first skip";
  EXPECT_THAT(text, HasSubstr("# TYPE kube9_operator_objects_skipped_total counter"));

  metrics.SetStoreStats("pods", 118, 3);
  metrics.SetStoreStats("pods", 118, 3);  // sampled again, nothing new
  metrics.SetStoreStats("nodes", 2, 1);
  text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_store_objects{resource="pods"} 118)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_objects_skipped_total{resource="pods"} 3)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_objects_skipped_total{resource="nodes"} 1)"));

  metrics.SetStoreStats("pods", 118, 5);
  EXPECT_THAT(MetricsText(registry), HasSubstr(R"(kube9_operator_objects_skipped_total{resource="pods"} 5)"));
}

}  // namespace
}  // namespace kube9::exporter
