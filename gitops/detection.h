#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "base/clock.h"
#include "base/expected.h"
#include "kube/api_error.h"
#include "kube/discovery.h"

// Which GitOps tools run in the cluster (docs/PRODUCT.md §11), found through API discovery:
// no CRD is read and no grant is needed beyond what every identity has (system:discovery),
// plus one LIST of deployments (already granted) for Argo CD's version.
namespace kube9::gitops {

inline constexpr std::string_view kArgoCdGroup = "argoproj.io";
inline constexpr std::string_view kArgoCdApplications = "applications";
inline constexpr std::string_view kArgoCdServerDeployment = "argocd-server";
inline constexpr std::array<std::string_view, 2> kFluxGroups = {"kustomize.toolkit.fluxcd.io",
                                                                "helm.toolkit.fluxcd.io"};
// A version label or image tag longer than this is not a version.
inline constexpr std::size_t kMaxVersionLength = 64;

struct ArgoCdDetection {
  bool detected = false;  // applications.argoproj.io is served
  std::string ns;         // where Argo CD runs (ARGOCD_NAMESPACE), when detected
  // The argocd-server Deployment's app.kubernetes.io/version label, else its image tag; none
  // when the Deployment is not there or says neither.
  std::optional<std::string> version;
  // The versions of argoproj.io serving applications, the preferred one first: what a
  // collector watches.
  std::vector<std::string> api_versions;

  bool operator==(const ArgoCdDetection&) const = default;
};

struct FluxGroup {
  std::string name;                   // kustomize.toolkit.fluxcd.io or helm.toolkit.fluxcd.io
  std::vector<std::string> versions;  // as served
  std::string preferred_version;

  bool operator==(const FluxGroup&) const = default;
};

struct FluxDetection {
  bool detected = false;          // at least one of kFluxGroups is served
  std::vector<FluxGroup> groups;  // those served, in kFluxGroups order

  bool operator==(const FluxDetection&) const = default;
};

struct GitOpsSnapshot {
  // False until a look has completed: until then nothing is known, and nothing may be said
  // to be absent (the extension hides Argo CD on detected: false).
  bool looked = false;
  base::WallTime last_checked{};  // when the last completed look ended
  ArgoCdDetection argocd;
  FluxDetection flux;
  // Grows whenever what is detected changes (a tool appears or goes, its versions change), so
  // that a collector following a tool can compare it with the one it started for.
  std::uint64_t generation = 0;
  std::string last_error;  // why the latest look failed; "" when it completed
};

// What the status and the application collectors read. Thread-safe.
class GitOpsDetection {
 public:
  virtual ~GitOpsDetection() = default;
  virtual GitOpsSnapshot Snapshot() const = 0;
};

// Pure: the Flux groups among the served ones.
FluxDetection DetectFlux(const std::vector<kube::ServedGroup>& groups);

// The versions of argoproj.io that serve applications, the preferred one first (empty: Argo
// CD is not installed). Asks GET /apis/argoproj.io/<version> when the group is among `groups`.
base::Expected<std::vector<std::string>, kube::ApiError> ArgoCdApiVersions(kube::Client& client,
                                                                           const std::vector<kube::ServedGroup>& groups,
                                                                           const base::StopSignal* cancel);
// The same, from a discovery that listed argoproj.io's resources (Detector makes it so).
std::vector<std::string> ArgoCdApiVersions(const kube::DiscoverySnapshot& discovery);

// Pure: the argocd-server Deployment's version, from its app.kubernetes.io/version label or
// else the tag of its argocd-server container's image (the first container's when none has
// that name). Kept only when it looks like a version: at most kMaxVersionLength of
// [A-Za-z0-9._+-].
std::optional<std::string> ArgoCdVersionFromDeployment(const rapidjson::Value& deployment);
// "quay.io/argoproj/argocd:v2.13.1@sha256:..." -> "v2.13.1"; no tag -> "".
std::string ImageTag(std::string_view image);

// Looks (Refresh) and remembers what it found. Refresh runs on one thread (the gitops loop);
// Snapshot from any thread. The API discovery it refreshes is the operator's one
// (kube::ApiDiscovery), which the optional collectors follow too: Argo CD and Flux are what
// that discovery shows, read the GitOps way.
class Detector final : public GitOpsDetection {
 public:
  using Listener = std::function<void(const GitOpsSnapshot&)>;

  // Makes `discovery` list argoproj.io's resources (Argo CD shares the group).
  Detector(kube::ApiDiscovery& discovery, kube::Client& client, const base::Clock& clock,
           std::string argocd_namespace);

  // One look: a discovery (GET /apis, GET /apis/argoproj.io/<version> when that group is
  // served: kube::ApiDiscovery::Refresh), and the argocd-server Deployment when Argo CD is
  // there. A failed look keeps what the last completed one found (and says why in
  // last_error), so that an API server outage never reads as "Argo CD removed". Not reading
  // the version is not a failure: the version is then unknown.
  base::Expected<base::Ok, kube::ApiError> Refresh(const base::StopSignal* cancel);

  GitOpsSnapshot Snapshot() const override;

  // Called on the looking thread after a look that changed what is detected (the first
  // completed look included). Register before the first Refresh.
  void OnChange(Listener listener) { listeners_.push_back(std::move(listener)); }

 private:
  std::optional<std::string> ReadArgoCdVersion(const base::StopSignal* cancel);

  kube::ApiDiscovery& discovery_;
  kube::Client& client_;
  const base::Clock& clock_;
  const std::string argocd_namespace_;
  std::vector<Listener> listeners_;
  std::string version_problem_;  // the looking thread only: logged once per change
  mutable std::mutex mu_;
  GitOpsSnapshot snapshot_;
};

}  // namespace kube9::gitops
