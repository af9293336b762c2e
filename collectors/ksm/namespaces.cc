// kube-state-metrics' namespace families (its internal/store/namespace.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct NamespaceRecord {
  std::string name;
  std::optional<std::int64_t> created;
  std::uint8_t phase = 0;  // 1 Active, 2 Terminating, 0 other
  std::vector<Condition> conditions;
  LabelPairs labels, annotations;
};

std::optional<NamespaceRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  NamespaceRecord r;
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  const std::string_view phase = json::Str(json::Path(o, {"status", "phase"}));
  r.phase = phase == "Active" ? 1 : phase == "Terminating" ? 2 : 0;
  r.conditions = ExtractConditions(json::Path(o, {"status", "conditions"}), ctx.pool);
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const NamespaceRecord& r) {
  return w.Begin(name).Label("namespace", r.name);
}

using R = NamespaceRecord;
constexpr Family<R> kFamilies[] = {
    {"kube_namespace_created", "Unix creation timestamp", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.created) Id(w, n, r).Value(static_cast<double>(*r.created));
     }},
    {"kube_namespace_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_namespace_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_namespace_status_phase", "kubernetes namespace status phase.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r).Label("phase", "Active").Value(r.phase == 1 ? 1 : 0);
       Id(w, n, r).Label("phase", "Terminating").Value(r.phase == 2 ? 1 : 0);
     }},
    {"kube_namespace_status_condition", "The condition of a namespace.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         WriteCondition(w, n, c, [&](TextWriter& s) { s.Label("namespace", r.name).Label("condition", c.type); });
       }
     }},
};

constexpr FamilySet<R> kSet{"namespaces", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> NamespaceFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
