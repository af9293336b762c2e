#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// security.secrets-in-configmaps: ConfigMaps with a key named like a credential (password,
// token, apikey, ...), judged by key names counted at extraction; values are never read.
// Skipped unless the opt-in configmaps collector is on.
class SecretsInConfigMaps final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
