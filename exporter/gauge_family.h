#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "exporter/text_format.h"

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

// A Collectable whose families are rendered once per sample (Publish), text included, so that
// a scrape neither walks the cluster's objects nor copies and formats the families: it appends
// the text (AppendText), before its first byte. Collect() still copies them. Thread-safe.
class PrerenderedFamilies : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override { return Current()->families; }

  // Appends what AppendTextFormat(Collect(), out) would.
  void AppendText(std::string& out) const { out += Current()->text; }

 protected:
  void Publish(std::vector<prometheus::MetricFamily> families) {
    auto rendered = std::make_shared<Rendered>();
    AppendTextFormat(families, rendered->text);
    rendered->families = std::move(families);
    std::lock_guard lock(mu_);
    rendered_ = std::move(rendered);
  }

 private:
  struct Rendered {
    std::vector<prometheus::MetricFamily> families;
    std::string text;  // their text format
  };
  std::shared_ptr<const Rendered> Current() const {
    std::lock_guard lock(mu_);
    return rendered_;
  }

  mutable std::mutex mu_;
  std::shared_ptr<const Rendered> rendered_ = std::make_shared<const Rendered>();
};

}  // namespace kube9::exporter
