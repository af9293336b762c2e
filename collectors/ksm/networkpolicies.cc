// kube-state-metrics' networkpolicy families (its internal/store/networkpolicy.go, v2.20), read
// from networking.k8s.io/v1 objects.
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct NetworkPolicyRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created;
  std::uint32_t ingress_rules = 0, egress_rules = 0;
  LabelPairs labels, annotations;
};

std::optional<NetworkPolicyRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  NetworkPolicyRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  json::ForEach(json::Path(o, {"spec", "ingress"}), [&](const rapidjson::Value&) { ++r.ingress_rules; });
  json::ForEach(json::Path(o, {"spec", "egress"}), [&](const rapidjson::Value&) { ++r.egress_rules; });
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const NetworkPolicyRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("networkpolicy", r.name);
}

using R = NetworkPolicyRecord;
template <std::uint32_t NetworkPolicyRecord::*F>
void Count(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}

// Go's zero time.Time in Unix seconds: what kube-state-metrics writes for an object without a
// creation timestamp, since this family (unlike the other resources' `_created`) does not check.
constexpr std::int64_t kGoZeroTime = -62135596800;

constexpr Family<R> kFamilies[] = {
    {"kube_networkpolicy_created", "Unix creation timestamp of network policy", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r).Value(static_cast<double>(r.created.value_or(kGoZeroTime)));
     }},
    {"kube_networkpolicy_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_networkpolicy_labels", "Kubernetes labels converted to Prometheus labels.", false, nullptr,
     FamilyKind::kLabels},
    {"kube_networkpolicy_spec_ingress_rules", "Number of ingress rules on the networkpolicy", false,
     &Count<&R::ingress_rules>},
    {"kube_networkpolicy_spec_egress_rules", "Number of egress rules on the networkpolicy", false,
     &Count<&R::egress_rules>},
};

constexpr FamilySet<R> kSet{"networkpolicies", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> NetworkPolicyFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
