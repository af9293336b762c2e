#include "collectors/discovery.h"

#include <algorithm>

#include "collectors/registry.h"

namespace kube9::collectors {

ApiGroups GroupsOf(const std::vector<kube::ServedGroup>& served) {
  ApiGroups out;
  for (const auto& g : served) out.served.insert(g.name);
  return out;
}

base::Expected<ApiGroups, kube::ApiError> DiscoverApiGroups(kube::Client& client) {
  auto served = kube::ServedGroups(client, nullptr);
  if (!served.ok()) return base::Unexpected(served.error());
  return GroupsOf(*served);
}

std::vector<std::string> DropUnserved(std::vector<std::string>& enabled, const ApiGroups* groups) {
  std::vector<std::string> dropped;
  for (const Registration& r : Registry()) {
    if (!r.needs_discovery || (groups != nullptr && groups->Serves(r.kind.api_group))) continue;
    auto it = std::find(enabled.begin(), enabled.end(), r.kind.name);
    if (it == enabled.end()) continue;
    dropped.push_back(*it);
    enabled.erase(it);
  }
  return dropped;
}

}  // namespace kube9::collectors
