#include "assessment/checks/external_secrets_usage.h"

#include <memory>

#include <array>
#include <string>
#include <utility>

namespace kube9::assessment {

const CheckInfo& ExternalSecretsUsage::info() const {
  static const CheckInfo kInfo{
      "security.external-secrets-usage", "Secrets come from an external secret manager", Pillar::kSecurity,
      Severity::kLow,
      "Keep credentials in a secret manager (Vault, a cloud secret manager) and sync them in with the External "
      "Secrets Operator or the Secrets Store CSI driver, or commit them encrypted with Sealed Secrets."};
  return kInfo;
}

Result ExternalSecretsUsage::Run(const Inputs& in) const {
  if (in.api_groups == nullptr) return {Status::kSkipped, "not known: API discovery has not completed"};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kManagers = {{
      {"external-secrets.io", "External Secrets Operator"},
      {"secrets-store.csi.x-k8s.io", "Secrets Store CSI driver"},
      {"bitnami.com", "Sealed Secrets"},
  }};
  std::string found;
  for (const auto& [group, name] : kManagers) {
    if (in.api_groups->Serves(group))
      found += (found.empty() ? "" : ", ") + std::string(name) + " (" + std::string(group) + ")";
  }
  if (!found.empty()) return {Status::kPassing, "found: " + found};
  return {Status::kWarning,
          "no external secret manager found (External Secrets Operator, Secrets Store CSI driver, Sealed Secrets): "
          "Secrets are managed in the cluster only"};
}

std::unique_ptr<Check> ExternalSecretsUsageCheck() { return std::make_unique<ExternalSecretsUsage>(); }

}  // namespace kube9::assessment
