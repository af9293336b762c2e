#include "collectors/resources/horizontal_pod_autoscalers.h"

#include <algorithm>

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<HpaInfo> ExtractHorizontalPodAutoscaler(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  HpaInfo h;
  h.ns = Namespace(o);
  h.name = Name(o);
  const Value* spec = Member(o, "spec");
  if (spec == nullptr) return h;
  h.target_kind = std::string(Str(Path(*spec, {"scaleTargetRef", "kind"})));
  h.target_name = std::string(Str(Path(*spec, {"scaleTargetRef", "name"})));
  h.min_replicas = Int32(Member(*spec, "minReplicas"), 1);
  h.max_replicas = Int32(Member(*spec, "maxReplicas"));
  int metrics = 0;
  ForEach(Member(*spec, "metrics"), [&](const Value& m) {
    ++metrics;
    const std::string_view type = Str(Member(m, "type"));
    const char* field = type == "Resource" ? "resource" : type == "ContainerResource" ? "containerResource" : nullptr;
    if (field == nullptr) return;
    const std::string_view resource = Str(Path(m, {field, "name"}));
    if (resource == "cpu" || resource == "memory") h.scales_on_cpu_or_memory = true;
  });
  h.metrics = static_cast<std::uint8_t>(std::min(metrics, 255));
  return h;
}

}  // namespace kube9::collectors
