#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What the RBAC checks read of a Role or ClusterRole (rbac.authorization.k8s.io/v1): booleans
// about its rules computed at extraction, and its name for examples. Reading roles needs only
// list/watch on them, never escalate or bind.
struct RoleInfo {
  std::string ns;  // "" for a ClusterRole
  std::string name;
  // Kubernetes' own: a name starting with "system:" or the label
  // kubernetes.io/bootstrapping=rbac-defaults (cluster-admin, admin, edit, view).
  bool builtin = false;
  bool wildcard_verb = false, wildcard_resource = false, wildcard_api_group = false;  // "*" in a rule
  // get, list, watch or "*" on secrets (or on "*" resources) in the core group (or "*").
  bool reads_secrets = false;
  bool wildcard() const { return wildcard_verb || wildcard_resource || wildcard_api_group; }
};

std::optional<RoleInfo> ExtractRole(const rapidjson::Value& object);

inline constexpr Resource<RoleInfo> kRoles{
    {"roles", "rbac.authorization.k8s.io", "/apis/rbac.authorization.k8s.io/v1/roles"}, &ExtractRole};
inline constexpr Resource<RoleInfo> kClusterRoles{
    {"clusterroles", "rbac.authorization.k8s.io", "/apis/rbac.authorization.k8s.io/v1/clusterroles"}, &ExtractRole};

}  // namespace kube9::collectors
