// kube-state-metrics' resourcequota families (its internal/store/resourcequota.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

// One entry of status.hard (used = false) or status.used: kube-state-metrics reads the status,
// which the quota controller fills, not spec.hard.
struct QuotaAmount {
  Interned resource;  // "requests.cpu", "count/pods", ...: a few names across all quotas
  bool used = false;
  double value = 0;
};

struct ResourceQuotaRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created;
  std::vector<QuotaAmount> amounts;  // hard first, then used, each in the object's order
  LabelPairs labels, annotations;
};

std::optional<ResourceQuotaRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  ResourceQuotaRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  for (const bool used : {false, true}) {
    json::ForEachMember(json::Path(o, {"status", used ? "used" : "hard"}),
                        [&](std::string_view resource, const rapidjson::Value& v) {
                          if (auto value = QuantityFloat(json::Str(&v))) {
                            r.amounts.push_back({ctx.pool.Intern(resource), used, *value});
                          }
                        });
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const ResourceQuotaRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("resourcequota", r.name);
}

using R = ResourceQuotaRecord;

constexpr Family<R> kFamilies[] = {
    {"kube_resourcequota_created", "Unix creation timestamp", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.created) Id(w, n, r).Value(static_cast<double>(*r.created));
     }},
    {"kube_resourcequota", "Information about resource quota.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& a : r.amounts) {
         Id(w, n, r).Label("resource", a.resource).Label("type", a.used ? "used" : "hard").Value(a.value);
       }
     }},
    {"kube_resourcequota_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_resourcequota_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr,
     FamilyKind::kLabels},
};

constexpr FamilySet<R> kSet{"resourcequotas", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> ResourceQuotaFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
