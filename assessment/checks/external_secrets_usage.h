#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// security.external-secrets-usage: whether an external secret manager is installed, from the API
// groups discovery showed at start: External Secrets Operator (external-secrets.io), the Secrets
// Store CSI driver (secrets-store.csi.x-k8s.io) or Sealed Secrets (bitnami.com). Passing when
// one is, warning when none is.
class ExternalSecretsUsage final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
