#pragma once

// A synthetic cluster like bench/load.py's, into kube-state-metrics family stores: 100 nodes,
// 50 namespaces, deployments of 5 pods, pods of two containers with requests, limits, statuses
// and labels. Shared by the micro-benchmarks that render or serve the families.
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm::synthetic {

inline std::string Uid(int kind, int i) { return fmt::format("0b7c3b2e-{:04x}-4c4d-9e9f-{:012x}", kind, i); }

inline std::string Pod(int i) {
  const int ns = i % 50, node = i % 100, deploy = i / 5;
  return fmt::format(R"({{"metadata":{{"name":"app-{2}-{0}","namespace":"ns-{1}","uid":"{3}",
    "creationTimestamp":"2026-12-05T10:00:00Z","labels":{{"app":"app-{2}","pod-template-hash":"5d8f9c"}},
    "ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"app-{2}-5d8f9c","uid":"{4}","controller":true}}]}},
  "spec":{{"nodeName":"node-{5}","serviceAccountName":"default","schedulerName":"default-scheduler",
    "restartPolicy":"Always","priorityClassName":"",
    "containers":[
      {{"name":"app","image":"registry.example.com/shop/api:1.14.2","resources":{{"requests":{{"cpu":"250m","memory":"64Mi"}},"limits":{{"cpu":"500m","memory":"128Mi"}}}}}},
      {{"name":"sidecar","image":"docker.io/library/nginx:1.27.3","resources":{{"requests":{{"cpu":"50m","memory":"32Mi"}}}}}}],
    "tolerations":[{{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}}]}},
  "status":{{"phase":"Running","qosClass":"Burstable","hostIP":"10.1.0.{5}","podIP":"10.2.{1}.{6}","podIPs":[{{"ip":"10.2.{1}.{6}"}}],
    "startTime":"2026-12-05T10:00:01Z",
    "conditions":[{{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-12-05T10:00:01Z"}},
      {{"type":"Initialized","status":"True","lastTransitionTime":"2026-12-05T10:00:02Z"}},
      {{"type":"ContainersReady","status":"True","lastTransitionTime":"2026-12-05T10:00:09Z"}},
      {{"type":"Ready","status":"True","lastTransitionTime":"2026-12-05T10:00:09Z"}}],
    "containerStatuses":[
      {{"name":"app","ready":true,"restartCount":{7},"image":"registry.example.com/shop/api:1.14.2","imageID":"registry.example.com/shop/api@sha256:0f3a","containerID":"containerd://{3}a","state":{{"running":{{"startedAt":"2026-12-05T10:00:05Z"}}}}}},
      {{"name":"sidecar","ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.27.3","imageID":"docker.io/library/nginx@sha256:9b1c","containerID":"containerd://{3}b","state":{{"running":{{"startedAt":"2026-12-05T10:00:05Z"}}}}}}]}}}})",
                     i, ns, deploy, Uid(1, i), Uid(2, deploy), node, i % 250, i % 7);
}

inline std::string Node(int i) {
  return fmt::format(R"({{"metadata":{{"name":"node-{0}","uid":"{1}","creationTimestamp":"2026-12-05T09:00:00Z",
    "labels":{{"kubernetes.io/hostname":"node-{0}","topology.kubernetes.io/zone":"zone-{2}"}}}},
  "spec":{{"providerID":"aws:///zone-{2}/i-{0}","podCIDR":"10.2.{0}.0/24","podCIDRs":["10.2.{0}.0/24"]}},
  "status":{{"capacity":{{"cpu":"8","memory":"32Gi","pods":"110","ephemeral-storage":"100Gi"}},
    "allocatable":{{"cpu":"7800m","memory":"31Gi","pods":"110","ephemeral-storage":"95Gi"}},
    "conditions":[{{"type":"Ready","status":"True"}},{{"type":"MemoryPressure","status":"False"}},{{"type":"DiskPressure","status":"False"}},{{"type":"PIDPressure","status":"False"}}],
    "addresses":[{{"type":"InternalIP","address":"10.1.0.{0}"}},{{"type":"Hostname","address":"node-{0}"}}],
    "nodeInfo":{{"kernelVersion":"6.1.0","osImage":"Debian GNU/Linux 12","containerRuntimeVersion":"containerd://1.7.0","kubeletVersion":"v1.35.4","systemUUID":"{1}"}}}}}})",
                     i, Uid(3, i), i % 3);
}

inline std::string Deployment(int i) {
  return fmt::format(R"({{"metadata":{{"name":"app-{0}","namespace":"ns-{1}","uid":"{2}","generation":2,
    "creationTimestamp":"2026-12-05T09:30:00Z","labels":{{"app":"app-{0}"}}}},
  "spec":{{"replicas":5,"strategy":{{"type":"RollingUpdate","rollingUpdate":{{"maxUnavailable":"25%","maxSurge":"25%"}}}}}},
  "status":{{"replicas":5,"readyReplicas":5,"availableReplicas":5,"updatedReplicas":5,"observedGeneration":2,
    "conditions":[{{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"}},{{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}}]}}}})",
                     i, i % 50, Uid(2, i));
}

inline void Feed(const KsmStores& stores, const char* resource, int n, std::string (*make)(int)) {
  auto* h = stores.HandlerFor(resource);
  h->OnSyncStart();
  for (int i = 0; i < n; ++i) {
    rapidjson::Document d;
    d.Parse(make(i).c_str());
    if (d.HasParseError()) std::abort();
    h->OnListed(d);
  }
  h->OnSynced();
}

// `pods` pods in deployments of 5 over 100 nodes (KsmStores for nodes, deployments, pods).
inline void FeedCluster(const KsmStores& stores, int pods) {
  Feed(stores, "nodes", 100, &Node);
  Feed(stores, "deployments", pods / 5, &Deployment);
  Feed(stores, "pods", pods, &Pod);
}

}  // namespace kube9::collectors::ksm::synthetic
