#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/clock.h"

// What the GitOps application collectors (Argo CD Applications, Flux Kustomizations and
// HelmReleases) keep of each object: one record type for the three, so that the summary
// (collectors/gitops_summary.h) counts them alike. Health and sync are closed sets, spelled as
// the tools spell them (docs/PRODUCT.md §11), so a metric label can never take an unknown value.
namespace kube9::collectors {

enum class AppHealth : std::uint8_t { kHealthy, kProgressing, kDegraded, kSuspended, kMissing, kUnknown };
inline constexpr std::array<std::string_view, 6> kAppHealthNames = {"Healthy",   "Progressing", "Degraded",
                                                                    "Suspended", "Missing",     "Unknown"};
enum class AppSync : std::uint8_t { kSynced, kOutOfSync, kUnknown };
inline constexpr std::array<std::string_view, 3> kAppSyncNames = {"Synced", "OutOfSync", "Unknown"};

inline std::string_view AppHealthName(AppHealth h) { return kAppHealthNames[static_cast<std::size_t>(h)]; }
inline std::string_view AppSyncName(AppSync s) { return kAppSyncNames[static_cast<std::size_t>(s)]; }
// Anything else (a newer tool's word, garbage) is Unknown.
AppHealth AppHealthFromName(std::string_view name);
AppSync AppSyncFromName(std::string_view name);

struct ApplicationInfo {
  std::string ns;
  // The object's identity (its UID, hashed): what the summary follows an application's state
  // by, without keeping its name.
  std::uint64_t id = 0;
  AppHealth health = AppHealth::kUnknown;
  AppSync sync = AppSync::kUnknown;
  // The last reconciliation (Argo CD: sync operation; Flux: apply or Helm action) failed.
  bool reconcile_failed = false;
  // Since when the current health holds, when the object says (Flux: the Ready condition's
  // lastTransitionTime; Argo CD: status.health.lastTransitionTime); otherwise the summary
  // counts from when it first saw that health.
  std::optional<base::WallTime> health_since;
  std::optional<base::WallTime> sync_since;  // likewise for sync (Flux only: Argo CD does not say)
};

// Shared by the collectors' Extract functions.
namespace gitops_fields {
// Namespace and id; false when the object has no metadata.
bool ReadIdentity(const rapidjson::Value& object, ApplicationInfo& info);
std::optional<base::WallTime> Time(const rapidjson::Value* v);
// A Flux object (Kustomization, HelmRelease): health and reconcile_failed from its Ready
// condition, sync from Ready and the revisions (docs/metrics.md "GitOps applications"):
//   Ready True -> Healthy; False -> Degraded; Unknown or absent -> Progressing.
//   Synced when Ready is True, the controller has seen the current spec (observedGeneration)
//   and lastAppliedRevision equals lastAttemptedRevision (when the kind records both);
//   OutOfSync when Ready is False, or the attempted revision is not the applied one;
//   Unknown otherwise (still reconciling).
//   Reconciliation failing: Ready False with a reason ending in "Failed" (ReconciliationFailed,
//   BuildFailed, HealthCheckFailed, InstallFailed, UpgradeFailed, ArtifactFailed, ...), not
//   e.g. DependencyNotReady.
void ReadFluxState(const rapidjson::Value& object, ApplicationInfo& info);
// A Flux object's record: identity and ReadFluxState (the Extract of both Flux collectors).
std::optional<ApplicationInfo> ExtractFluxObject(const rapidjson::Value& object);
}  // namespace gitops_fields

}  // namespace kube9::collectors
