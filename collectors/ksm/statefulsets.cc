// kube-state-metrics' statefulset families (its internal/store/statefulset.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"
#include "collectors/ksm/workloads.h"

namespace kube9::collectors::ksm {
namespace {

struct StatefulSetRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created, deleted, spec_replicas, ordinals_start;
  std::int64_t generation = 0, observed_generation = 0;
  std::int32_t replicas = 0, available = 0, current = 0, ready = 0, updated = 0;
  Interned when_deleted, when_scaled;           // spec.persistentVolumeClaimRetentionPolicy
  Interned current_revision, update_revision;  // often the same string: interned once
  LabelPairs labels, annotations;
};

std::optional<StatefulSetRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  StatefulSetRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  r.generation = json::Int(json::Path(o, {"metadata", "generation"}));
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    r.spec_replicas = OptionalInt(json::Member(*spec, "replicas"));
    if (const rapidjson::Value* ordinals = json::Member(*spec, "ordinals"); ordinals != nullptr && ordinals->IsObject()) {
      r.ordinals_start = json::Int(json::Member(*ordinals, "start"));
    }
    if (const rapidjson::Value* policy = json::Member(*spec, "persistentVolumeClaimRetentionPolicy")) {
      r.when_deleted = pool.Intern(json::Str(json::Member(*policy, "whenDeleted")));
      r.when_scaled = pool.Intern(json::Str(json::Member(*policy, "whenScaled")));
    }
  }
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.replicas = json::Int32(json::Member(*status, "replicas"));
    r.available = json::Int32(json::Member(*status, "availableReplicas"));
    r.current = json::Int32(json::Member(*status, "currentReplicas"));
    r.ready = json::Int32(json::Member(*status, "readyReplicas"));
    r.updated = json::Int32(json::Member(*status, "updatedReplicas"));
    r.observed_generation = json::Int(json::Member(*status, "observedGeneration"));
    r.current_revision = pool.Intern(json::Str(json::Member(*status, "currentRevision")));
    r.update_revision = pool.Intern(json::Str(json::Member(*status, "updateRevision")));
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const StatefulSetRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("statefulset", r.name);
}

using R = StatefulSetRecord;
template <typename T, T StatefulSetRecord::*F>
void Num(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> StatefulSetRecord::*F>
void Opt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}
template <Interned StatefulSetRecord::*F>
void Revision(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Label("revision", r.*F).Value(1);
}

constexpr Family<R> kFamilies[] = {
    {"kube_statefulset_created", "Unix creation timestamp", true, &Opt<&R::created>},
    {"kube_statefulset_status_replicas", "The number of replicas per StatefulSet.", true,
     &Num<std::int32_t, &R::replicas>},
    {"kube_statefulset_status_replicas_available", "The number of available replicas per StatefulSet.", true,
     &Num<std::int32_t, &R::available>},
    {"kube_statefulset_status_replicas_current", "The number of current replicas per StatefulSet.", true,
     &Num<std::int32_t, &R::current>},
    {"kube_statefulset_status_replicas_ready", "The number of ready replicas per StatefulSet.", true,
     &Num<std::int32_t, &R::ready>},
    {"kube_statefulset_status_replicas_updated", "The number of updated replicas per StatefulSet.", true,
     &Num<std::int32_t, &R::updated>},
    {"kube_statefulset_status_observed_generation", "The generation observed by the StatefulSet controller.", true,
     &Num<std::int64_t, &R::observed_generation>},
    {"kube_statefulset_replicas", "Number of desired pods for a StatefulSet.", true, &Opt<&R::spec_replicas>},
    {"kube_statefulset_ordinals_start", "Start ordinal of the StatefulSet.", true, &Opt<&R::ordinals_start>},
    {"kube_statefulset_metadata_generation",
     "Sequence number representing a specific generation of the desired state for the StatefulSet.", true,
     &Num<std::int64_t, &R::generation>},
    {"kube_statefulset_persistentvolumeclaim_retention_policy", "Count of retention policy for StatefulSet template PVCs",
     true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.when_deleted.view().empty() && r.when_scaled.view().empty()) return;
       Id(w, n, r).Label("when_deleted", r.when_deleted).Label("when_scaled", r.when_scaled).Value(1);
     }},
    {"kube_statefulset_annotations", "Kubernetes annotations converted to Prometheus labels.", true, nullptr,
     FamilyKind::kAnnotations},
    {"kube_statefulset_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr,
     FamilyKind::kLabels},
    {"kube_statefulset_status_current_revision",
     "Indicates the version of the StatefulSet used to generate Pods in the sequence [0,currentReplicas).", true,
     &Revision<&R::current_revision>},
    {"kube_statefulset_status_update_revision",
     "Indicates the version of the StatefulSet used to generate Pods in the sequence "
     "[replicas-updatedReplicas,replicas)",
     true, &Revision<&R::update_revision>},
    {"kube_statefulset_deletion_timestamp", "Unix deletion timestamp", true, &Opt<&R::deleted>},
};

constexpr FamilySet<R> kSet{"statefulsets", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> StatefulSetFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
