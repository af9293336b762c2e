#include "collectors/resources/argocd_applications.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

std::optional<ApplicationInfo> ExtractArgoCdApplication(const rapidjson::Value& object) {
  ApplicationInfo info;
  if (!gitops_fields::ReadIdentity(object, info)) return std::nullopt;
  const rapidjson::Value* status = json::Member(object, "status");
  if (status == nullptr) return info;  // not reconciled yet: Unknown, Unknown
  const rapidjson::Value* health = json::Member(*status, "health");
  if (health != nullptr) {
    info.health = AppHealthFromName(json::Str(json::Member(*health, "status")));
    info.health_since = gitops_fields::Time(json::Member(*health, "lastTransitionTime"));
  }
  info.sync = AppSyncFromName(json::Str(json::Path(*status, {"sync", "status"})));
  const std::string_view phase = json::Str(json::Path(*status, {"operationState", "phase"}));
  info.reconcile_failed = phase == "Failed" || phase == "Error";
  return info;
}

}  // namespace kube9::collectors
