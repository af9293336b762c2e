// kube-state-metrics' persistentvolumeclaim families (its internal/store/persistentvolumeclaim.go,
// v2.20).
#include <algorithm>
#include <array>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

// The phases kube-state-metrics writes a series for, in its order.
constexpr std::array<std::string_view, 3> kPhases = {"Lost", "Bound", "Pending"};

struct PvcRecord {
  Interned ns;
  std::string name, volume;
  Interned storage_class, volume_mode;
  // 0: no phase (no series), 1 + index in kPhases, 0xff another phase (three 0 series).
  std::uint8_t phase = 0;
  std::optional<double> storage;  // spec.resources.requests.storage in bytes
  std::vector<Interned> access_modes;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> created, deleted;
  LabelPairs labels, annotations;
};

std::optional<PvcRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  PvcRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  // The beta annotation wins over spec.storageClassName, as in kube-state-metrics.
  const rapidjson::Value* annotations = json::Path(o, {"metadata", "annotations"});
  const rapidjson::Value* beta =
      annotations != nullptr ? json::Member(*annotations, "volume.beta.kubernetes.io/storage-class") : nullptr;
  r.storage_class =
      pool.Intern(beta != nullptr ? json::Str(beta) : json::Str(json::Path(o, {"spec", "storageClassName"})));
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    r.volume = json::Str(json::Member(*spec, "volumeName"));
    r.volume_mode = pool.Intern(json::Str(json::Member(*spec, "volumeMode")));
    if (auto q = ParseQuantity(json::Str(json::Path(*spec, {"resources", "requests", "storage"})))) {
      r.storage = static_cast<double>(q->milli / 1000 + (q->milli % 1000 > 0 ? 1 : 0));  // Value(): rounded up
    }
    json::ForEach(json::Member(*spec, "accessModes"),
                  [&](const rapidjson::Value& m) { r.access_modes.push_back(pool.Intern(json::Str(&m))); });
  }
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    const std::string_view phase = json::Str(json::Member(*status, "phase"));
    if (!phase.empty()) {
      auto it = std::find(kPhases.begin(), kPhases.end(), phase);
      r.phase = it == kPhases.end() ? 0xff : static_cast<std::uint8_t>(1 + (it - kPhases.begin()));
    }
    r.conditions = ExtractConditions(json::Member(*status, "conditions"), pool);
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const PvcRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("persistentvolumeclaim", r.name);
}

using R = PvcRecord;
template <std::optional<std::int64_t> PvcRecord::*F>
void OptInt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_persistentvolumeclaim_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr,
     FamilyKind::kLabels},
    {"kube_persistentvolumeclaim_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_persistentvolumeclaim_info", "Information about persistent volume claim.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r)
           .Label("storageclass", r.storage_class)
           .Label("volumename", r.volume)
           .Label("volumemode", r.volume_mode)
           .Value(1);
     }},
    {"kube_persistentvolumeclaim_status_phase", "The phase the persistent volume claim is currently in.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.phase == 0) return;
       for (std::size_t i = 0; i < kPhases.size(); ++i) {
         Id(w, n, r).Label("phase", kPhases[i]).Value(r.phase == i + 1 ? 1 : 0);
       }
     }},
    {"kube_persistentvolumeclaim_resource_requests_storage_bytes",
     "The capacity of storage requested by the persistent volume claim.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.storage) Id(w, n, r).Value(*r.storage);
     }},
    {"kube_persistentvolumeclaim_access_mode", "The access mode(s) specified by the persistent volume claim.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& m : r.access_modes) Id(w, n, r).Label("access_mode", m).Value(1);
     }},
    {"kube_persistentvolumeclaim_status_condition",
     "Information about status of different conditions of persistent volume claim.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         WriteCondition(w, n, c, [&](TextWriter& s) {
           s.Label("namespace", r.ns).Label("persistentvolumeclaim", r.name).Label("condition", c.type);
         });
       }
     }},
    {"kube_persistentvolumeclaim_created", "Unix creation timestamp", false, &OptInt<&R::created>},
    {"kube_persistentvolumeclaim_deletion_timestamp", "Unix deletion timestamp", false, &OptInt<&R::deleted>},
};

constexpr FamilySet<R> kSet{"persistentvolumeclaims", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> PersistentVolumeClaimFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
