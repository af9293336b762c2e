// kube-state-metrics' replicaset families (its internal/store/replicaset.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"
#include "collectors/ksm/workloads.h"

namespace kube9::collectors::ksm {
namespace {

struct ReplicaSetRecord {
  Interned ns;
  std::string name;
  std::vector<OwnerRef> owners;
  std::optional<std::int64_t> created, spec_replicas, terminating;
  std::int64_t generation = 0, observed_generation = 0;
  std::int32_t replicas = 0, fully_labeled = 0, ready = 0;
  LabelPairs labels, annotations;
};

std::optional<ReplicaSetRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  ReplicaSetRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.owners = ExtractOwners(o, ctx.pool);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.generation = json::Int(json::Path(o, {"metadata", "generation"}));
  r.spec_replicas = OptionalInt(json::Path(o, {"spec", "replicas"}));
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.replicas = json::Int32(json::Member(*status, "replicas"));
    r.fully_labeled = json::Int32(json::Member(*status, "fullyLabeledReplicas"));
    r.ready = json::Int32(json::Member(*status, "readyReplicas"));
    r.terminating = OptionalInt(json::Member(*status, "terminatingReplicas"));
    r.observed_generation = json::Int(json::Member(*status, "observedGeneration"));
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const ReplicaSetRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("replicaset", r.name);
}

using R = ReplicaSetRecord;
template <typename T, T ReplicaSetRecord::*F>
void Num(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> ReplicaSetRecord::*F>
void Opt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_replicaset_created", "Unix creation timestamp", true, &Opt<&R::created>},
    {"kube_replicaset_status_replicas", "The number of replicas per ReplicaSet.", true,
     &Num<std::int32_t, &R::replicas>},
    {"kube_replicaset_status_fully_labeled_replicas", "The number of fully labeled replicas per ReplicaSet.", true,
     &Num<std::int32_t, &R::fully_labeled>},
    {"kube_replicaset_status_ready_replicas", "The number of ready replicas per ReplicaSet.", true,
     &Num<std::int32_t, &R::ready>},
    {"kube_replicaset_status_terminating_replicas", "The number of terminating replicas per ReplicaSet.", false,
     &Opt<&R::terminating>},
    {"kube_replicaset_status_observed_generation", "The generation observed by the ReplicaSet controller.", true,
     &Num<std::int64_t, &R::observed_generation>},
    {"kube_replicaset_spec_replicas", "Number of desired pods for a ReplicaSet.", true, &Opt<&R::spec_replicas>},
    {"kube_replicaset_metadata_generation", "Sequence number representing a specific generation of the desired state.",
     true, &Num<std::int64_t, &R::generation>},
    {"kube_replicaset_owner", "Information about the ReplicaSet's owner.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       WriteOwners(r.owners, [&]() -> TextWriter& { return Id(w, n, r); });
     }},
    {"kube_replicaset_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_replicaset_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr,
     FamilyKind::kLabels},
};

constexpr FamilySet<R> kSet{"replicasets", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> ReplicaSetFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
