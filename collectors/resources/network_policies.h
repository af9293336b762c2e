#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What is kept of a NetworkPolicy (networking.k8s.io/v1): where it is and what it covers, so
// that a check can tell namespaces with a default policy from those with none.
struct NetworkPolicyInfo {
  std::string ns, name;
  bool selects_all_pods = false;         // an empty podSelector
  bool ingress = false, egress = false;  // the policy types it restricts
};

std::optional<NetworkPolicyInfo> ExtractNetworkPolicy(const rapidjson::Value& object);

inline constexpr Resource<NetworkPolicyInfo> kNetworkPolicies{
    {"networkpolicies", "networking.k8s.io", "/apis/networking.k8s.io/v1/networkpolicies"}, &ExtractNetworkPolicy};

}  // namespace kube9::collectors
