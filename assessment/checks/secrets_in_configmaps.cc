#include "assessment/checks/secrets_in_configmaps.h"

#include <memory>

#include "assessment/checks/problems.h"
#include "collectors/resources/configmaps.h"

namespace kube9::assessment {

const CheckInfo& SecretsInConfigMaps::info() const {
  static const CheckInfo kInfo{
      "security.secrets-in-configmaps", "ConfigMaps hold no credentials", Pillar::kSecurity, Severity::kHigh,
      "Move passwords, tokens and keys from ConfigMaps into Secrets (or an external secret manager) and mount or "
      "reference them from there: ConfigMaps are readable by anyone who can read the namespace's configuration."};
  return kInfo;
}

Result SecretsInConfigMaps::Run(const Inputs& in) const {
  if (in.stores.Find(collectors::kConfigMaps) == nullptr) {
    return {Status::kSkipped,
            "not collected: reading ConfigMaps is opt-in (chart assessment.readConfigMaps, or configmaps in "
            "--collectors)"};
  }
  const auto* configmaps = Collected(in, collectors::kConfigMaps);
  if (configmaps == nullptr) return SkippedWithout("configmaps");  // opted in, but not permitted
  Findings found("ConfigMaps have keys named like credentials");
  configmaps->ForEach([&](const collectors::ConfigMapInfo& c) {
    found.Examine();
    if (c.credential_keys > 0) found.Affected(c.ns, c.name);
  });
  // Judged by key names only, so a finding is a lead to follow rather than a proven leak.
  return found.Verdict(Status::kWarning);
}

std::unique_ptr<Check> SecretsInConfigMapsCheck() { return std::make_unique<SecretsInConfigMaps>(); }

}  // namespace kube9::assessment
