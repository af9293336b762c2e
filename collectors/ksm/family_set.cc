#include "collectors/ksm/family_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "base/time_format.h"
#include "collectors/json_fields.h"
#include "collectors/ksm/labels.h"
#include "collectors/quantity.h"

namespace kube9::collectors::ksm {

namespace {
const std::vector<std::string>& Lookup(const std::map<std::string, std::vector<std::string>, std::less<>>& m,
                                       std::string_view resource) {
  static const std::vector<std::string> kNone;
  auto it = m.find(resource);
  if (it == m.end()) it = m.find("*");  // kube-state-metrics: "*=[...]" applies to every resource
  return it == m.end() ? kNone : it->second;
}
}  // namespace

const std::vector<std::string>& Options::AllowedLabels(std::string_view resource) const {
  return Lookup(labels_allowlist, resource);
}
const std::vector<std::string>& Options::AllowedAnnotations(std::string_view resource) const {
  return Lookup(annotations_allowlist, resource);
}

FamilyFilter::FamilyFilter(const Options& options) {
  allow_ = !options.metric_allowlist.empty();
  for (const auto& p : allow_ ? options.metric_allowlist : options.metric_denylist) {
    patterns_.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);  // checked by the config
  }
}

bool FamilyFilter::Includes(std::string_view family) const {
  bool matched = false;
  for (const auto& r : patterns_) {
    if (std::regex_search(family.begin(), family.end(), r)) {
      matched = true;
      break;
    }
  }
  return allow_ ? matched : !matched;
}

LabelPairs InternLabels(std::string_view prefix, const rapidjson::Value* object, const std::vector<std::string>& allow,
                        InternPool& pool) {
  LabelPairs out;
  if (allow.empty()) return out;
  auto labels = PrometheusLabels(prefix, object, allow);
  out.reserve(labels.size());
  for (auto& [k, v] : labels) out.emplace_back(pool.Intern(k), pool.Intern(v));
  return out;
}

void ExtractLabelPairs(const rapidjson::Value& object, ExtractContext& context, LabelPairs& labels,
                       LabelPairs& annotations) {
  labels = InternLabels("label", json::Path(object, {"metadata", "labels"}), context.allowed_labels, context.pool);
  annotations = InternLabels("annotation", json::Path(object, {"metadata", "annotations"}), context.allowed_annotations,
                             context.pool);
}

std::optional<std::int64_t> UnixSeconds(std::string_view rfc3339) {
  if (rfc3339.empty()) return std::nullopt;
  auto t = base::ParseRfc3339(rfc3339);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

std::vector<Condition> ExtractConditions(const rapidjson::Value* conditions, InternPool& pool) {
  std::vector<Condition> out;
  json::ForEach(conditions, [&](const rapidjson::Value& c) {
    out.push_back(
        {pool.Intern(json::Str(json::Member(c, "type"))), ConditionStatusOf(json::Str(json::Member(c, "status")))});
  });
  return out;
}

std::string_view UnitName(Unit unit) {
  switch (unit) {
    case Unit::kCore: return "core";
    case Unit::kByte: return "byte";
    case Unit::kInteger: return "integer";
  }
  return "";
}

namespace {

bool IsQualifiedName(std::string_view s) {
  // [prefix/]name: name is 1-63 of [A-Za-z0-9._-] starting and ending alphanumeric; the
  // prefix a DNS subdomain (lowercase alphanumerics, '-', '.', at most 253).
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string_view name = s;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253) return false;
    for (char c : prefix) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    if (!alnum(prefix.front()) || !alnum(prefix.back())) return false;
  }
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// kube-state-metrics' units per resource name; none for a resource it does not report.
std::vector<Unit> UnitsOf(std::string_view name, AmountsOf of) {
  if (name == "cpu") return {Unit::kCore};
  if (name == "storage" || name == "ephemeral-storage" || name == "memory") return {Unit::kByte};
  if (name == "pods") return of == AmountsOf::kNode ? std::vector<Unit>{Unit::kInteger} : std::vector<Unit>{};
  std::vector<Unit> out;
  if (name.starts_with("hugepages-")) out.push_back(Unit::kByte);
  if (name.starts_with("attachable-volumes-")) out.push_back(Unit::kByte);
  // An extended resource: not native (no '/', or a kubernetes.io/ prefix), and "requests.<name>"
  // a qualified name.
  const bool native = name.find('/') == std::string_view::npos || name.find("kubernetes.io/") != std::string_view::npos;
  if (!native && !name.starts_with("requests.") && IsQualifiedName("requests." + std::string(name))) {
    out.push_back(Unit::kInteger);
  }
  return out;
}

}  // namespace

std::string SanitizeName(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_')) c = '_';
  }
  return out;
}

std::vector<ResourceAmount> ExtractAmounts(const rapidjson::Value* list, InternPool& pool, AmountsOf of) {
  std::vector<ResourceAmount> out;
  json::ForEachMember(list, [&](std::string_view name, const rapidjson::Value& v) {
    const auto units = UnitsOf(name, of);
    if (units.empty()) return;
    auto q = ParseQuantity(json::Str(&v));
    if (!q) return;
    double value = static_cast<double>(q->milli) / 1000;
    if (of == AmountsOf::kContainer && name != "cpu") {
      value = static_cast<double>(q->milli / 1000 + (q->milli % 1000 > 0 ? 1 : 0));  // Value(): rounded up
    }
    for (Unit u : units) out.push_back({pool.Intern(SanitizeName(name)), u, value});
  });
  return out;
}

std::optional<double> QuantityFloat(std::string_view text) {
  if (auto q = ParseQuantity(text)) return static_cast<double>(q->milli) / 1000;
  // Too large for thousandths (or not a quantity): the same text with its number divided by
  // 1000 (the decimal point three places to the left) has as thousandths the whole units
  // rounded up, which is Value().
  std::size_t pos = 0;
  std::string shifted;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) shifted += text[pos++];
  const std::size_t int_end = std::min(text.find_first_not_of("0123456789", pos), text.size());
  std::string digits(text.substr(pos, int_end - pos));
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  shifted += digits.substr(0, digits.size() - 3);
  shifted += '.';
  shifted += digits.substr(digits.size() - 3);
  std::string_view rest = text.substr(int_end);
  const bool fraction = !rest.empty() && rest.front() == '.';
  if (fraction) rest.remove_prefix(1);  // its fraction follows the three digits
  // A number needs a digit ("", ".", "Mi", "e5" are not quantities, though padded they would be).
  if (int_end == pos && (!fraction || rest.empty() || rest.front() < '0' || rest.front() > '9')) return std::nullopt;
  shifted += rest;
  auto q = ParseQuantity(shifted);
  if (!q) return std::nullopt;
  return static_cast<double>(q->milli);
}

std::optional<double> ResourceVersion(std::string_view rv) {
  double v = 0;
  auto [end, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), v);
  if (ec != std::errc() || end != rv.data() + rv.size() || rv.empty()) return std::nullopt;
  return v;
}

}  // namespace kube9::collectors::ksm
