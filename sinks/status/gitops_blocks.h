#pragma once

#include <optional>
#include <utility>

#include "gitops/detection.h"
#include "gitops/gitops_loop.h"
#include "sinks/status/status_report.h"

namespace kube9::sinks {

struct GitOpsBlocks {
  std::optional<ArgoCdStatus> argocd;
  std::optional<GitOpsStatus> gitops;
};

// The `argocd` and `gitops` blocks from what the gitops loop found. Both are left out until a
// look has completed: before that the operator does not know, and `detected: false` would
// hide Argo CD in the extension. After a failed look the last completed one stands (the
// detector keeps it), so an API server outage does not read as a removal.
GitOpsBlocks BlocksFromDetection(const gitops::GitOpsSnapshot& snapshot,
                                 const std::optional<gitops::ResourceTreeProbe>& probe);

}  // namespace kube9::sinks
