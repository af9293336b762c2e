#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "collectors/collector_set.h"
#include "collectors/resources/gitops_application.h"
#include "collectors/store.h"

// GitOps applications counted per tool and namespace (docs/metrics.md "GitOps applications"):
// what the kube9_gitops_* families, the status' `gitops` block and the assessment read.
namespace kube9::collectors {

enum class GitOpsTool : std::uint8_t { kArgoCd, kFlux };
inline constexpr std::array<std::string_view, 2> kGitOpsToolNames = {"argocd", "flux"};
inline std::string_view GitOpsToolName(GitOpsTool t) { return kGitOpsToolNames[static_cast<std::size_t>(t)]; }

// How long an application has been in its current non-healthy health, or out of sync, as
// counts over thresholds (the `for` label): "at least 5m", "at least 15m", ... cumulative, like
// a histogram's buckets, so that an alert picks the threshold it needs and no series is per
// application.
struct AgeBucket {
  std::string_view label;
  std::chrono::minutes at_least;
};
inline constexpr std::array<AgeBucket, 4> kAgeBuckets = {{{"5m", std::chrono::minutes(5)},
                                                          {"15m", std::chrono::minutes(15)},
                                                          {"30m", std::chrono::minutes(30)},
                                                          {"1h", std::chrono::minutes(60)}}};

using HealthSyncCounts = std::array<std::array<std::int64_t, kAppSyncNames.size()>, kAppHealthNames.size()>;
using AgeCounts = std::array<std::int64_t, kAgeBuckets.size()>;

struct NamespaceApplications {
  HealthSyncCounts by_health_sync{};  // [health][sync]
  // [health][bucket]: in that health (never Healthy) for at least the bucket's time.
  std::array<AgeCounts, kAppHealthNames.size()> unhealthy_for{};
  AgeCounts out_of_sync_for{};
  std::int64_t reconcile_failing = 0;
  std::int64_t total() const;
  std::int64_t in_health(AppHealth h) const;
  std::int64_t in_sync(AppSync s) const;
};

struct ToolApplications {
  std::map<std::string, NamespaceApplications> namespaces;  // namespaces with applications
  std::int64_t total = 0;
  std::array<std::int64_t, kAppHealthNames.size()> by_health{};
  std::array<std::int64_t, kAppSyncNames.size()> by_sync{};
  std::int64_t reconcile_failing = 0;
};

// Per tool: nullopt while none of its collectors runs with a completed first LIST (tool not
// installed, collector disabled, or still listing): "not watched", never "zero applications".
struct GitOpsSummary {
  std::array<std::optional<ToolApplications>, kGitOpsToolNames.size()> tools;
  const std::optional<ToolApplications>& tool(GitOpsTool t) const { return tools[static_cast<std::size_t>(t)]; }
};

// What the assessment check operational-excellence.gitops-delivery-signals reads: every
// watched application, those Healthy and those Synced; nullopt when no tool is watched.
struct DeliverySignals {
  std::int64_t applications = 0;
  std::int64_t healthy = 0;
  std::int64_t synced = 0;
};
std::optional<DeliverySignals> ReadDeliverySignals(const GitOpsSummary& summary);

// Counts the application stores, and remembers since when each application holds its health
// and sync (by the record's id, not its name) for the state-age counts: the object's own
// transition time when it records one, else the first sample that saw the state. One caller
// (the sampler's thread).
class GitOpsSummarizer {
 public:
  using Stores = std::vector<std::pair<GitOpsTool, std::shared_ptr<const Store<ApplicationInfo>>>>;
  // The running collectors' stores, from the set (FindOptional).
  static Stores StoresOf(const CollectorSet& collectors);

  GitOpsSummary Summarize(const Stores& stores, base::WallTime now);

 private:
  struct Seen {
    AppHealth health;
    AppSync sync;
    base::WallTime health_since, sync_since;
    std::uint32_t round;
  };
  std::unordered_map<std::uint64_t, Seen> seen_;
  std::uint32_t round_ = 0;
};

}  // namespace kube9::collectors
