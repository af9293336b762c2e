#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

namespace kube9::exporter {

// A gauge family rendered once per sample (the families a Collectable pre-renders).
class GaugeFamily {
 public:
  GaugeFamily(const char* name, const char* help) {
    f_.name = name;
    f_.help = help;
    f_.type = prometheus::MetricType::Gauge;
  }
  void Add(std::vector<std::pair<std::string_view, std::string_view>> labels, double value) {
    prometheus::ClientMetric m;
    for (auto [k, v] : labels) m.label.push_back(prometheus::ClientMetric::Label{std::string(k), std::string(v)});
    m.gauge.value = value;
    f_.metric.push_back(std::move(m));
  }
  bool empty() const { return f_.metric.empty(); }
  prometheus::MetricFamily Take() { return std::move(f_); }

 private:
  prometheus::MetricFamily f_;
};

}  // namespace kube9::exporter
