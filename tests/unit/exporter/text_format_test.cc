#include "exporter/text_format.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::exporter {
namespace {

std::string Value(double v) {
  std::string s;
  AppendValue(v, s);
  return s;
}

TEST(TextFormatTest, ValuesRoundTripExactly) {
  EXPECT_EQ(Value(13510798882111488.0), "13510798882111488");
  EXPECT_EQ(Value(0.1), "0.1");
  EXPECT_EQ(Value(3.5), "3.5");
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(-2), "-2");
  EXPECT_EQ(Value(1795774800.123), "1795774800.123");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Value(std::nan("")), "NaN");
  for (double v : {1e300, 5e-324, 123456789.987654321, 2.0 / 3.0}) {
    EXPECT_EQ(std::strtod(Value(v).c_str(), nullptr), v) << Value(v);
  }
}

TEST(TextFormatTest, FamiliesWithEscapesAndHistogram) {
  prometheus::MetricFamily gauge{"g", "Help with \\ and\nnewline.", prometheus::MetricType::Gauge, {}};
  prometheus::ClientMetric m;
  m.label = {{"a", "quote\" back\\ nl\n"}, {"b", "x"}};
  m.gauge.value = 1;
  gauge.metric.push_back(m);
  prometheus::MetricFamily hist{"h_seconds", "H.", prometheus::MetricType::Histogram, {}};
  prometheus::ClientMetric hm;
  hm.histogram.sample_count = 3;
  hm.histogram.sample_sum = 0.25;
  hm.histogram.bucket = {{1, 0.1}, {3, 1}};
  hist.metric.push_back(hm);
  prometheus::MetricFamily empty{"e", "E.", prometheus::MetricType::Counter, {}};
  std::string out;
  AppendTextFormat({gauge, hist, empty}, out);
  EXPECT_EQ(out,
            "# HELP g Help with \\\\ and\\nnewline.\n"
            "# TYPE g gauge\n"
            "g{a=\"quote\\\" back\\\\ nl\\n\",b=\"x\"} 1\n"
            "# HELP h_seconds H.\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.1\"} 1\n"
            "h_seconds_bucket{le=\"1\"} 3\n"
            "h_seconds_bucket{le=\"+Inf\"} 3\n"
            "h_seconds_sum 0.25\n"
            "h_seconds_count 3\n");
}

}  // namespace
}  // namespace kube9::exporter
