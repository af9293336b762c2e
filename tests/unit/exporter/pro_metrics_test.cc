#include "exporter/pro_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/metrics_text.h"

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;
using kube9::testing::MetricsText;
using ::testing::Not;

TEST(ProMetricsTest, ProTierSeriesExistFromTheStartSoThatIncreaseSeesTheFirstEvent) {
  prometheus::Registry registry;
  ProMetrics metrics(registry, /*pro_tier=*/true, 64u << 20);
  const std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_uploads_total{result="unauthorized",type="metrics-batch"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_upload_drops_total{reason="too_large",type="resource-inventory"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_registration_attempts_total{result="rejected"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_registration_state{state="pending"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_registration_state{state="registered"} 0)"));
  EXPECT_THAT(text, HasSubstr("kube9_operator_spool_max_bytes 67108864"));
}

TEST(ProMetricsTest, StateIsOneHotAndEventsCount) {
  prometheus::Registry registry;
  ProMetrics metrics(registry, true, 1024);
  metrics.OnRegistrationState(sinks::registration::State::kRejected);
  metrics.OnUpload("metrics-batch", "success", 1200);
  metrics.OnUpload("metrics-batch", "retry", 0);
  metrics.OnDrop("metrics-batch", "spool_full");
  metrics.OnSpoolChanged(2048, 3);
  metrics.OnCollection(sinks::collections::CollectionType::kResourceInventory, true, 0.02,
                       base::WallTime(std::chrono::seconds(1800000000)));
  const std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_registration_state{state="rejected"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_registration_state{state="pending"} 0)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_upload_bytes_total{type="metrics-batch"} 1200)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_uploads_total{result="retry",type="metrics-batch"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_upload_drops_total{reason="spool_full",type="metrics-batch"} 1)"));
  EXPECT_THAT(text, HasSubstr("kube9_operator_spool_items 3"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_collection_total{status="success",type="resource-inventory"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_collection_last_success{type="resource-inventory"} 1.8e+09)"));
}

TEST(ProMetricsTest, FreeTierExportsCollectionsOnly) {
  prometheus::Registry registry;
  ProMetrics metrics(registry, /*pro_tier=*/false, 64u << 20);
  metrics.OnUpload("metrics-batch", "success", 10);  // never called in free tier; harmless if it were
  const std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_collection_total{status="failure",type="cluster-metadata"} 0)"));
  EXPECT_THAT(text, Not(HasSubstr("kube9_operator_registration")));
  EXPECT_THAT(text, Not(HasSubstr("kube9_operator_upload")));
  EXPECT_THAT(text, Not(HasSubstr("kube9_operator_spool")));
}

}  // namespace
}  // namespace kube9::exporter
