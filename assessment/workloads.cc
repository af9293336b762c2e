#include "assessment/workloads.h"

namespace kube9::assessment {

bool IsSystemNamespace(std::string_view ns) {
  return ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease";
}

Result FailOrWarn(const Findings& failing, const Findings& warning) {
  if (failing.affected() > 0) return failing.Verdict(Status::kFailing);
  return warning.Verdict(Status::kWarning);
}

std::optional<Result> ForEachOperatorDeployment(const Inputs& in,
                                                const std::function<void(const collectors::WorkloadInfo&)>& f) {
  const auto* deployments = in.Collected(collectors::kDeployments);
  if (deployments == nullptr) return SkippedWithout("deployments");
  bool found = false;
  auto visit = [&](const collectors::WorkloadInfo& w) {
    if (w.kind != collectors::WorkloadKind::kDeployment || !w.pod_template.Has(collectors::kKube9Operator)) return;
    found = true;
    f(w);
  };
  if (in.health != nullptr) {
    for (const auto& w : in.health->workloads) visit(w);  // see ForEachWorkload
  } else {
    deployments->ForEach(visit);
  }
  if (found) return std::nullopt;
  return Result{Status::kSkipped, "no kube9-operator Deployment found (label app.kubernetes.io/name=kube9-operator)"};
}

namespace {
class FunctionCheck final : public Check {
 public:
  FunctionCheck(const CheckInfo& info, Result (*run)(const Inputs&)) : info_(info), run_(run) {}
  const CheckInfo& info() const override { return info_; }
  Result Run(const Inputs& in) const override { return run_(in); }

 private:
  const CheckInfo& info_;
  Result (*run_)(const Inputs&);
};
}  // namespace

std::unique_ptr<Check> MakeCheck(const CheckInfo& info, Result (*run)(const Inputs&)) {
  return std::make_unique<FunctionCheck>(info, run);
}

}  // namespace kube9::assessment
