#include "assessment/workloads.h"

#include <fmt/format.h>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "operational-excellence.gitops-delivery-signals", "Workloads are delivered by GitOps",
    Pillar::kOperationalExcellence, Severity::kLow,
    "Deliver workloads from Git with Argo CD or Flux, so that every change is reviewed, versioned and reproducible."};

// Argo CD and Flux mark what they apply (argocd.argoproj.io/instance or the tracking-id
// annotation; kustomize.toolkit.fluxcd.io/name or helm.toolkit.fluxcd.io/name). No workload
// so marked warns, naming examples; otherwise passing with the share under GitOps. Where the
// GitOps collectors watch the tools' applications (Inputs::gitops), the delivery itself is
// judged too: applications that are not Healthy or not Synced warn, since what Git says is
// then not what runs.
Result Run(const Inputs& in) {
  Findings unmanaged("workloads not managed by Argo CD or Flux");
  std::int64_t argocd = 0, flux = 0;
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    unmanaged.Examine();
    const bool a = w.pod_template.Has(collectors::kArgoCdManaged), f = w.pod_template.Has(collectors::kFluxManaged);
    argocd += a ? 1 : 0;
    flux += f ? 1 : 0;
    if (!a && !f) unmanaged.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  std::string delivery;  // what the applications say, when they are watched
  bool delivery_lagging = false;
  if (in.gitops && in.gitops->applications > 0) {
    const auto& g = *in.gitops;
    delivery_lagging = g.healthy < g.applications || g.synced < g.applications;
    delivery = fmt::format("; GitOps applications: {} of {} Healthy, {} of {} Synced", g.healthy, g.applications,
                           g.synced, g.applications);
  }
  if (unmanaged.population() == 0) {
    return {delivery_lagging ? Status::kWarning : Status::kPassing, "no workloads found" + delivery};
  }
  if (argocd + flux == 0 && !(in.gitops && in.gitops->applications > 0)) return unmanaged.Verdict(Status::kWarning);
  return {delivery_lagging ? Status::kWarning : Status::kPassing,
          fmt::format("{} of {} workloads managed by GitOps (Argo CD {}, Flux {}){}",
                      unmanaged.population() - unmanaged.affected(), unmanaged.population(), argocd, flux, delivery)};
}

}  // namespace

std::unique_ptr<Check> GitopsDeliverySignalsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
