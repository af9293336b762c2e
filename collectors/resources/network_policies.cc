#include "collectors/resources/network_policies.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<NetworkPolicyInfo> ExtractNetworkPolicy(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  NetworkPolicyInfo n;
  n.ns = Namespace(o);
  n.name = Name(o);
  const Value* spec = Member(o, "spec");
  if (spec == nullptr) return n;
  const Value* selector = Member(*spec, "podSelector");
  n.selects_all_pods = selector != nullptr && selector->IsObject() && selector->ObjectEmpty();
  const Value* types = Member(*spec, "policyTypes");
  if (types != nullptr && types->IsArray() && !types->Empty()) {
    ForEach(types, [&](const Value& t) {
      if (Str(&t) == "Ingress") n.ingress = true;
      if (Str(&t) == "Egress") n.egress = true;
    });
  } else {
    // The API's default: Ingress always, Egress when the policy has egress rules.
    n.ingress = true;
    n.egress = Member(*spec, "egress") != nullptr;
  }
  return n;
}

}  // namespace kube9::collectors
