#include "collectors/registry.h"

#include <algorithm>

#include "collectors/extract.h"
#include "collectors/resources/argocd_applications.h"
#include "collectors/resources/flux_helmreleases.h"
#include "collectors/resources/flux_kustomizations.h"
#include "collectors/resources/configmaps.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"
#include "collectors/resources/limit_ranges.h"
#include "collectors/resources/network_policies.h"
#include "collectors/resources/pod_disruption_budgets.h"
#include "collectors/resources/resource_quotas.h"
#include "collectors/resources/role_bindings.h"
#include "collectors/resources/roles.h"
#include "collectors/resources/vertical_pod_autoscalers.h"

namespace kube9::collectors {

const std::vector<Registration>& Registry() {
  static const std::vector<Registration> all = {
      Register<kNodes>(),
      Register<kNamespaces>(),
      Register<kPods>(),
      Register<kServices>(),
      Register<kPersistentVolumeClaims>(),
      Register<kDeployments>(),
      Register<kStatefulSets>(),
      Register<kDaemonSets>(),
      Register<kReplicaSets>(),
      Register<kJobs>(),
      Register<kCronJobs>(),
      Register<kHorizontalPodAutoscalers>(),
      Register<kPodDisruptionBudgets>(),
      Register<kNetworkPolicies>(),
      Register<kResourceQuotas>(),
      Register<kLimitRanges>(),
      Register<kRoles>(),
      Register<kClusterRoles>(),
      Register<kRoleBindings>(),
      Register<kClusterRoleBindings>(),
      // Optional (RegisterOptional): each runs while discovery finds its API served (VPA, Argo
      // CD, Flux installed), wherever it stands in this list (the order of `rbac` and the docs).
      RegisterOptional<kVerticalPodAutoscalers>(),
      Register<kConfigMaps>().OptIn(),
      {kEvents, nullptr},  // the events history's (sinks/events), not a store
      RegisterOptional<kArgoCdApplications>().ByResource(),
      RegisterOptional<kFluxKustomizations>(),
      RegisterOptional<kFluxHelmReleases>(),
  };
  return all;
}

std::string_view GroupVersionOf(const ResourceKind& kind) {
  std::string_view path = kind.path;
  const bool core = path.starts_with("/api/");
  if (!core && !path.starts_with("/apis/")) return {};
  path.remove_prefix(core ? 5 : 6);
  // The core group's path holds the version only; a named group's holds group/version.
  std::size_t end = path.find('/');
  if (!core && end != std::string_view::npos) end = path.find('/', end + 1);
  return path.substr(0, end);
}

std::string_view ResourceOf(const ResourceKind& kind) {
  const auto slash = kind.path.rfind('/');
  return slash == std::string_view::npos ? kind.path : kind.path.substr(slash + 1);
}

const std::vector<ResourceKind>& AllResources() {
  static const std::vector<ResourceKind> kinds = [] {
    std::vector<ResourceKind> out;
    for (const auto& r : Registry()) out.push_back(r.kind);
    return out;
  }();
  return kinds;
}

std::vector<std::string> AllCollectorNames() {
  std::vector<std::string> out;
  for (const auto& r : Registry()) out.emplace_back(r.kind.name);
  return out;
}

std::vector<std::string> DefaultCollectorNames() {
  std::vector<std::string> out;
  for (const auto& r : Registry()) {
    if (!r.opt_in) out.emplace_back(r.kind.name);
  }
  return out;
}

std::string ResolveCollectorNames(std::vector<std::string>& names) {
  const std::vector<std::string> known = AllCollectorNames();
  if (names.empty()) {
    names = DefaultCollectorNames();
    return "";
  }
  std::string unknown;
  for (const auto& n : names) {
    if (std::find(known.begin(), known.end(), n) == known.end()) {
      unknown += (unknown.empty() ? "'" : ", '") + n + "'";
    }
  }
  if (unknown.empty()) return "";
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return "unknown collector " + unknown + " (known: " + list + ")";
}

}  // namespace kube9::collectors
