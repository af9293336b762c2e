#include "collectors/discovery.h"

#include <fmt/format.h>

namespace kube9::collectors {

ApiGroups GroupsOf(const std::vector<kube::ServedGroup>& served) {
  ApiGroups out;
  for (const auto& g : served) out.served.insert(g.name);
  return out;
}

ServedApis ServedApisOf(const kube::DiscoverySnapshot& discovery) {
  ServedApis out;
  for (const auto& g : discovery.groups) {
    for (const auto& v : g.versions) out.insert(fmt::format("{}/{}", g.name, v));
  }
  out.insert(discovery.resources.begin(), discovery.resources.end());
  return out;
}

std::string ServedKeyOf(const Registration& reg) {
  const std::string_view gv = GroupVersionOf(reg.kind);
  return reg.by_resource ? fmt::format("{}/{}", gv, ResourceOf(reg.kind)) : std::string(gv);
}

void ListOptionalResources(kube::ApiDiscovery& discovery) {
  for (const Registration& r : Registry()) {
    if (r.optional() && r.by_resource) discovery.ListResourcesOf(std::string(r.kind.api_group));
  }
}

base::Expected<kube::DiscoverySnapshot, kube::ApiError> DiscoverOnce(kube::Client& client,
                                                                     const base::Clock& clock) {
  kube::ApiDiscovery discovery(client, clock);
  ListOptionalResources(discovery);
  if (auto looked = discovery.Refresh(nullptr); !looked.ok()) return base::Unexpected(looked.error());
  return discovery.Snapshot();
}

}  // namespace kube9::collectors
