// kube-state-metrics' poddisruptionbudget families (its internal/store/poddisruptionbudget.go,
// v2.20), read from policy/v1 objects.
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct PdbRecord {
  Interned ns;
  std::string name;
  std::int64_t current_healthy = 0, desired_healthy = 0, disruptions_allowed = 0, expected_pods = 0,
               observed_generation = 0;
  std::optional<std::int64_t> created, deleted;
  LabelPairs labels, annotations;
};

std::optional<PdbRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  PdbRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.current_healthy = json::Int(json::Member(*status, "currentHealthy"));
    r.desired_healthy = json::Int(json::Member(*status, "desiredHealthy"));
    r.disruptions_allowed = json::Int(json::Member(*status, "disruptionsAllowed"));
    r.expected_pods = json::Int(json::Member(*status, "expectedPods"));
    r.observed_generation = json::Int(json::Member(*status, "observedGeneration"));
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const PdbRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("poddisruptionbudget", r.name);
}

using R = PdbRecord;
template <std::int64_t PdbRecord::*F>
void Int(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> PdbRecord::*F>
void OptInt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_poddisruptionbudget_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    // Not STABLE in kube-state-metrics, unlike the other resources' _labels.
    {"kube_poddisruptionbudget_labels", "Kubernetes labels converted to Prometheus labels.", false, nullptr,
     FamilyKind::kLabels},
    {"kube_poddisruptionbudget_created", "Unix creation timestamp", true, &OptInt<&R::created>},
    {"kube_poddisruptionbudget_status_current_healthy", "Current number of healthy pods", true,
     &Int<&R::current_healthy>},
    {"kube_poddisruptionbudget_status_desired_healthy", "Minimum desired number of healthy pods", true,
     &Int<&R::desired_healthy>},
    {"kube_poddisruptionbudget_status_pod_disruptions_allowed", "Number of pod disruptions that are currently allowed",
     true, &Int<&R::disruptions_allowed>},
    {"kube_poddisruptionbudget_status_expected_pods", "Total number of pods counted by this disruption budget", true,
     &Int<&R::expected_pods>},
    {"kube_poddisruptionbudget_status_observed_generation",
     "Most recent generation observed when updating this PDB status", true, &Int<&R::observed_generation>},
    {"kube_poddisruptionbudget_deletion_timestamp", "Unix deletion timestamp", false, &OptInt<&R::deleted>},
};

constexpr FamilySet<R> kSet{"poddisruptionbudgets", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> PodDisruptionBudgetFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
