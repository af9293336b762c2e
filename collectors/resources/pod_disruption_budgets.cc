#include "collectors/resources/pod_disruption_budgets.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<PdbInfo> ExtractPodDisruptionBudget(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  PdbInfo p;
  p.ns = Namespace(o);
  p.name = Name(o);
  const Value* spec = Member(o, "spec");
  if (spec == nullptr) return p;
  p.selector = ParseLabelSelector(Member(*spec, "selector"));
  // An IntOrString: a number, or a string that is a percentage.
  const Value* max_unavailable = Member(*spec, "maxUnavailable");
  const Value* min_available = Member(*spec, "minAvailable");
  if (max_unavailable != nullptr) {
    p.allows_no_disruption = (max_unavailable->IsInt64() && max_unavailable->GetInt64() <= 0) ||
                             Str(max_unavailable) == "0%" || Str(max_unavailable) == "0";
  }
  if (min_available != nullptr) {
    if (min_available->IsInt64()) p.min_available = Int32(min_available);
    if (Str(min_available) == "100%") p.allows_no_disruption = true;
  }
  return p;
}

}  // namespace kube9::collectors
