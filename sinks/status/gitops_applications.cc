#include "sinks/status/gitops_applications.h"

namespace kube9::sinks {

std::optional<GitOpsApplicationCounts> ApplicationCountsOf(const collectors::GitOpsSummary& summary,
                                                           collectors::GitOpsTool tool) {
  const auto& apps = summary.tool(tool);
  if (!apps) return std::nullopt;
  GitOpsApplicationCounts c;
  c.applications = apps->total;
  c.reconcile_failing = apps->reconcile_failing;
  for (std::size_t h = 0; h < apps->by_health.size(); ++h) {
    if (apps->by_health[h] > 0) c.by_health.emplace_back(collectors::kAppHealthNames[h], apps->by_health[h]);
  }
  for (std::size_t s = 0; s < apps->by_sync.size(); ++s) {
    if (apps->by_sync[s] > 0) c.by_sync.emplace_back(collectors::kAppSyncNames[s], apps->by_sync[s]);
  }
  return c;
}

}  // namespace kube9::sinks
