#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/resource.h"

namespace kube9::collectors {

// What vpa-configuration-sanity reads of a VerticalPodAutoscaler (autoscaling.k8s.io/v1).
// Optional: the collector starts only when API discovery at start shows the group
// (collectors/discovery.h).
struct VpaInfo {
  std::string ns, name;
  std::string target_kind, target_name;  // spec.targetRef; empty when missing
  // spec.updatePolicy.updateMode is Auto, Recreate or InPlaceOrRecreate (the default, Auto,
  // when unset): the VPA changes pods' requests, so an HPA on CPU or memory fights it.
  bool updates_pods = true;
  // A containerPolicies entry whose minAllowed is above its maxAllowed for cpu or memory.
  bool min_above_max = false;
};

std::optional<VpaInfo> ExtractVerticalPodAutoscaler(const rapidjson::Value& object);

inline constexpr Resource<VpaInfo> kVerticalPodAutoscalers{
    {"verticalpodautoscalers", "autoscaling.k8s.io", "/apis/autoscaling.k8s.io/v1/verticalpodautoscalers"},
    &ExtractVerticalPodAutoscaler};

}  // namespace kube9::collectors
