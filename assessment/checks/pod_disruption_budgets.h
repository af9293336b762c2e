#pragma once

#include "assessment/check.h"

namespace kube9::assessment {

// reliability.pod-disruption-budgets: Deployments and StatefulSets of more than one replica need a
// PodDisruptionBudget selecting their pods (warning without one), and one that allows no
// disruption blocks node drains (failing).
class PodDisruptionBudgets final : public Check {
 public:
  const CheckInfo& info() const override;
  Result Run(const Inputs& in) const override;
};

}  // namespace kube9::assessment
