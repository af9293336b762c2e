#include "sinks/status/gitops_blocks.h"

namespace kube9::sinks {

GitOpsBlocks BlocksFromDetection(const gitops::GitOpsSnapshot& snapshot,
                                 const std::optional<gitops::ResourceTreeProbe>& probe) {
  GitOpsBlocks blocks;
  if (!snapshot.looked) return blocks;
  ArgoCdStatus a;
  a.detected = snapshot.argocd.detected;
  a.last_checked = snapshot.last_checked;
  if (a.detected) {
    a.ns = snapshot.argocd.ns;
    a.version = snapshot.argocd.version;
    // Not probed yet counts as not capable, without a reason to show.
    a.resource_tree_capable = probe && probe->capable;
    if (probe && probe->last_error) {
      a.resource_tree_last_error =
          ArgoCdStatus::Error{std::string(gitops::CodeName(probe->last_error->code)), probe->last_error->message};
    }
  }
  blocks.argocd = std::move(a);
  GitOpsStatus g;
  g.last_checked = snapshot.last_checked;
  g.argocd_detected = snapshot.argocd.detected;
  g.flux_detected = snapshot.flux.detected;
  for (const auto& group : snapshot.flux.groups) g.flux_groups.push_back({group.name, group.versions});
  blocks.gitops = std::move(g);
  return blocks;
}

}  // namespace kube9::sinks
