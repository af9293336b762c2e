#pragma once

#include <optional>

#include <rapidjson/document.h>

#include "collectors/resource.h"
#include "collectors/resources/gitops_application.h"

namespace kube9::collectors {

// Argo CD Applications (argoproj.io/v1alpha1): health and sync as Argo CD spells them
// (status.health.status, status.sync.status), the reconciliation failing when the last sync
// operation ended Failed or Error (status.operationState.phase), and the health's transition
// time when Argo CD records it (status.health.lastTransitionTime, Argo CD 2.11+). Optional:
// runs while Argo CD's API is served.
std::optional<ApplicationInfo> ExtractArgoCdApplication(const rapidjson::Value& object);

inline constexpr Resource<ApplicationInfo> kArgoCdApplications{
    {"applications", "argoproj.io", "/apis/argoproj.io/v1alpha1/applications"}, &ExtractArgoCdApplication};

}  // namespace kube9::collectors
