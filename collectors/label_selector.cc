#include "collectors/label_selector.h"

#include <algorithm>

#include "collectors/json_fields.h"

namespace kube9::collectors {
namespace {

// FNV-1a, 64 bits: stable across runs and builds (std::hash is not required to be).
std::uint64_t Fnv(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool Has(const LabelHashes& labels, std::uint64_t h) { return std::binary_search(labels.begin(), labels.end(), h); }

}  // namespace

std::uint64_t HashLabelKey(std::string_view key) { return Fnv(key); }

// A NUL cannot occur in a label key, so a pair never hashes the text of a key alone.
std::uint64_t HashLabelPair(std::string_view key, std::string_view value) {
  return Fnv(value, Fnv(std::string_view("\0", 1), Fnv(key)));
}

LabelHashes HashLabels(const rapidjson::Value* labels) {
  LabelHashes out;
  json::ForEachMember(labels, [&](std::string_view key, const rapidjson::Value& value) {
    out.push_back(HashLabelKey(key));
    out.push_back(HashLabelPair(key, json::Str(&value)));
  });
  std::sort(out.begin(), out.end());
  out.shrink_to_fit();
  return out;
}

bool LabelSelector::Matches(const LabelHashes& labels) const {
  if (selects_nothing) return false;
  for (const auto& r : requirements) {
    const bool any_value = std::any_of(r.values.begin(), r.values.end(), [&](auto v) { return Has(labels, v); });
    switch (r.op) {
      case LabelRequirement::Op::kIn:
        if (!any_value) return false;
        break;
      case LabelRequirement::Op::kNotIn:
        if (any_value) return false;
        break;
      case LabelRequirement::Op::kExists:
        if (!Has(labels, r.key)) return false;
        break;
      case LabelRequirement::Op::kDoesNotExist:
        if (Has(labels, r.key)) return false;
        break;
    }
  }
  return true;
}

LabelSelector ParseLabelSelector(const rapidjson::Value* selector) {
  LabelSelector s;
  if (selector == nullptr || !selector->IsObject()) return s;
  s.selects_nothing = false;
  json::ForEachMember(json::Member(*selector, "matchLabels"), [&](std::string_view key, const rapidjson::Value& v) {
    s.requirements.push_back({LabelRequirement::Op::kIn, HashLabelKey(key), {HashLabelPair(key, json::Str(&v))}});
  });
  json::ForEach(json::Member(*selector, "matchExpressions"), [&](const rapidjson::Value& e) {
    const std::string_view key = json::Str(json::Member(e, "key"));
    const std::string_view op = json::Str(json::Member(e, "operator"));
    LabelRequirement r;
    r.key = HashLabelKey(key);
    if (op == "In")
      r.op = LabelRequirement::Op::kIn;
    else if (op == "NotIn")
      r.op = LabelRequirement::Op::kNotIn;
    else if (op == "Exists")
      r.op = LabelRequirement::Op::kExists;
    else if (op == "DoesNotExist")
      r.op = LabelRequirement::Op::kDoesNotExist;
    else
      s.selects_nothing = true;  // the API server rejects it; be safe rather than match everything
    json::ForEach(json::Member(e, "values"),
                  [&](const rapidjson::Value& v) { r.values.push_back(HashLabelPair(key, json::Str(&v))); });
    s.requirements.push_back(std::move(r));
  });
  return s;
}

}  // namespace kube9::collectors
