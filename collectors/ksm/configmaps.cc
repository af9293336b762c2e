// kube-state-metrics' configmap families (its internal/store/configmap.go, v2.20): metadata
// only. The record keeps the name, creation time, resource version and the allowlisted labels
// and annotations; no key and no value of data or binaryData is ever read.
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct ConfigMapRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created;
  std::optional<double> resource_version;
  LabelPairs labels, annotations;
};

std::optional<ConfigMapRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  ConfigMapRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.resource_version = ResourceVersion(json::Str(json::Path(o, {"metadata", "resourceVersion"})));
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const ConfigMapRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("configmap", r.name);
}

using R = ConfigMapRecord;

constexpr Family<R> kFamilies[] = {
    {"kube_configmap_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_configmap_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_configmap_info", "Information about configmap.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(1); }},
    {"kube_configmap_created", "Unix creation timestamp", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.created) Id(w, n, r).Value(static_cast<double>(*r.created));
     }},
    {"kube_configmap_metadata_resource_version", "Resource version representing a specific version of the configmap.",
     false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.resource_version) Id(w, n, r).Value(*r.resource_version);
     }},
};

constexpr FamilySet<R> kSet{"configmaps", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> ConfigMapFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
