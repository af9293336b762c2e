#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What namespace-resource-governance reads of a ResourceQuota: its namespace and whether it
// bounds CPU and memory (requests.*, limits.* or the bare names in spec.hard).
struct ResourceQuotaInfo {
  std::string ns;
  bool cpu = false, memory = false;
};

std::optional<ResourceQuotaInfo> ExtractResourceQuota(const rapidjson::Value& object);

inline constexpr Resource<ResourceQuotaInfo> kResourceQuotas{{"resourcequotas", "", "/api/v1/resourcequotas"},
                                                             &ExtractResourceQuota};

}  // namespace kube9::collectors
