#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

// Labels and label selectors kept as 64-bit hashes, so that a PodDisruptionBudget can be
// matched to the workloads whose pods it selects without keeping any label text in memory
// (labels are copied out only through an allow-list, PRODUCT.md §3). Full selector semantics
// (matchLabels and the four matchExpressions operators) work on hashes: a label set holds the
// hash of each key and of each key=value pair.
namespace kube9::collectors {

// Sorted hashes of a label map's keys and key=value pairs (two per label).
using LabelHashes = std::vector<std::uint64_t>;
LabelHashes HashLabels(const rapidjson::Value* labels);

std::uint64_t HashLabelKey(std::string_view key);
std::uint64_t HashLabelPair(std::string_view key, std::string_view value);

struct LabelRequirement {
  enum class Op : std::uint8_t { kIn, kNotIn, kExists, kDoesNotExist };
  Op op = Op::kIn;
  std::uint64_t key = 0;              // HashLabelKey
  std::vector<std::uint64_t> values;  // HashLabelPair(key, v) for In / NotIn
};

// A metav1.LabelSelector. As the API defines it for PodDisruptionBudgets (policy/v1): an
// empty selector ({}) selects every pod of the namespace, a missing one none.
struct LabelSelector {
  bool selects_nothing = true;
  std::vector<LabelRequirement> requirements;  // all must hold
  bool Matches(const LabelHashes& labels) const;
};

// A selector read from the API; one with an operator it does not know selects nothing.
LabelSelector ParseLabelSelector(const rapidjson::Value* selector);

}  // namespace kube9::collectors
