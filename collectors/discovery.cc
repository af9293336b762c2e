#include "collectors/discovery.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "collectors/json_fields.h"
#include "collectors/registry.h"

namespace kube9::collectors {

ApiGroups ParseApiGroupList(std::string_view body) {
  ApiGroups out;
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError()) return out;
  json::ForEach(json::Member(d, "groups"), [&](const rapidjson::Value& g) {
    const std::string_view name = json::Str(json::Member(g, "name"));
    if (!name.empty()) out.served.emplace(name);
  });
  return out;
}

base::Expected<ApiGroups, kube::ApiError> DiscoverApiGroups(kube::Client& client) {
  auto body = client.GetRaw("/apis", "discovery");
  if (!body.ok()) return base::Unexpected(body.error());
  return ParseApiGroupList(*body);
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
