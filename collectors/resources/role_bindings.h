#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What the RBAC checks read of a RoleBinding or ClusterRoleBinding: the role it grants, how
// many subjects of each kind, and whether it gives cluster-admin to someone who is not part of
// Kubernetes itself. Subjects' names are not kept.
struct BindingInfo {
  std::string ns;  // "" for a ClusterRoleBinding
  std::string name;
  bool role_is_cluster_role = false;  // roleRef.kind
  std::string role_name;              // roleRef.name
  std::uint16_t users = 0, groups = 0, service_accounts = 0;
  // roleRef is the ClusterRole cluster-admin and a subject is neither a "system:" user or
  // group nor a ServiceAccount of kube-system.
  bool cluster_admin_to_non_system = false;
};

std::optional<BindingInfo> ExtractBinding(const rapidjson::Value& object);

inline constexpr Resource<BindingInfo> kRoleBindings{
    {"rolebindings", "rbac.authorization.k8s.io", "/apis/rbac.authorization.k8s.io/v1/rolebindings"}, &ExtractBinding};
inline constexpr Resource<BindingInfo> kClusterRoleBindings{
    {"clusterrolebindings", "rbac.authorization.k8s.io", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"},
    &ExtractBinding};

}  // namespace kube9::collectors
