#include "kube/discovery.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/json.h"
#include "kube/client.h"
#include "kube/limits.h"

namespace kube9::kube {
namespace {

std::string_view StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// The array `name` of a reply's top-level object, or an error naming what is missing.
base::Expected<const rapidjson::Value*, std::string> TopArray(rapidjson::Document& doc, std::string_view body,
                                                              const char* kind, const char* name) {
  if (auto parsed = base::ParseJson(doc, body, kDiscoveryJson); !parsed.ok()) return base::Unexpected(parsed.error());
  if (!doc.IsObject()) return base::Unexpected(fmt::format("is not a JSON object (expected an {})", kind));
  auto it = doc.FindMember(name);
  // An empty list may come without the array (omitempty).
  if (it == doc.MemberEnd() || it->value.IsNull()) return static_cast<const rapidjson::Value*>(nullptr);
  if (!it->value.IsArray()) return base::Unexpected(fmt::format("has \"{}\" that is not an array", name));
  return &it->value;
}

}  // namespace

base::Expected<std::vector<ServedGroup>, std::string> ParseApiGroupList(std::string_view body) {
  rapidjson::Document doc;
  auto groups = TopArray(doc, body, "APIGroupList", "groups");
  if (!groups.ok()) return base::Unexpected(groups.error());
  std::vector<ServedGroup> out;
  if (*groups == nullptr) return out;
  for (const auto& g : (*groups)->GetArray()) {
    ServedGroup group;
    group.name = StringMember(g, "name");
    if (group.name.empty()) continue;
    if (auto versions = g.FindMember("versions"); versions != g.MemberEnd() && versions->value.IsArray()) {
      for (const auto& v : versions->value.GetArray()) {
        if (auto version = StringMember(v, "version"); !version.empty()) group.versions.emplace_back(version);
      }
    }
    if (auto preferred = g.FindMember("preferredVersion"); preferred != g.MemberEnd()) {
      group.preferred_version = StringMember(preferred->value, "version");
    }
    out.push_back(std::move(group));
  }
  return out;
}

base::Expected<std::vector<std::string>, std::string> ParseApiResourceList(std::string_view body) {
  rapidjson::Document doc;
  auto resources = TopArray(doc, body, "APIResourceList", "resources");
  if (!resources.ok()) return base::Unexpected(resources.error());
  std::vector<std::string> out;
  if (*resources == nullptr) return out;
  for (const auto& r : (*resources)->GetArray()) {
    const std::string_view name = StringMember(r, "name");
    if (name.empty() || name.find('/') != std::string_view::npos) continue;  // a subresource
    out.emplace_back(name);
  }
  return out;
}

base::Expected<std::vector<ServedGroup>, ApiError> ServedGroups(Client& client, const base::StopSignal* cancel) {
  auto body = client.GetRaw("/apis", "discovery", kDiscoveryJson.max_bytes, cancel);
  if (!body.ok()) return base::Unexpected(body.error());
  auto groups = ParseApiGroupList(*body);
  if (!groups.ok()) return base::Unexpected(ApiError{ErrorKind::kDecode, 0, "/apis " + groups.error(), {}});
  return std::move(groups).value();
}

base::Expected<std::vector<std::string>, ApiError> ServedResources(Client& client, std::string_view group,
                                                                   std::string_view version,
                                                                   const base::StopSignal* cancel) {
  const std::string path = fmt::format("/apis/{}/{}", group, version);
  auto body = client.GetRaw(path, "discovery", kDiscoveryJson.max_bytes, cancel);
  if (!body.ok()) return base::Unexpected(body.error());
  auto resources = ParseApiResourceList(*body);
  if (!resources.ok()) return base::Unexpected(ApiError{ErrorKind::kDecode, 0, path + " " + resources.error(), {}});
  return std::move(resources).value();
}

}  // namespace kube9::kube
