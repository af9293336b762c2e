#include "collectors/extract.h"

#include <algorithm>

#include "base/time_format.h"
#include "collectors/json_fields.h"
#include "collectors/label_selector.h"
#include "collectors/quantity.h"

namespace kube9::collectors {
namespace {

using namespace json;  // NOLINT: the field accessors are this file's vocabulary

// A container's (or init container's) requests and limits.
struct Resources {
  std::int64_t req_cpu = 0, req_mem = 0, lim_cpu = 0, lim_mem = 0;  // milli-cores, bytes
};
Resources ContainerResources(const Value& c) {
  const Value* req = Path(c, {"resources", "requests"});
  const Value* lim = Path(c, {"resources", "limits"});
  Resources r;
  r.req_cpu = QuantityMilli(req, "cpu");
  r.req_mem = QuantityBytes(req, "memory");
  r.lim_cpu = QuantityMilli(lim, "cpu");
  r.lim_mem = QuantityBytes(lim, "memory");
  // Kubernetes defaults a missing request to the limit.
  if (req == nullptr || Member(*req, "cpu") == nullptr) r.req_cpu = r.lim_cpu;
  if (req == nullptr || Member(*req, "memory") == nullptr) r.req_mem = r.lim_mem;
  return r;
}

Resources Add(const Resources& a, const Resources& b) {
  return {SaturatingAdd(a.req_cpu, b.req_cpu), SaturatingAdd(a.req_mem, b.req_mem), SaturatingAdd(a.lim_cpu, b.lim_cpu),
          SaturatingAdd(a.lim_mem, b.lim_mem)};
}

Resources Max(const Resources& a, const Resources& b) {
  return {std::max(a.req_cpu, b.req_cpu), std::max(a.req_mem, b.req_mem), std::max(a.lim_cpu, b.lim_cpu),
          std::max(a.lim_mem, b.lim_mem)};
}

// What the scheduler counts for a pod: its containers plus its sidecars (init containers with
// restartPolicy Always, which keep running), or, if larger, what the init phase needs at its
// peak (each init container together with the sidecars started before it); plus the pod
// overhead of its RuntimeClass.
Resources EffectiveResources(const Value& pod) {
  Resources total;
  ForEach(Path(pod, {"spec", "containers"}), [&](const Value& c) { total = Add(total, ContainerResources(c)); });
  Resources sidecars, init_peak;
  ForEach(Path(pod, {"spec", "initContainers"}), [&](const Value& c) {
    const Resources r = ContainerResources(c);
    if (Str(Member(c, "restartPolicy")) == "Always") {
      total = Add(total, r);
      sidecars = Add(sidecars, r);
      init_peak = Max(init_peak, sidecars);
    } else {
      init_peak = Max(init_peak, Add(r, sidecars));
    }
  });
  total = Max(total, init_peak);
  if (const Value* overhead = Path(pod, {"spec", "overhead"})) {
    Resources o;
    o.req_cpu = o.lim_cpu = QuantityMilli(overhead, "cpu");
    o.req_mem = o.lim_mem = QuantityBytes(overhead, "memory");
    // Overhead is added to limits only where the pod has a limit for that resource.
    if (total.lim_cpu == 0) o.lim_cpu = 0;
    if (total.lim_mem == 0) o.lim_mem = 0;
    total = Add(total, o);
  }
  return total;
}

std::optional<WorkloadInfo> Workload(const Value& o, WorkloadKind kind) {
  if (!HasMetadata(o)) return std::nullopt;
  WorkloadInfo w;
  w.kind = kind;
  w.ns = Namespace(o);
  w.name = std::string(Str(Path(o, {"metadata", "name"})));
  w.pod_labels = HashLabels(Path(o, {"spec", "template", "metadata", "labels"}));
  const Value* st = Member(o, "status");
  auto status = [&](const char* f) { return Int32(st ? Member(*st, f) : nullptr); };
  if (kind == WorkloadKind::kDaemonSet) {
    w.desired = status("desiredNumberScheduled");
    w.ready = status("numberReady");
    w.available = status("numberAvailable");
    w.unavailable = status("numberUnavailable");
  } else {
    w.desired = Int32(Path(o, {"spec", "replicas"}), 1);  // the API's default
    w.ready = status("readyReplicas");
    w.available = status("availableReplicas");
    w.unavailable = kind == WorkloadKind::kDeployment ? status("unavailableReplicas")
                                                      : std::max(0, w.desired - w.available);
  }
  return w;
}

}  // namespace

std::string_view TriName(Tri t) {
  switch (t) {
    case Tri::kTrue: return "true";
    case Tri::kFalse: return "false";
    default: return "unknown";
  }
}

std::string_view ConditionStatusName(Tri t) {
  switch (t) {
    case Tri::kTrue: return "True";
    case Tri::kFalse: return "False";
    default: return "Unknown";
  }
}

std::uint8_t WaitingReasonIndex(std::string_view reason) {
  for (std::size_t i = 0; i + 1 < kWaitingReasons.size(); ++i) {
    if (kWaitingReasons[i] == reason) return static_cast<std::uint8_t>(i);
  }
  return static_cast<std::uint8_t>(kWaitingReasons.size() - 1);
}

std::string_view WorkloadKindName(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kDeployment: return "Deployment";
    case WorkloadKind::kStatefulSet: return "StatefulSet";
    case WorkloadKind::kDaemonSet: return "DaemonSet";
  }
  return "Deployment";
}

std::string ObjectUid(const Value& o) {
  std::string_view uid = Str(Path(o, {"metadata", "uid"}));
  if (!uid.empty()) return std::string(uid);
  return Namespace(o) + "/" + std::string(Str(Path(o, {"metadata", "name"})));
}

std::string DetectProvider(const Value& node) {
  static constexpr std::pair<std::string_view, std::string_view> kSchemes[] = {
      {"aws", "aws"},       {"gce", "gcp"},          {"azure", "azure"},     {"digitalocean", "digitalocean"},
      {"linode", "linode"}, {"openstack", "openstack"}, {"vsphere", "vsphere"}, {"kind", "kind"},
      {"k3s", "k3s"},       {"ibm", "ibm"},          {"oci", "oracle"},      {"alicloud", "alibaba"},
      {"hcloud", "hetzner"}, {"equinixmetal", "equinix"}, {"packet", "equinix"}, {"exoscale", "exoscale"},
      {"scaleway", "scaleway"}, {"ovhcloud", "ovh"}};
  std::string_view pid = Str(Path(node, {"spec", "providerID"}));
  if (auto sep = pid.find("://"); sep != std::string_view::npos) {
    for (auto [scheme, provider] : kSchemes) {
      if (pid.substr(0, sep) == scheme) return std::string(provider);
    }
  }
  static constexpr std::pair<const char*, std::string_view> kLabels[] = {
      {"eks.amazonaws.com/nodegroup", "aws"}, {"cloud.google.com/gke-nodepool", "gcp"},
      {"kubernetes.azure.com/cluster", "azure"}, {"doks.digitalocean.com/node-id", "digitalocean"},
      {"minikube.k8s.io/name", "minikube"},  {"node.k8s.io/instance-type", ""}};
  if (const Value* labels = Path(node, {"metadata", "labels"})) {
    for (auto [label, provider] : kLabels) {
      if (!provider.empty() && Member(*labels, label) != nullptr) return std::string(provider);
    }
  }
  if (Str(Path(node, {"metadata", "name"})) == "docker-desktop") return "docker-desktop";
  return "";
}

std::optional<NodeInfo> ExtractNode(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  NodeInfo n;
  ForEach(Path(o, {"status", "conditions"}), [&](const Value& c) {
    std::string_view type = Str(Member(c, "type"));
    for (std::size_t i = 0; i < kNodeConditions.size(); ++i) {
      if (type == kNodeConditions[i]) n.conditions[i] = TriFromStatus(Str(Member(c, "status")));
    }
  });
  const Value* alloc = Path(o, {"status", "allocatable"});
  n.allocatable_cpu_milli = QuantityMilli(alloc, "cpu");
  n.allocatable_memory_bytes = QuantityBytes(alloc, "memory");
  n.provider = DetectProvider(o);
  n.region = Str(Path(o, {"metadata", "labels", "topology.kubernetes.io/region"}));
  n.zone = Str(Path(o, {"metadata", "labels", "topology.kubernetes.io/zone"}));
  return n;
}

namespace {

std::uint8_t Count(std::uint8_t n) { return n == UINT8_MAX ? n : static_cast<std::uint8_t>(n + 1); }


PodShape ExtractShape(const Value& pod) {
  PodShape s;
  const bool pod_non_root = IsTrue(Path(pod, {"spec", "securityContext", "runAsNonRoot"}));
  ForEach(Path(pod, {"spec", "containers"}), [&](const Value& c) {
    s.containers = Count(s.containers);
    const Value* requests = Path(c, {"resources", "requests"});
    const Value* limits = Path(c, {"resources", "limits"});
    if (requests != nullptr && Member(*requests, "cpu") != nullptr) s.cpu_requests = Count(s.cpu_requests);
    if (requests != nullptr && Member(*requests, "memory") != nullptr) s.memory_requests = Count(s.memory_requests);
    if (limits != nullptr && Member(*limits, "cpu") != nullptr) s.cpu_limits = Count(s.cpu_limits);
    if (limits != nullptr && Member(*limits, "memory") != nullptr) s.memory_limits = Count(s.memory_limits);
    const std::string_view pull = Str(Member(c, "imagePullPolicy"));
    if (pull == "Always") s.pull_always = Count(s.pull_always);
    if (pull == "IfNotPresent") s.pull_if_not_present = Count(s.pull_if_not_present);
    if (pull == "Never") s.pull_never = Count(s.pull_never);
    if (Member(c, "livenessProbe") != nullptr) s.liveness = Count(s.liveness);
    if (Member(c, "readinessProbe") != nullptr) s.readiness = Count(s.readiness);
    if (Member(c, "startupProbe") != nullptr) s.startup = Count(s.startup);
    const Value* sc = Member(c, "securityContext");
    const Value* non_root = sc != nullptr ? Member(*sc, "runAsNonRoot") : nullptr;
    if (non_root != nullptr ? IsTrue(non_root) : pod_non_root) s.run_as_non_root = Count(s.run_as_non_root);
    if (sc == nullptr) return;
    if (IsTrue(Member(*sc, "readOnlyRootFilesystem"))) s.read_only_root_filesystem = Count(s.read_only_root_filesystem);
    if (IsTrue(Member(*sc, "privileged"))) s.privileged = Count(s.privileged);
    if (IsFalse(Member(*sc, "allowPrivilegeEscalation"))) s.no_privilege_escalation = Count(s.no_privilege_escalation);
    bool drop_all = false;
    ForEach(Path(*sc, {"capabilities", "drop"}), [&](const Value& cap) { drop_all |= Str(&cap) == "ALL"; });
    if (drop_all) s.drop_all_capabilities = Count(s.drop_all_capabilities);
  });
  ForEach(Path(pod, {"spec", "volumes"}), [&](const Value& v) {
    std::size_t kind = kVolumeKinds.size() - 1;  // other
    for (std::size_t i = 0; i + 1 < kVolumeKinds.size(); ++i) {
      if (Member(v, std::string(kVolumeKinds[i]).c_str()) != nullptr) kind = i;
    }
    s.volume_kinds |= static_cast<std::uint16_t>(1u << kind);
  });
  s.host_network = IsTrue(Path(pod, {"spec", "hostNetwork"}));
  s.host_pid = IsTrue(Path(pod, {"spec", "hostPID"}));
  return s;
}

}  // namespace

std::optional<PodInfo> ExtractPod(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  PodInfo p;
  p.ns = Namespace(o);
  std::string_view phase = Str(Path(o, {"status", "phase"}));
  p.phase = phase == "Pending" ? PodPhase::kPending
            : phase == "Running" ? PodPhase::kRunning
            : phase == "Succeeded" ? PodPhase::kSucceeded
            : phase == "Failed" ? PodPhase::kFailed
            : phase.empty() ? PodPhase::kPending  // not yet reported by a kubelet
                            : PodPhase::kUnknown;
  if (auto created = base::ParseRfc3339(Str(Path(o, {"metadata", "creationTimestamp"})))) {
    p.created_unix = std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count();
  }
  auto statuses = [&](const Value& cs) {
    const std::uint64_t restarts = p.restarts + static_cast<std::uint64_t>(std::clamp<std::int64_t>(
                                                    Int(Member(cs, "restartCount")), 0, UINT32_MAX));
    p.restarts = static_cast<std::uint32_t>(std::min<std::uint64_t>(restarts, UINT32_MAX));
    if (Str(Path(cs, {"lastState", "terminated", "reason"})) == "OOMKilled") ++p.oom_killed;
    if (const Value* waiting = Path(cs, {"state", "waiting"})) {
      p.waiting.push_back(WaitingReasonIndex(Str(Member(*waiting, "reason"))));
    }
  };
  ForEach(Path(o, {"status", "containerStatuses"}), statuses);
  ForEach(Path(o, {"status", "initContainerStatuses"}), statuses);
  p.waiting.shrink_to_fit();

  const Resources r = EffectiveResources(o);
  p.request_cpu_milli = r.req_cpu;
  p.request_memory_bytes = r.req_mem;
  p.limit_cpu_milli = r.lim_cpu;
  p.limit_memory_bytes = r.lim_mem;
  p.shape = ExtractShape(o);
  return p;
}

std::optional<WorkloadInfo> ExtractDeployment(const Value& o) { return Workload(o, WorkloadKind::kDeployment); }
std::optional<WorkloadInfo> ExtractStatefulSet(const Value& o) { return Workload(o, WorkloadKind::kStatefulSet); }
std::optional<WorkloadInfo> ExtractDaemonSet(const Value& o) { return Workload(o, WorkloadKind::kDaemonSet); }

std::optional<NamespacedInfo> ExtractNamespaced(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  return NamespacedInfo{Namespace(o)};
}

std::optional<ServiceInfo> ExtractService(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  std::string_view type = Str(Path(o, {"spec", "type"}));
  return ServiceInfo{Namespace(o), type.empty() ? "ClusterIP" : std::string(type)};
}

std::optional<JobInfo> ExtractJob(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  JobInfo j;
  j.ns = Namespace(o);
  bool complete = false, failed = false;
  ForEach(Path(o, {"status", "conditions"}), [&](const Value& c) {
    if (Str(Member(c, "status")) != "True") return;
    std::string_view type = Str(Member(c, "type"));
    if (type == "Complete") complete = true;
    if (type == "Failed") failed = true;
  });
  j.state = failed ? JobState::kFailed
            : complete ? JobState::kSucceeded
            : Int(Path(o, {"status", "active"})) > 0 ? JobState::kActive
                                                     : JobState::kOther;
  return j;
}

std::optional<PvcInfo> ExtractPvc(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  PvcInfo p;
  p.ns = Namespace(o);
  std::string_view phase = Str(Path(o, {"status", "phase"}));
  p.phase = phase == "Bound" ? 1 : phase == "Lost" ? 2 : 0;  // no status yet: Pending
  return p;
}

std::optional<NamespaceInfo> ExtractNamespace(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  return NamespaceInfo{std::string(Str(Path(o, {"metadata", "name"})))};
}

}  // namespace kube9::collectors
