// kube-state-metrics' deployment families (its internal/store/deployment.go, v2.20).
#include <charconv>
#include <cmath>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"
#include "collectors/ksm/workloads.h"

namespace kube9::collectors::ksm {
namespace {

struct DeploymentRecord {
  Interned ns;  // many deployments share a namespace
  std::string name;
  struct Owner {
    Interned kind;
    std::string name;
  };
  std::vector<Owner> owners;
  std::optional<std::int64_t> created, deleted;
  std::int64_t replicas = 0, ready = 0, available = 0, unavailable = 0, updated = 0, observed_generation = 0,
               generation = 0;
  std::optional<std::int64_t> terminating, spec_replicas, max_unavailable, max_surge;
  bool paused = false;
  struct DeploymentCondition {
    Condition condition;
    Interned reason;  // kube-state-metrics' allowed reasons, "unknown" for any other
  };
  std::vector<DeploymentCondition> conditions;
  LabelPairs labels, annotations;
};

bool AllowedReason(std::string_view r) {
  static constexpr std::string_view kReasons[] = {"ReplicaSetUpdated",
                                                  "ReplicaSetCreateError",
                                                  "NewReplicaSetCreated",
                                                  "FoundNewReplicaSet",
                                                  "NewReplicaSetAvailable",
                                                  "ProgressDeadlineExceeded",
                                                  "DeploymentPaused",
                                                  "DeploymentResumed",
                                                  "MinimumReplicasAvailable",
                                                  "MinimumReplicasUnavailable",
                                                  ""};
  return std::find(std::begin(kReasons), std::end(kReasons), r) != std::end(kReasons);
}

// intstr.GetScaledValueFromIntOrPercent: an integer as is, "N%" of `total` rounded up or
// down; nothing for any other value (kube-state-metrics then writes no series).
std::optional<std::int64_t> Scaled(const rapidjson::Value* v, std::int64_t total, bool round_up) {
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (!v->IsString()) return std::nullopt;
  std::string_view s(v->GetString(), v->GetStringLength());
  if (!s.ends_with('%')) return std::nullopt;
  s.remove_suffix(1);
  std::int64_t percent = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), percent);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  const double scaled = static_cast<double>(percent) * static_cast<double>(total) / 100;
  return static_cast<std::int64_t>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

std::optional<DeploymentRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  DeploymentRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  json::ForEach(json::Path(o, {"metadata", "ownerReferences"}), [&](const rapidjson::Value& ref) {
    r.owners.push_back(
        {pool.Intern(json::Str(json::Member(ref, "kind"))), std::string(json::Str(json::Member(ref, "name")))});
  });
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  r.generation = json::Int(json::Path(o, {"metadata", "generation"}));
  const rapidjson::Value* status = json::Member(o, "status");
  if (status != nullptr) {
    r.replicas = json::Int(json::Member(*status, "replicas"));
    r.ready = json::Int(json::Member(*status, "readyReplicas"));
    r.available = json::Int(json::Member(*status, "availableReplicas"));
    r.unavailable = json::Int(json::Member(*status, "unavailableReplicas"));
    r.updated = json::Int(json::Member(*status, "updatedReplicas"));
    r.observed_generation = json::Int(json::Member(*status, "observedGeneration"));
    r.terminating = OptionalInt(json::Member(*status, "terminatingReplicas"));
    json::ForEach(json::Member(*status, "conditions"), [&](const rapidjson::Value& c) {
      const std::string_view reason = json::Str(json::Member(c, "reason"));
      r.conditions.push_back(
          {{pool.Intern(json::Str(json::Member(c, "type"))), ConditionStatusOf(json::Str(json::Member(c, "status")))},
           pool.Intern(AllowedReason(reason) ? reason : "unknown")});
    });
  }
  r.spec_replicas = OptionalInt(json::Path(o, {"spec", "replicas"}));
  r.paused = json::IsTrue(json::Path(o, {"spec", "paused"}));
  const rapidjson::Value* rolling = json::Path(o, {"spec", "strategy", "rollingUpdate"});
  if (rolling != nullptr && rolling->IsObject() && r.spec_replicas) {
    r.max_unavailable = Scaled(json::Member(*rolling, "maxUnavailable"), *r.spec_replicas, false);
    r.max_surge = Scaled(json::Member(*rolling, "maxSurge"), *r.spec_replicas, true);
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const DeploymentRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("deployment", r.name);
}

using R = DeploymentRecord;
template <std::int64_t DeploymentRecord::*F>
void Int(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> DeploymentRecord::*F>
void OptInt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_deployment_owner", "Information about the Deployment's owner.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.owners.empty()) Id(w, n, r).Label("owner_kind", "").Label("owner_name", "").Value(1);
       for (const auto& o : r.owners) Id(w, n, r).Label("owner_kind", o.kind).Label("owner_name", o.name).Value(1);
     }},
    {"kube_deployment_created", "Unix creation timestamp", true, &OptInt<&R::created>},
    {"kube_deployment_status_replicas", "The number of replicas per deployment.", true, &Int<&R::replicas>},
    {"kube_deployment_status_replicas_ready", "The number of ready replicas per deployment.", true, &Int<&R::ready>},
    {"kube_deployment_status_replicas_available", "The number of available replicas per deployment.", true,
     &Int<&R::available>},
    {"kube_deployment_status_replicas_unavailable", "The number of unavailable replicas per deployment.", true,
     &Int<&R::unavailable>},
    {"kube_deployment_status_replicas_updated", "The number of updated replicas per deployment.", true,
     &Int<&R::updated>},
    {"kube_deployment_status_terminating_replicas", "The number of terminating replicas per deployment.", false,
     &OptInt<&R::terminating>},
    {"kube_deployment_status_observed_generation", "The generation observed by the deployment controller.", true,
     &Int<&R::observed_generation>},
    {"kube_deployment_status_condition", "The current status conditions of a deployment.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         WriteCondition(w, n, c.condition, [&](TextWriter& s) {
           s.Label("namespace", r.ns)
               .Label("deployment", r.name)
               .Label("reason", c.reason)
               .Label("condition", c.condition.type);
         });
       }
     }},
    {"kube_deployment_spec_replicas", "Number of desired pods for a deployment.", true, &OptInt<&R::spec_replicas>},
    {"kube_deployment_spec_paused",
     "Whether the deployment is paused and will not be processed by the deployment controller.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(r.paused ? 1 : 0); }},
    {"kube_deployment_spec_strategy_rollingupdate_max_unavailable",
     "Maximum number of unavailable replicas during a rolling update of a deployment.", true,
     &OptInt<&R::max_unavailable>},
    {"kube_deployment_spec_strategy_rollingupdate_max_surge",
     "Maximum number of replicas that can be scheduled above the desired number of replicas during a rolling update "
     "of a deployment.",
     true, &OptInt<&R::max_surge>},
    {"kube_deployment_metadata_generation", "Sequence number representing a specific generation of the desired state.",
     true, &Int<&R::generation>},
    {"kube_deployment_deletion_timestamp", "Unix deletion timestamp", false, &OptInt<&R::deleted>},
    {"kube_deployment_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_deployment_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
};

constexpr FamilySet<R> kSet{"deployments", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> DeploymentFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
