#include "assessment/checks/rbac_wildcard_permissions.h"

#include <memory>

#include "assessment/checks/problems.h"
#include "collectors/resources/roles.h"

namespace kube9::assessment {

const CheckInfo& RbacWildcardPermissions::info() const {
  static const CheckInfo kInfo{
      "security.rbac-wildcard-permissions", "RBAC roles avoid wildcard permissions", Pillar::kSecurity, Severity::kHigh,
      "List the verbs, resources and API groups a role needs instead of \"*\"; a wildcard also grants whatever "
      "resources and verbs are added to the cluster later."};
  return kInfo;
}

Result RbacWildcardPermissions::Run(const Inputs& in) const {
  const auto* roles = Collected(in, collectors::kRoles);
  const auto* cluster_roles = Collected(in, collectors::kClusterRoles);
  if (auto skipped = SkippedUnlessCollected({{roles, "roles"}, {cluster_roles, "clusterroles"}})) return *skipped;
  Problems found("Roles and ClusterRoles",
                 {{"grant every verb on every resource", Status::kFailing}, {"use a wildcard", Status::kWarning}});
  auto look = [&](const collectors::RoleInfo& r) {
    if (r.builtin) return;  // Kubernetes' own roles (cluster-admin, system:*) are wildcards by design
    found.Examine();
    if (r.wildcard_verb && r.wildcard_resource)
      found.Affected(0, r.ns, r.name);
    else if (r.wildcard())
      found.Affected(1, r.ns, r.name);
  };
  cluster_roles->ForEach(look);
  roles->ForEach(look);
  return found.Verdict();
}

std::unique_ptr<Check> RbacWildcardPermissionsCheck() { return std::make_unique<RbacWildcardPermissions>(); }

}  // namespace kube9::assessment
