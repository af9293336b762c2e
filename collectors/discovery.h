#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/registry.h"
#include "kube/discovery.h"

// API discovery as the collectors read it. The serving operator runs one discovery
// (kube::ApiDiscovery) at start and then every --discovery-interval; each change hands
// ServedApisOf(snapshot) to CollectorSet::SetServedApis, which starts the optional collectors
// (Registration::optional: VPA, Argo CD, Flux) whose API appeared and stops those whose API
// went, and the assessment's add-on checks read the groups (ApiGroups). An optional collector
// is one RegisterOptional line in registry.cc: nothing here names one.
namespace kube9::collectors {

struct ApiGroups {
  std::set<std::string, std::less<>> served;  // group names; the core group is implied
  bool Serves(std::string_view group) const { return group.empty() || served.contains(group); }
};
ApiGroups GroupsOf(const std::vector<kube::ServedGroup>& served);

// What discovery finds served now, as the keys ServedKeyOf gives: "group/version" of every
// served version (e.g. "argoproj.io/v1alpha1"), and "group/version/resource" of the resources
// of the groups discovery lists (ListOptionalResources).
using ServedApis = std::set<std::string, std::less<>>;
ServedApis ServedApisOf(const kube::DiscoverySnapshot& discovery);
// What must be in ServedApis for an optional collector to run: its group/version, or, for a
// ByResource one, its group/version/resource.
std::string ServedKeyOf(const Registration& reg);
// Makes `discovery` list the resources of the groups the ByResource optional collectors read.
void ListOptionalResources(kube::ApiDiscovery& discovery);

// One discovery for a one-shot command (`assess run`): GET /apis and the listed groups'
// resources.
base::Expected<kube::DiscoverySnapshot, kube::ApiError> DiscoverOnce(kube::Client& client,
                                                                     const base::Clock& clock);

}  // namespace kube9::collectors
