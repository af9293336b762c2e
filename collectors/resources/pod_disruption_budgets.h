#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/label_selector.h"
#include "collectors/resource.h"

namespace kube9::collectors {

// What the assessment's pod-disruption-budgets check reads of a PodDisruptionBudget
// (policy/v1): which pods it covers (its selector, as hashes) and whether it can ever allow a
// voluntary disruption.
struct PdbInfo {
  std::string ns, name;
  LabelSelector selector;
  // maxUnavailable 0 or "0%", or minAvailable "100%": no pod may ever be evicted, so a node
  // drain blocks.
  bool allows_no_disruption = false;
  // minAvailable as a whole number (-1 when unset or a percentage): at or above the matched
  // workload's replicas, it allows no disruption either.
  std::int32_t min_available = -1;
};

std::optional<PdbInfo> ExtractPodDisruptionBudget(const rapidjson::Value& object);

inline constexpr Resource<PdbInfo> kPodDisruptionBudgets{
    {"poddisruptionbudgets", "policy", "/apis/policy/v1/poddisruptionbudgets"}, &ExtractPodDisruptionBudget};

}  // namespace kube9::collectors
