#include "exporter/text_format.h"

#include <charconv>
#include <cmath>

namespace kube9::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricType;

void AppendEscaped(std::string_view s, bool quotes, std::string& out) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out.push_back(c);
  }
}

// name{labels[,extra="value"]} value\n
void AppendSample(std::string_view name, std::string_view suffix, const ClientMetric& m, std::string_view extra_name,
                  std::string_view extra_value, double value, std::string& out) {
  out.append(name);
  out.append(suffix);
  if (!m.label.empty() || !extra_name.empty()) {
    out.push_back('{');
    bool first = true;
    auto label = [&](std::string_view k, std::string_view v) {
      if (!first) out.push_back(',');
      first = false;
      out.append(k);
      out += "=\"";
      AppendEscaped(v, true, out);
      out.push_back('"');
    };
    for (const auto& l : m.label) label(l.name, l.value);
    if (!extra_name.empty()) label(extra_name, extra_value);
    out.push_back('}');
  }
  out.push_back(' ');
  AppendValue(value, out);
  out.push_back('\n');
}

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    case MetricType::Summary: return "summary";
    default: return "untyped";
  }
}

}  // namespace

void AppendValue(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
  }
}

void AppendTextFormat(const std::vector<prometheus::MetricFamily>& families, std::string& out) {
  for (const auto& f : families) {
    if (f.metric.empty()) continue;
    out += "# HELP ";
    out += f.name;
    out.push_back(' ');
    AppendEscaped(f.help, false, out);
    out += "\n# TYPE ";
    out += f.name;
    out.push_back(' ');
    out += TypeName(f.type);
    out.push_back('\n');
    for (const auto& m : f.metric) {
      switch (f.type) {
        case MetricType::Counter: AppendSample(f.name, "", m, "", "", m.counter.value, out); break;
        case MetricType::Gauge: AppendSample(f.name, "", m, "", "", m.gauge.value, out); break;
        case MetricType::Untyped: AppendSample(f.name, "", m, "", "", m.untyped.value, out); break;
        case MetricType::Summary: {
          for (const auto& q : m.summary.quantile) {
            std::string quantile;
            AppendValue(q.quantile, quantile);
            AppendSample(f.name, "", m, "quantile", quantile, q.value, out);
          }
          AppendSample(f.name, "_sum", m, "", "", m.summary.sample_sum, out);
          AppendSample(f.name, "_count", m, "", "", static_cast<double>(m.summary.sample_count), out);
          break;
        }
        case MetricType::Histogram: {
          bool has_inf = false;
          for (const auto& b : m.histogram.bucket) {
            std::string le;
            AppendValue(b.upper_bound, le);
            has_inf = has_inf || std::isinf(b.upper_bound);
            AppendSample(f.name, "_bucket", m, "le", le, static_cast<double>(b.cumulative_count), out);
          }
          if (!has_inf) {
            AppendSample(f.name, "_bucket", m, "le", "+Inf", static_cast<double>(m.histogram.sample_count), out);
          }
          AppendSample(f.name, "_sum", m, "", "", m.histogram.sample_sum, out);
          AppendSample(f.name, "_count", m, "", "", static_cast<double>(m.histogram.sample_count), out);
          break;
        }
        default: break;
      }
    }
  }
}

}  // namespace kube9::exporter
