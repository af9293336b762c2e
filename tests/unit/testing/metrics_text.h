#pragma once

#include <string>

#include <prometheus/registry.h>

#include "exporter/text_format.h"

namespace kube9::testing {

// What /metrics would serve for `registry` (the exporter's own text format).
inline std::string MetricsText(prometheus::Registry& registry) {
  std::string out;
  exporter::AppendTextFormat(registry.Collect(), out);
  return out;
}

}  // namespace kube9::testing
