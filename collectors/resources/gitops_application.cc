#include "collectors/resources/gitops_application.h"

#include "base/time_format.h"
#include "collectors/json_fields.h"
#include "collectors/store.h"

namespace kube9::collectors {

AppHealth AppHealthFromName(std::string_view name) {
  for (std::size_t i = 0; i < kAppHealthNames.size(); ++i) {
    if (kAppHealthNames[i] == name) return static_cast<AppHealth>(i);
  }
  return AppHealth::kUnknown;
}

AppSync AppSyncFromName(std::string_view name) {
  for (std::size_t i = 0; i < kAppSyncNames.size(); ++i) {
    if (kAppSyncNames[i] == name) return static_cast<AppSync>(i);
  }
  return AppSync::kUnknown;
}

namespace gitops_fields {

bool ReadIdentity(const rapidjson::Value& object, ApplicationInfo& info) {
  if (!json::HasMetadata(object)) return false;
  info.ns = json::Namespace(object);
  info.id = ObjectKeyHash{}(KeyOf(object));
  return true;
}

std::optional<base::WallTime> Time(const rapidjson::Value* v) { return base::ParseRfc3339(json::Str(v)); }

void ReadFluxState(const rapidjson::Value& object, ApplicationInfo& info) {
  const rapidjson::Value* status = json::Member(object, "status");
  const rapidjson::Value* ready = nullptr;
  if (status != nullptr) {
    json::ForEach(json::Member(*status, "conditions"), [&](const rapidjson::Value& c) {
      if (json::Str(json::Member(c, "type")) == "Ready") ready = &c;
    });
  }
  const Tri state = ready != nullptr ? json::TriFromStatus(json::Str(json::Member(*ready, "status"))) : Tri::kUnknown;
  info.health = state == Tri::kTrue    ? AppHealth::kHealthy
                : state == Tri::kFalse ? AppHealth::kDegraded
                                       : AppHealth::kProgressing;
  if (ready != nullptr) info.health_since = Time(json::Member(*ready, "lastTransitionTime"));
  const std::string_view reason = ready != nullptr ? json::Str(json::Member(*ready, "reason")) : std::string_view();
  info.reconcile_failed = state == Tri::kFalse && reason.ends_with("Failed");

  const std::string_view applied = status ? json::Str(json::Member(*status, "lastAppliedRevision")) : "";
  const std::string_view attempted = status ? json::Str(json::Member(*status, "lastAttemptedRevision")) : "";
  const bool revisions_differ = !applied.empty() && !attempted.empty() && applied != attempted;
  const std::int64_t generation = json::Int(json::Path(object, {"metadata", "generation"}));
  const std::int64_t observed = status ? json::Int(json::Member(*status, "observedGeneration"), -1) : -1;
  if (state == Tri::kFalse || revisions_differ) {
    info.sync = AppSync::kOutOfSync;
  } else if (state == Tri::kTrue && observed >= generation) {
    info.sync = AppSync::kSynced;
  } else {
    info.sync = AppSync::kUnknown;
  }
  // The Ready condition changes whenever sync does under this mapping (a revision mismatch
  // comes with a failed apply), so its transition time dates sync too.
  info.sync_since = info.health_since;
}

std::optional<ApplicationInfo> ExtractFluxObject(const rapidjson::Value& object) {
  ApplicationInfo info;
  if (!ReadIdentity(object, info)) return std::nullopt;
  ReadFluxState(object, info);
  return info;
}

}  // namespace gitops_fields
}  // namespace kube9::collectors
