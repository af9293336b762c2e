#include "kube/discovery.h"

#include <algorithm>

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

const ServedGroup* DiscoverySnapshot::Group(std::string_view name) const {
  auto it = std::find_if(groups.begin(), groups.end(), [&](const ServedGroup& g) { return g.name == name; });
  return it == groups.end() ? nullptr : &*it;
}

bool DiscoverySnapshot::ServesGroupVersion(std::string_view group, std::string_view version) const {
  const ServedGroup* g = Group(group);
  return g != nullptr && std::find(g->versions.begin(), g->versions.end(), version) != g->versions.end();
}

bool DiscoverySnapshot::ServesResource(std::string_view group, std::string_view version,
                                       std::string_view resource) const {
  return resources.contains(fmt::format("{}/{}/{}", group, version, resource));
}

base::Expected<base::Ok, ApiError> ApiDiscovery::Refresh(const base::StopSignal* cancel) {
  auto fail = [&](const ApiError& error) -> base::Expected<base::Ok, ApiError> {
    std::lock_guard lock(mu_);
    snapshot_.last_error = error.ToString();
    return base::Unexpected(error);
  };
  auto groups = ServedGroups(client_, cancel);
  if (!groups.ok()) return fail(groups.error());
  std::set<std::string, std::less<>> resources;
  for (const ServedGroup& group : *groups) {
    if (!listed_groups_.contains(group.name)) continue;
    for (const auto& version : group.versions) {
      auto served = ServedResources(client_, group.name, version, cancel);
      if (!served.ok()) {
        // The version went away between the two requests (a CRD being deleted): not served.
        if (served.error().kind == ErrorKind::kNotFound) continue;
        return fail(served.error());
      }
      for (const auto& r : *served) resources.insert(fmt::format("{}/{}/{}", group.name, version, r));
    }
  }
  auto same_groups = [](const std::vector<ServedGroup>& a, const std::vector<ServedGroup>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ServedGroup& x, const ServedGroup& y) {
      return x.name == y.name && x.versions == y.versions && x.preferred_version == y.preferred_version;
    });
  };
  DiscoverySnapshot changed;
  bool notify = false;
  {
    std::lock_guard lock(mu_);
    notify = !snapshot_.looked || !same_groups(snapshot_.groups, *groups) || snapshot_.resources != resources;
    if (notify) ++snapshot_.generation;
    snapshot_.looked = true;
    snapshot_.last_checked = clock_.WallNow();
    snapshot_.groups = std::move(groups).value();
    snapshot_.resources = std::move(resources);
    snapshot_.last_error.clear();
    if (notify) changed = snapshot_;
  }
  if (notify) {
    for (const auto& listener : listeners_) listener(changed);
  }
  return base::Ok{};
}

DiscoverySnapshot ApiDiscovery::Snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

}  // namespace kube9::kube
