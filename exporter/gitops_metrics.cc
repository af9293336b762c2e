#include "exporter/gitops_metrics.h"

#include "exporter/gauge_family.h"

namespace kube9::exporter {

using collectors::AppHealth;
using collectors::AppSync;
using prometheus::MetricFamily;

std::vector<MetricFamily> GitOpsMetrics::Render(const collectors::GitOpsSummary& summary) {
  GaugeFamily apps("kube9_gitops_applications",
                   "GitOps applications (Argo CD Applications, Flux Kustomizations and HelmReleases) by tool, "
                   "namespace, health and sync; combinations with none are absent.");
  GaugeFamily unhealthy("kube9_gitops_applications_unhealthy",
                        "Applications in a health other than Healthy for at least `for` (5m, 15m, 30m, 1h), by "
                        "tool, namespace and health.");
  GaugeFamily out_of_sync("kube9_gitops_applications_out_of_sync",
                          "Applications OutOfSync for at least `for` (5m, 15m, 30m, 1h), by tool and namespace.");
  GaugeFamily failing("kube9_gitops_applications_reconcile_failing",
                      "Applications whose last reconciliation failed (Argo CD: sync operation Failed or Error; "
                      "Flux: Ready False with a ...Failed reason), by tool and namespace.");
  for (std::size_t t = 0; t < summary.tools.size(); ++t) {
    const auto& tool = summary.tools[t];
    if (!tool) continue;
    const std::string_view tool_name = collectors::kGitOpsToolNames[t];
    for (const auto& [ns, n] : tool->namespaces) {
      for (std::size_t h = 0; h < collectors::kAppHealthNames.size(); ++h) {
        for (std::size_t y = 0; y < collectors::kAppSyncNames.size(); ++y) {
          if (n.by_health_sync[h][y] == 0) continue;
          apps.Add({{"tool", tool_name},
                    {"namespace", ns},
                    {"health", collectors::kAppHealthNames[h]},
                    {"sync", collectors::kAppSyncNames[y]}},
                   static_cast<double>(n.by_health_sync[h][y]));
        }
        // Every threshold of a health that some application is in, so that 0 means "not yet".
        if (static_cast<AppHealth>(h) == AppHealth::kHealthy || n.in_health(static_cast<AppHealth>(h)) == 0) continue;
        for (std::size_t b = 0; b < collectors::kAgeBuckets.size(); ++b) {
          unhealthy.Add({{"tool", tool_name},
                         {"namespace", ns},
                         {"health", collectors::kAppHealthNames[h]},
                         {"for", collectors::kAgeBuckets[b].label}},
                        static_cast<double>(n.unhealthy_for[h][b]));
        }
      }
      if (n.in_sync(AppSync::kOutOfSync) > 0) {
        for (std::size_t b = 0; b < collectors::kAgeBuckets.size(); ++b) {
          out_of_sync.Add({{"tool", tool_name}, {"namespace", ns}, {"for", collectors::kAgeBuckets[b].label}},
                          static_cast<double>(n.out_of_sync_for[b]));
        }
      }
      failing.Add({{"tool", tool_name}, {"namespace", ns}}, static_cast<double>(n.reconcile_failing));
    }
  }
  std::vector<MetricFamily> out;
  for (GaugeFamily* f : {&apps, &unhealthy, &out_of_sync, &failing}) {
    if (!f->empty()) out.push_back(f->Take());
  }
  return out;
}

void GitOpsMetrics::Update(const collectors::GitOpsSummary& summary) { Publish(Render(summary)); }

}  // namespace kube9::exporter
