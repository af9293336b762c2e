#include "exporter/tls_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/metrics_text.h"

namespace kube9::exporter {
namespace {

using ::testing::HasSubstr;

TEST(TlsMetricsTest, CountsReloadsAndShowsExpiry) {
  prometheus::Registry registry;
  TlsMetrics metrics(registry);
  EXPECT_THAT(testing::MetricsText(registry), HasSubstr("kube9_operator_web_tls_reloads_total{result=\"failure\"} 0"));
  metrics.OnTlsReload(true);
  metrics.OnTlsReload(false);
  metrics.OnTlsReload(false);
  metrics.OnTlsCertificate(base::WallTime(std::chrono::seconds(1'800'000'001)));
  const std::string text = testing::MetricsText(registry);
  EXPECT_THAT(text, HasSubstr("kube9_operator_web_tls_reloads_total{result=\"success\"} 1"));
  EXPECT_THAT(text, HasSubstr("kube9_operator_web_tls_reloads_total{result=\"failure\"} 2"));
  EXPECT_THAT(text, HasSubstr("kube9_operator_web_tls_certificate_expiry_timestamp_seconds 1800000001"));
}

}  // namespace
}  // namespace kube9::exporter
