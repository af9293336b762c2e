#pragma once

#include "collectors/resource.h"
#include "collectors/resources/gitops_application.h"

namespace kube9::collectors {

// Flux HelmReleases (helm.toolkit.fluxcd.io/v2, Flux 2.3+): as Kustomizations
// (gitops_fields::ReadFluxState). A v2 HelmRelease records lastAttemptedRevision (the chart
// version) but no lastAppliedRevision, so its sync follows Ready and observedGeneration.
// Optional: runs while the group's v2 is served.
inline constexpr Resource<ApplicationInfo> kFluxHelmReleases{
    {"helmreleases", "helm.toolkit.fluxcd.io", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"},
    &gitops_fields::ExtractFluxObject};

}  // namespace kube9::collectors
