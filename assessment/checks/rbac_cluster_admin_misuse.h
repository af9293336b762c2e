#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// security.rbac-cluster-admin-misuse: bindings of the ClusterRole cluster-admin to subjects that
// are not Kubernetes' own (a "system:" user or group, a ServiceAccount of kube-system).
// Failing for a ClusterRoleBinding (the whole cluster), warning for a RoleBinding (a namespace).
class RbacClusterAdminMisuse final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
