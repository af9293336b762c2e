#include "collectors/resources/vertical_pod_autoscalers.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<VpaInfo> ExtractVerticalPodAutoscaler(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  VpaInfo v;
  v.ns = Namespace(o);
  v.name = Name(o);
  const Value* spec = Member(o, "spec");
  if (spec == nullptr) return v;
  v.target_kind = std::string(Str(Path(*spec, {"targetRef", "kind"})));
  v.target_name = std::string(Str(Path(*spec, {"targetRef", "name"})));
  const std::string_view mode = Str(Path(*spec, {"updatePolicy", "updateMode"}));
  v.updates_pods = mode.empty() || mode == "Auto" || mode == "Recreate" || mode == "InPlaceOrRecreate";
  ForEach(Path(*spec, {"resourcePolicy", "containerPolicies"}), [&](const Value& p) {
    const Value* min = Member(p, "minAllowed");
    const Value* max = Member(p, "maxAllowed");
    if (min == nullptr || max == nullptr) return;
    for (const char* r : {"cpu", "memory"}) {
      if (Member(*min, r) == nullptr || Member(*max, r) == nullptr) continue;
      if (QuantityMilli(min, r) > QuantityMilli(max, r)) v.min_above_max = true;
    }
  });
  return v;
}

}  // namespace kube9::collectors
