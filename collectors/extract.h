#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/objects.h"
#include "collectors/resource.h"

// Turns API objects (as decoded JSON) into the compact records the stores keep. Each returns
// nullopt for an object it cannot use (no metadata), which the store counts and skips.
namespace kube9::collectors {

std::string ObjectUid(const rapidjson::Value& object);  // metadata.uid, else namespace/name

std::optional<NodeInfo> ExtractNode(const rapidjson::Value& object);
std::optional<PodInfo> ExtractPod(const rapidjson::Value& object);
std::optional<WorkloadInfo> ExtractDeployment(const rapidjson::Value& object);
std::optional<WorkloadInfo> ExtractStatefulSet(const rapidjson::Value& object);
std::optional<WorkloadInfo> ExtractDaemonSet(const rapidjson::Value& object);
std::optional<NamespacedInfo> ExtractNamespaced(const rapidjson::Value& object);
std::optional<ServiceInfo> ExtractService(const rapidjson::Value& object);
std::optional<JobInfo> ExtractJob(const rapidjson::Value& object);
std::optional<PvcInfo> ExtractPvc(const rapidjson::Value& object);
std::optional<NamespaceInfo> ExtractNamespace(const rapidjson::Value& object);

// The core collectors (newer ones each live in collectors/resources/<name>.h). Registered in
// collectors/registry.cc.
inline constexpr Resource<NodeInfo> kNodes{{"nodes", "", "/api/v1/nodes"}, &ExtractNode};
inline constexpr Resource<NamespaceInfo> kNamespaces{{"namespaces", "", "/api/v1/namespaces"}, &ExtractNamespace};
inline constexpr Resource<PodInfo> kPods{{"pods", "", "/api/v1/pods"}, &ExtractPod};
inline constexpr Resource<ServiceInfo> kServices{{"services", "", "/api/v1/services"}, &ExtractService};
inline constexpr Resource<PvcInfo> kPersistentVolumeClaims{
    {"persistentvolumeclaims", "", "/api/v1/persistentvolumeclaims"}, &ExtractPvc};
inline constexpr Resource<WorkloadInfo> kDeployments{{"deployments", "apps", "/apis/apps/v1/deployments"},
                                                     &ExtractDeployment};
inline constexpr Resource<WorkloadInfo> kStatefulSets{{"statefulsets", "apps", "/apis/apps/v1/statefulsets"},
                                                      &ExtractStatefulSet};
inline constexpr Resource<WorkloadInfo> kDaemonSets{{"daemonsets", "apps", "/apis/apps/v1/daemonsets"},
                                                    &ExtractDaemonSet};
inline constexpr Resource<NamespacedInfo> kReplicaSets{{"replicasets", "apps", "/apis/apps/v1/replicasets"},
                                                       &ExtractNamespaced};
inline constexpr Resource<JobInfo> kJobs{{"jobs", "batch", "/apis/batch/v1/jobs"}, &ExtractJob};
inline constexpr Resource<NamespacedInfo> kCronJobs{{"cronjobs", "batch", "/apis/batch/v1/cronjobs"},
                                                    &ExtractNamespaced};
// Events feed the events history (sinks/events), not a store.
inline constexpr ResourceKind kEvents{"events", "", "/api/v1/events"};

// Cloud provider from a node's spec.providerID scheme or well-known labels.
std::string DetectProvider(const rapidjson::Value& node);

}  // namespace kube9::collectors
