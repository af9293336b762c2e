#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace kube9::exporter {

// Appends families in the Prometheus text exposition format 0.0.4. Numbers are written in
// their shortest form that reads back as the same double (prometheus-cpp's serializer keeps 16
// digits, which changes values such as 13510798882111488), label values and help are escaped
// as the format requires.
void AppendTextFormat(const std::vector<prometheus::MetricFamily>& families, std::string& out);

// One sample value as the format writes it: shortest round-trip, or +Inf, -Inf, NaN.
void AppendValue(double value, std::string& out);

}  // namespace kube9::exporter
