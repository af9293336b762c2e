#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// performance-efficiency.namespace-resource-governance: namespaces running pods with neither a
// ResourceQuota nor a LimitRange (warning). Kubernetes' own namespaces (kube-*) are left out.
class NamespaceResourceGovernance final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
