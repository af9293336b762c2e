#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "collectors/objects.h"

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

// Cloud provider from a node's spec.providerID scheme or well-known labels.
std::string DetectProvider(const rapidjson::Value& node);

}  // namespace kube9::collectors
