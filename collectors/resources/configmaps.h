#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What secrets-in-configmaps reads of a ConfigMap: how many of its keys are named like a
// credential (collectors/credential_names.h), counted at extraction. No key and no value is
// kept. Opt-in (PRODUCT.md §10): reading ConfigMaps cluster-wide is not in the default
// --collectors nor in the default RBAC (chart value assessment.readConfigMaps).
struct ConfigMapInfo {
  std::string ns, name;
  std::uint16_t credential_keys = 0;  // in data and binaryData
};

std::optional<ConfigMapInfo> ExtractConfigMap(const rapidjson::Value& object);

inline constexpr Resource<ConfigMapInfo> kConfigMaps{{"configmaps", "", "/api/v1/configmaps"}, &ExtractConfigMap};

}  // namespace kube9::collectors
