#include "assessment/checks/rbac_cluster_admin_misuse.h"

#include <memory>

#include "assessment/checks/problems.h"
#include "collectors/resources/role_bindings.h"

namespace kube9::assessment {

const CheckInfo& RbacClusterAdminMisuse::info() const {
  static const CheckInfo kInfo{
      "security.rbac-cluster-admin-misuse", "cluster-admin is bound only to Kubernetes' own subjects",
      Pillar::kSecurity, Severity::kCritical,
      "Bind users, groups and ServiceAccounts to a role with just the permissions they need (or to admin/edit in "
      "their namespace) instead of cluster-admin, which can do anything, including reading every Secret."};
  return kInfo;
}

Result RbacClusterAdminMisuse::Run(const Inputs& in) const {
  const auto* cluster_bindings = Collected(in, collectors::kClusterRoleBindings);
  const auto* bindings = Collected(in, collectors::kRoleBindings);
  if (auto skipped = SkippedUnlessCollected({{cluster_bindings, "clusterrolebindings"}, {bindings, "rolebindings"}})) {
    return *skipped;
  }
  Problems found("bindings", {{"ClusterRoleBindings give cluster-admin to non-system subjects", Status::kFailing},
                              {"RoleBindings give cluster-admin to non-system subjects", Status::kWarning}});
  cluster_bindings->ForEach([&](const collectors::BindingInfo& b) {
    found.Examine();
    if (b.cluster_admin_to_non_system) found.Affected(0, b.ns, b.name);
  });
  bindings->ForEach([&](const collectors::BindingInfo& b) {
    found.Examine();
    if (b.cluster_admin_to_non_system) found.Affected(1, b.ns, b.name);
  });
  return found.Verdict();
}

std::unique_ptr<Check> RbacClusterAdminMisuseCheck() { return std::make_unique<RbacClusterAdminMisuse>(); }

}  // namespace kube9::assessment
