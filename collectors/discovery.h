#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "kube/client.h"
#include "kube/discovery.h"

// API discovery: which API groups the server serves. Read once at start (GET /apis), so an
// add-on's API installed later (VPA, External Secrets) is seen at the next restart.
namespace kube9::collectors {

struct ApiGroups {
  std::set<std::string, std::less<>> served;  // group names; the core group is implied
  bool Serves(std::string_view group) const { return group.empty() || served.contains(group); }
};

// GET /apis (kube/discovery.h).
base::Expected<ApiGroups, kube::ApiError> DiscoverApiGroups(kube::Client& client);
ApiGroups GroupsOf(const std::vector<kube::ServedGroup>& served);

// Removes from `enabled` the collectors registered IfServed() whose API group `groups` does not
// serve (every such collector when `groups` is null: discovery failed) and returns their names.
std::vector<std::string> DropUnserved(std::vector<std::string>& enabled, const ApiGroups* groups);

}  // namespace kube9::collectors
