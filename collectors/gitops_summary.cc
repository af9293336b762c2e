#include "collectors/gitops_summary.h"

#include <algorithm>

#include "collectors/resources/argocd_applications.h"
#include "collectors/resources/flux_helmreleases.h"
#include "collectors/resources/flux_kustomizations.h"

namespace kube9::collectors {
namespace {

void CountAge(AgeCounts& counts, base::WallTime since, base::WallTime now) {
  const auto age = now - since;
  for (std::size_t b = 0; b < kAgeBuckets.size(); ++b) {
    if (age >= kAgeBuckets[b].at_least) ++counts[b];
  }
}

}  // namespace

std::int64_t NamespaceApplications::total() const {
  std::int64_t n = 0;
  for (const auto& row : by_health_sync) {
    for (std::int64_t c : row) n += c;
  }
  return n;
}

std::int64_t NamespaceApplications::in_health(AppHealth h) const {
  std::int64_t n = 0;
  for (std::int64_t c : by_health_sync[static_cast<std::size_t>(h)]) n += c;
  return n;
}

std::int64_t NamespaceApplications::in_sync(AppSync s) const {
  std::int64_t n = 0;
  for (const auto& row : by_health_sync) n += row[static_cast<std::size_t>(s)];
  return n;
}

std::optional<DeliverySignals> ReadDeliverySignals(const GitOpsSummary& summary) {
  std::optional<DeliverySignals> out;
  for (const auto& tool : summary.tools) {
    if (!tool) continue;
    if (!out) out.emplace();
    out->applications += tool->total;
    out->healthy += tool->by_health[static_cast<std::size_t>(AppHealth::kHealthy)];
    out->synced += tool->by_sync[static_cast<std::size_t>(AppSync::kSynced)];
  }
  return out;
}

GitOpsSummarizer::Stores GitOpsSummarizer::StoresOf(const CollectorSet& collectors) {
  return {{GitOpsTool::kArgoCd, collectors.FindOptional(kArgoCdApplications)},
          {GitOpsTool::kFlux, collectors.FindOptional(kFluxKustomizations)},
          {GitOpsTool::kFlux, collectors.FindOptional(kFluxHelmReleases)}};
}

GitOpsSummary GitOpsSummarizer::Summarize(const Stores& stores, base::WallTime now) {
  ++round_;
  GitOpsSummary summary;
  for (const auto& [tool, store] : stores) {
    if (store == nullptr) continue;
    auto& slot = summary.tools[static_cast<std::size_t>(tool)];
    if (!slot) slot.emplace();
    ToolApplications& apps = *slot;
    store->ForEach([&](const ApplicationInfo& a) {
      auto [it, inserted] = seen_.try_emplace(a.id, Seen{a.health, a.sync, now, now, round_});
      Seen& s = it->second;
      if (!inserted) {
        if (s.health != a.health) s.health_since = now;
        if (s.sync != a.sync) s.sync_since = now;
        s.health = a.health;
        s.sync = a.sync;
        s.round = round_;
      }
      // The object's own transition time is better (it survives a restart of the operator);
      // one in the future (clock skew) counts as now.
      const base::WallTime health_since = std::min(a.health_since.value_or(s.health_since), now);
      const base::WallTime sync_since = std::min(a.sync_since.value_or(s.sync_since), now);

      NamespaceApplications& ns = apps.namespaces[a.ns];
      const auto h = static_cast<std::size_t>(a.health);
      const auto y = static_cast<std::size_t>(a.sync);
      ++ns.by_health_sync[h][y];
      if (a.health != AppHealth::kHealthy) CountAge(ns.unhealthy_for[h], health_since, now);
      if (a.sync == AppSync::kOutOfSync) CountAge(ns.out_of_sync_for, sync_since, now);
      if (a.reconcile_failed) ++ns.reconcile_failing;
      ++apps.total;
      ++apps.by_health[h];
      ++apps.by_sync[y];
      if (a.reconcile_failed) ++apps.reconcile_failing;
    });
  }
  // Forget applications no longer seen (deleted, or their tool went away).
  std::erase_if(seen_, [this](const auto& kv) { return kv.second.round != round_; });
  return summary;
}

}  // namespace kube9::collectors
