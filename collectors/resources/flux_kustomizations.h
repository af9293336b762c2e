#pragma once

#include "collectors/resource.h"
#include "collectors/resources/gitops_application.h"

namespace kube9::collectors {

// Flux Kustomizations (kustomize.toolkit.fluxcd.io/v1, Flux 2.0+): health, sync and failure
// from the Ready condition and the revisions (gitops_fields::ReadFluxState). Optional: runs
// while the group's v1 is served.
inline constexpr Resource<ApplicationInfo> kFluxKustomizations{
    {"kustomizations", "kustomize.toolkit.fluxcd.io", "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"},
    &gitops_fields::ExtractFluxObject};

}  // namespace kube9::collectors
