#include "gitops/detection.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "kube/client.h"

namespace kube9::gitops {
namespace {

std::string_view StringAt(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

const rapidjson::Value* ObjectAt(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool LooksLikeVersion(std::string_view v) {
  return !v.empty() && v.size() <= kMaxVersionLength && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || c == '+';
  });
}

}  // namespace

FluxDetection DetectFlux(const std::vector<kube::ServedGroup>& groups) {
  FluxDetection flux;
  for (std::string_view name : kFluxGroups) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const kube::ServedGroup& g) { return g.name == name; });
    if (it == groups.end()) continue;
    flux.groups.push_back(FluxGroup{it->name, it->versions, it->preferred_version});
  }
  flux.detected = !flux.groups.empty();
  return flux;
}

std::string ImageTag(std::string_view image) {
  image = image.substr(0, image.find('@'));  // a digest is not a version
  const auto slash = image.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? image : image.substr(slash + 1);
  const auto colon = last.rfind(':');
  return colon == std::string_view::npos ? "" : std::string(last.substr(colon + 1));
}

std::optional<std::string> ArgoCdVersionFromDeployment(const rapidjson::Value& deployment) {
  if (const auto* meta = ObjectAt(deployment, "metadata")) {
    if (const auto* labels = ObjectAt(*meta, "labels")) {
      if (auto v = StringAt(*labels, "app.kubernetes.io/version"); LooksLikeVersion(v)) return std::string(v);
    }
  }
  const rapidjson::Value* containers = nullptr;
  if (const auto* spec = ObjectAt(deployment, "spec")) {
    if (const auto* tmpl = ObjectAt(*spec, "template")) {
      if (const auto* pod = ObjectAt(*tmpl, "spec")) containers = ObjectAt(*pod, "containers");
    }
  }
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) return std::nullopt;
  const rapidjson::Value* chosen = &(*containers)[0];
  for (const auto& c : containers->GetArray()) {
    if (StringAt(c, "name") == kArgoCdServerDeployment) chosen = &c;
  }
  const std::string tag = ImageTag(StringAt(*chosen, "image"));
  if (!LooksLikeVersion(tag)) return std::nullopt;
  return tag;
}

Detector::Detector(kube::ApiDiscovery& discovery, kube::Client& client, const base::Clock& clock,
                   std::string argocd_namespace)
    : discovery_(discovery), client_(client), clock_(clock), argocd_namespace_(std::move(argocd_namespace)) {
  discovery_.ListResourcesOf(std::string(kArgoCdGroup));
}

std::optional<std::string> Detector::ReadArgoCdVersion(const base::StopSignal* cancel) {
  // A LIST narrowed to the one Deployment: the operator may list deployments everywhere (its
  // deployments collector), while a GET would need a grant of its own.
  kube::ListOptions options;
  options.field_selector = fmt::format("metadata.name={}", kArgoCdServerDeployment);
  options.limit = 1;
  std::optional<std::string> version;
  bool found = false;
  base::StopSignal never;
  auto listed = client_.List(
      fmt::format("/apis/apps/v1/namespaces/{}/deployments", argocd_namespace_), "deployments", options,
      [&](const rapidjson::Value& item) {
        found = true;
        version = ArgoCdVersionFromDeployment(item);
      },
      cancel != nullptr ? *cancel : never);
  std::string problem;
  if (!listed.ok()) {
    problem = "cannot list deployments in " + argocd_namespace_ + ": " + listed.error().ToString();
  } else if (!found) {
    problem = fmt::format("no Deployment {} in namespace {} (is ARGOCD_NAMESPACE right?)", kArgoCdServerDeployment,
                          argocd_namespace_);
  } else if (!version) {
    problem = fmt::format("Deployment {}/{} has neither an app.kubernetes.io/version label nor an image tag",
                          argocd_namespace_, kArgoCdServerDeployment);
  }
  if (problem != version_problem_ && !problem.empty()) log::Info("Argo CD version unknown", {{"reason", problem}});
  version_problem_ = problem;
  return version;
}

base::Expected<std::vector<std::string>, kube::ApiError> ArgoCdApiVersions(kube::Client& client,
                                                                           const std::vector<kube::ServedGroup>& groups,
                                                                           const base::StopSignal* cancel) {
  std::vector<std::string> serving;
  auto group =
      std::find_if(groups.begin(), groups.end(), [](const kube::ServedGroup& g) { return g.name == kArgoCdGroup; });
  if (group == groups.end()) return serving;
  // argoproj.io also holds Argo Workflows and Rollouts: Argo CD is there when one of its
  // versions serves applications. The preferred version first.
  std::vector<std::string> versions = group->versions;
  if (auto p = std::find(versions.begin(), versions.end(), group->preferred_version); p != versions.end()) {
    std::rotate(versions.begin(), p, p + 1);
  }
  for (const auto& version : versions) {
    auto resources = kube::ServedResources(client, kArgoCdGroup, version, cancel);
    if (!resources.ok()) {
      // The version went away between the two requests (a CRD being deleted): not served.
      if (resources.error().kind == kube::ErrorKind::kNotFound) continue;
      return base::Unexpected(resources.error());
    }
    if (std::find(resources->begin(), resources->end(), kArgoCdApplications) != resources->end()) {
      serving.push_back(version);
    }
  }
  return serving;
}

std::vector<std::string> ArgoCdApiVersions(const kube::DiscoverySnapshot& discovery) {
  std::vector<std::string> serving;
  const kube::ServedGroup* group = discovery.Group(kArgoCdGroup);
  if (group == nullptr) return serving;
  // argoproj.io also holds Argo Workflows and Rollouts: Argo CD is there when one of its
  // versions serves applications. The preferred version first.
  std::vector<std::string> versions = group->versions;
  if (auto p = std::find(versions.begin(), versions.end(), group->preferred_version); p != versions.end()) {
    std::rotate(versions.begin(), p, p + 1);
  }
  for (const auto& version : versions) {
    if (discovery.ServesResource(kArgoCdGroup, version, kArgoCdApplications)) serving.push_back(version);
  }
  return serving;
}

base::Expected<base::Ok, kube::ApiError> Detector::Refresh(const base::StopSignal* cancel) {
  if (auto looked = discovery_.Refresh(cancel); !looked.ok()) {
    std::lock_guard lock(mu_);
    snapshot_.last_error = looked.error().ToString();
    return base::Unexpected(looked.error());
  }
  const kube::DiscoverySnapshot discovery = discovery_.Snapshot();
  ArgoCdDetection argocd;
  argocd.api_versions = ArgoCdApiVersions(discovery);
  argocd.detected = !argocd.api_versions.empty();
  if (argocd.detected) {
    argocd.ns = argocd_namespace_;
    argocd.version = ReadArgoCdVersion(cancel);
  }
  FluxDetection flux = DetectFlux(discovery.groups);
  GitOpsSnapshot changed;
  bool notify = false;
  {
    std::lock_guard lock(mu_);
    notify = !snapshot_.looked || snapshot_.argocd != argocd || snapshot_.flux != flux;
    if (notify) ++snapshot_.generation;
    snapshot_.looked = true;
    snapshot_.last_checked = clock_.WallNow();  // after the version, too, was read
    snapshot_.argocd = std::move(argocd);
    snapshot_.flux = std::move(flux);
    snapshot_.last_error.clear();
    changed = snapshot_;
  }
  if (notify) {
    std::string flux_groups;
    for (const auto& g : changed.flux.groups) flux_groups += (flux_groups.empty() ? "" : ",") + g.name;
    log::Info("GitOps tools detected", {{"argocd", changed.argocd.detected},
                                        {"argocd_namespace", changed.argocd.detected ? changed.argocd.ns : ""},
                                        {"argocd_version", changed.argocd.version.value_or("")},
                                        {"flux", changed.flux.detected},
                                        {"flux_groups", flux_groups}});
    for (const auto& listener : listeners_) listener(changed);
  }
  return base::Ok{};
}

GitOpsSnapshot Detector::Snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

}  // namespace kube9::gitops
