#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// security.rbac-wildcard-permissions: Roles and ClusterRoles (not Kubernetes' own) granting "*"
// verbs, resources or API groups. Failing when one grants every verb on every resource,
// warning for narrower wildcards.
class RbacWildcardPermissions final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
