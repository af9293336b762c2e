#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "kube/api_error.h"

// API discovery: which groups, versions and resources the API server serves. Every
// authenticated identity may read it (the system:discovery ClusterRole), so finding an
// optional API (Argo CD, Flux) needs no grant of its own.
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

}  // namespace kube9::kube
