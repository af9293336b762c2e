#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What the assessment's hpa-configuration-sanity (and vpa-configuration-sanity, for an HPA and
// a VPA both acting on CPU or memory) read of a HorizontalPodAutoscaler (autoscaling/v2).
struct HpaInfo {
  std::string ns, name;
  std::string target_kind, target_name;  // spec.scaleTargetRef
  std::int32_t min_replicas = 1;         // the API's default
  std::int32_t max_replicas = 0;
  std::uint8_t metrics = 0;              // spec.metrics entries (capped at 255)
  bool scales_on_cpu_or_memory = false;  // a Resource or ContainerResource metric on cpu/memory
};

std::optional<HpaInfo> ExtractHorizontalPodAutoscaler(const rapidjson::Value& object);

inline constexpr Resource<HpaInfo> kHorizontalPodAutoscalers{
    {"horizontalpodautoscalers", "autoscaling", "/apis/autoscaling/v2/horizontalpodautoscalers"},
    &ExtractHorizontalPodAutoscaler};

}  // namespace kube9::collectors
