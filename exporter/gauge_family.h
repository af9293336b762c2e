#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
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

// A Collectable whose families are rendered once per sample (Publish) and copied by each
// scrape, which so never walks the cluster's objects. Thread-safe.
class PrerenderedFamilies : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::shared_ptr<const std::vector<prometheus::MetricFamily>> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot = families_;
    }
    return *snapshot;
  }

 protected:
  void Publish(std::vector<prometheus::MetricFamily> families) {
    auto rendered = std::make_shared<const std::vector<prometheus::MetricFamily>>(std::move(families));
    std::lock_guard lock(mu_);
    families_ = std::move(rendered);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<prometheus::MetricFamily>> families_ =
      std::make_shared<const std::vector<prometheus::MetricFamily>>();
};

}  // namespace kube9::exporter
