#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// performance-efficiency.hpa-configuration-sanity: HorizontalPodAutoscalers that cannot work:
// minReplicas above maxReplicas or a missing target Deployment/StatefulSet (failing); min equal
// to max, which never scales, or no metrics (warning).
class HpaConfigurationSanity final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
