#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// performance-efficiency.vpa-configuration-sanity: VerticalPodAutoscalers without a target, with a
// missing target, or with minAllowed above maxAllowed (failing); one that updates pods whose
// workload an HPA also scales on CPU or memory (warning: the two fight). Skipped when the VPA
// API is not served.
class VpaConfigurationSanity final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
