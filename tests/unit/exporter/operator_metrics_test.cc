#include "exporter/operator_metrics.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/metrics_text.h"

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
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

TEST(OperatorMetricsTest, AShardThatWritesNoStatusExportsNoStatusSeries) {
  prometheus::Registry registry;
  OperatorMetrics writer(registry);
  EXPECT_THAT(MetricsText(registry), HasSubstr("kube9_operator_status_last_success_timestamp_seconds 0"));
  prometheus::Registry other_registry;
  OperatorMetrics other(other_registry);
  other.NotStatusWriter();
  // `time() - kube9_operator_status_last_success_timestamp_seconds > 300` must not fire for it.
  const std::string text = MetricsText(other_registry);
  EXPECT_THAT(text, Not(HasSubstr("kube9_operator_status_last_success_timestamp_seconds 0")));
  EXPECT_THAT(text, Not(HasSubstr("kube9_operator_status_writes_total{")));
  EXPECT_THAT(text, HasSubstr("kube9_operator_ready"));
}

TEST(OperatorMetricsTest, HttpServerCountersExistAtZeroAndFollowTheServer) {
  prometheus::Registry registry;
  OperatorMetrics metrics(registry);
  std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr("kube9_operator_http_connections 0"));
  for (http::CloseReason reason : http::kAllCloseReasons) {
    EXPECT_THAT(text, HasSubstr(fmt::format(R"(kube9_operator_http_connections_closed_total{{reason="{}"}} 0)",
                                            http::CloseReasonName(reason))));
  }
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_http_requests_total{code="431"} 0)"));

  http::ServerObserver& observer = metrics;
  observer.OnConnectionOpened();
  observer.OnConnectionOpened();
  observer.OnConnectionClosed(http::CloseReason::kHeaderTimeout);
  observer.OnReply(200);
  observer.OnReply(418);  // not a code the endpoints use: folded into "other"
  text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr("kube9_operator_http_connections 1"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_http_connections_closed_total{reason="header_timeout"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_http_requests_total{code="200"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_http_requests_total{code="other"} 1)"));
  EXPECT_THAT(text, Not(HasSubstr(R"(code="418")")));
}

TEST(OperatorMetricsTest, ThreadFailuresAreCountedPerThreadFromZero) {
  prometheus::Registry registry;
  OperatorMetrics metrics(registry);
  metrics.DeclareThread("sampler");
  metrics.DeclareThread("w:pods");
  std::string text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_thread_failures_total{thread="sampler"} 0)"))
      << "present once the thread runs, so that increase() sees the first failure";
  EXPECT_THAT(text, HasSubstr("# TYPE kube9_operator_thread_failures_total counter"));

  metrics.OnThreadFailure("sampler");
  metrics.OnThreadFailure("sampler");
  text = MetricsText(registry);
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_thread_failures_total{thread="sampler"} 2)"));
  EXPECT_THAT(text, HasSubstr(R"(kube9_operator_thread_failures_total{thread="w:pods"} 0)"));
}

}  // namespace
}  // namespace kube9::exporter
