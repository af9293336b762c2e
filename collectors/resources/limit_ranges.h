#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What namespace-resource-governance reads of a LimitRange: its namespace and whether it sets
// CPU and memory defaults or bounds for containers or pods.
struct LimitRangeInfo {
  std::string ns;
  bool cpu = false, memory = false;
};

std::optional<LimitRangeInfo> ExtractLimitRange(const rapidjson::Value& object);

inline constexpr Resource<LimitRangeInfo> kLimitRanges{{"limitranges", "", "/api/v1/limitranges"}, &ExtractLimitRange};

}  // namespace kube9::collectors
