#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "kube/api_error.h"

// API discovery: which groups, versions and resources the API server serves. Every
// authenticated identity may read it (the system:discovery ClusterRole), so finding an
// optional API (Argo CD, Flux, VPA) needs no grant of its own.
namespace kube9::kube {

class Client;

struct ServedGroup {
  std::string name;                   // e.g. argoproj.io
  std::vector<std::string> versions;  // as served, e.g. {"v1alpha1"}
  std::string preferred_version;
};

// GET /apis: an APIGroupList. Groups without a name are skipped; versions keep the server's
// order. The error completes a sentence about the reply.
base::Expected<std::vector<ServedGroup>, std::string> ParseApiGroupList(std::string_view body);

// GET /apis/<group>/<version>: an APIResourceList. The resource names (plurals), without
// subresources such as applications/status.
base::Expected<std::vector<std::string>, std::string> ParseApiResourceList(std::string_view body);

// The two requests through `client`, bounded by kDiscoveryJson. A reply that cannot be parsed
// is a kDecode error.
base::Expected<std::vector<ServedGroup>, ApiError> ServedGroups(Client& client, const base::StopSignal* cancel);
base::Expected<std::vector<std::string>, ApiError> ServedResources(Client& client, std::string_view group,
                                                                   std::string_view version,
                                                                   const base::StopSignal* cancel);

// What one completed API discovery found (ApiDiscovery::Snapshot).
struct DiscoverySnapshot {
  // False until a discovery has completed: until then nothing is known, and nothing may be
  // said to be absent.
  bool looked = false;
  base::WallTime last_checked{};  // when the last completed discovery ended
  std::vector<ServedGroup> groups;
  // "group/version/resource" for every version of the groups whose resources are listed
  // (ApiDiscovery::ListResourcesOf): a group shared by several tools (argoproj.io holds Argo
  // CD, Workflows and Rollouts) says nothing about one resource until its list is read.
  std::set<std::string, std::less<>> resources;
  // Grows whenever what is served changes (a group, a version or a listed resource appears or
  // goes), so that a reader can tell a change from a repeat.
  std::uint64_t generation = 0;
  std::string last_error;  // why the latest discovery failed; "" when it completed

  const ServedGroup* Group(std::string_view name) const;
  bool ServesGroupVersion(std::string_view group, std::string_view version) const;
  bool ServesResource(std::string_view group, std::string_view version, std::string_view resource) const;
};

// The one periodic API discovery of the serving operator: the optional collectors (Argo CD,
// Flux, VPA: collectors/discovery.h), the GitOps detection and the assessment's add-on checks
// all read its snapshot. Refresh runs on one thread (the gitops loop, every
// --discovery-interval); Snapshot from any thread.
class ApiDiscovery {
 public:
  using Listener = std::function<void(const DiscoverySnapshot&)>;

  ApiDiscovery(Client& client, const base::Clock& clock) : client_(client), clock_(clock) {}

  // Also list the resources of every served version of `group` (one GET per version and
  // discovery). Call before the first Refresh.
  void ListResourcesOf(std::string group) { listed_groups_.insert(std::move(group)); }

  // One discovery: GET /apis, then GET /apis/<group>/<version> for the listed groups served.
  // A failed one keeps what the last completed one found (and says why in last_error), so an
  // API server outage never reads as "removed". A version gone between the two requests (404)
  // is not served.
  base::Expected<base::Ok, ApiError> Refresh(const base::StopSignal* cancel);
  DiscoverySnapshot Snapshot() const;

  // Called on the refreshing thread after a discovery that changed what is served (the first
  // completed one included). Register before the first Refresh.
  void OnChange(Listener listener) { listeners_.push_back(std::move(listener)); }

 private:
  Client& client_;
  const base::Clock& clock_;
  std::set<std::string, std::less<>> listed_groups_;
  std::vector<Listener> listeners_;
  mutable std::mutex mu_;
  DiscoverySnapshot snapshot_;
};

}  // namespace kube9::kube
