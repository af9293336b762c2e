// kube-state-metrics' daemonset families (its internal/store/daemonset.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct DaemonSetRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created, deleted;
  std::int64_t generation = 0, observed_generation = 0;
  std::int32_t current_scheduled = 0, desired_scheduled = 0, available = 0, misscheduled = 0, ready = 0,
               unavailable = 0, updated_scheduled = 0;
  LabelPairs labels, annotations;
};

std::optional<DaemonSetRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  DaemonSetRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  r.generation = json::Int(json::Path(o, {"metadata", "generation"}));
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.current_scheduled = json::Int32(json::Member(*status, "currentNumberScheduled"));
    r.desired_scheduled = json::Int32(json::Member(*status, "desiredNumberScheduled"));
    r.available = json::Int32(json::Member(*status, "numberAvailable"));
    r.misscheduled = json::Int32(json::Member(*status, "numberMisscheduled"));
    r.ready = json::Int32(json::Member(*status, "numberReady"));
    r.unavailable = json::Int32(json::Member(*status, "numberUnavailable"));
    r.updated_scheduled = json::Int32(json::Member(*status, "updatedNumberScheduled"));
    r.observed_generation = json::Int(json::Member(*status, "observedGeneration"));
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const DaemonSetRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("daemonset", r.name);
}

using R = DaemonSetRecord;
template <typename T, T DaemonSetRecord::*F>
void Num(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> DaemonSetRecord::*F>
void Opt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}
using I32 = std::int32_t;

constexpr Family<R> kFamilies[] = {
    {"kube_daemonset_created", "Unix creation timestamp", true, &Opt<&R::created>},
    {"kube_daemonset_status_current_number_scheduled",
     "The number of nodes running at least one daemon pod and are supposed to.", true,
     &Num<I32, &R::current_scheduled>},
    {"kube_daemonset_status_desired_number_scheduled", "The number of nodes that should be running the daemon pod.",
     true, &Num<I32, &R::desired_scheduled>},
    {"kube_daemonset_status_number_available",
     "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and "
     "available",
     true, &Num<I32, &R::available>},
    {"kube_daemonset_status_number_misscheduled", "The number of nodes running a daemon pod but are not supposed to.",
     true, &Num<I32, &R::misscheduled>},
    {"kube_daemonset_status_number_ready",
     "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and "
     "ready.",
     true, &Num<I32, &R::ready>},
    {"kube_daemonset_status_number_unavailable",
     "The number of nodes that should be running the daemon pod and have none of the daemon pod running and available",
     true, &Num<I32, &R::unavailable>},
    {"kube_daemonset_status_observed_generation", "The most recent generation observed by the daemon set controller.",
     true, &Num<std::int64_t, &R::observed_generation>},
    {"kube_daemonset_status_updated_number_scheduled", "The total number of nodes that are running updated daemon pod",
     true, &Num<I32, &R::updated_scheduled>},
    {"kube_daemonset_metadata_generation", "Sequence number representing a specific generation of the desired state.",
     true, &Num<std::int64_t, &R::generation>},
    {"kube_daemonset_deletion_timestamp", "Unix deletion timestamp", false, &Opt<&R::deleted>},
    {"kube_daemonset_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_daemonset_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
};

constexpr FamilySet<R> kSet{"daemonsets", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> DaemonSetFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
