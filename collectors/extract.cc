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

// Node labels (and their values) that mark spot or preemptible capacity.
constexpr std::pair<const char*, std::string_view> kSpotLabels[] = {
    {"eks.amazonaws.com/capacityType", "SPOT"},          {"karpenter.sh/capacity-type", "spot"},
    {"cloud.google.com/gke-spot", "true"},               {"cloud.google.com/gke-preemptible", "true"},
    {"kubernetes.azure.com/scalesetpriority", "spot"},   {"node.kubernetes.io/lifecycle", "spot"},
    {"node-lifecycle", "spot"}};

bool IsSpotKey(std::string_view key) {
  for (auto [label, value] : kSpotLabels) {
    if (key == label) return true;
  }
  return false;
}

bool LabelIs(const Value& o, const char* label, std::string_view value) {
  return Str(Path(o, {"metadata", "labels", label})) == value;
}

WorkloadTemplate ExtractTemplate(const Value& workload, WorkloadKind kind);

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
  w.pod_template = ExtractTemplate(o, kind);
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
  for (auto [label, value] : kSpotLabels) {
    if (LabelIs(o, label, value)) n.spot = true;
  }
  return n;
}

namespace {

std::uint8_t Count(std::uint8_t n) { return n == UINT8_MAX ? n : static_cast<std::uint8_t>(n + 1); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

// An env var named like a credential (PASSWORD, TOKEN, API_KEY, ...) that carries a literal
// value instead of a secretKeyRef. Only the name is looked at and whether a value is present:
// the value itself is never read.
bool CredentialLiteral(const Value& env) {
  const Value* value = Member(env, "value");
  if (value == nullptr || !value->IsString() || value->GetStringLength() == 0) return false;
  const std::string name = Upper(Str(Member(env, "name")));
  static constexpr std::string_view kSuffixesNotSecret[] = {"_FILE", "_PATH", "_DIR", "_URL", "_NAME", "_ENABLED"};
  for (auto suffix : kSuffixesNotSecret) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) return false;
  }
  static constexpr std::string_view kCredentialWords[] = {"PASSWORD", "PASSWD",     "SECRET",      "TOKEN",
                                                          "APIKEY",   "API_KEY",    "ACCESS_KEY",  "PRIVATE_KEY",
                                                          "CREDENTIAL", "AUTH_KEY", "CONNECTION_STRING"};
  for (auto word : kCredentialWords) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

// A container limit more than kWideLimitRatio times its request, for cpu or memory.
bool WideLimitRatio(const Value* requests, const Value* limits) {
  for (const char* r : {"cpu", "memory"}) {
    const std::int64_t req = QuantityMilli(requests, r), lim = QuantityMilli(limits, r);
    if (req > 0 && lim > 0 && lim / kWideLimitRatio > req) return true;
  }
  return false;
}


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
    ForEach(Member(c, "env"), [&](const Value& e) {
      if (CredentialLiteral(e)) s.credential_literals = Count(s.credential_literals);
    });
    if (WideLimitRatio(requests, limits)) s.wide_limit_ratios = Count(s.wide_limit_ratios);
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
    bool dangerous = false;
    ForEach(Path(*sc, {"capabilities", "add"}), [&](const Value& cap) {
      std::string name = Upper(Str(&cap));
      if (name.starts_with("CAP_")) name.erase(0, 4);
      for (auto d : kDangerousCapabilities) dangerous |= name == d;
    });
    if (dangerous) s.dangerous_capabilities = Count(s.dangerous_capabilities);
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

bool LogLevelArgument(const Value* args, bool& debug) {
  bool found = false;
  ForEach(args, [&](const Value& a) {
    const std::string_view arg = Str(&a);
    if (arg.starts_with("--log.level") || arg.starts_with("--log-level")) {
      found = true;
      debug |= arg.ends_with("=debug");
    }
  });
  return found;
}

WorkloadTemplate ExtractTemplate(const Value& o, WorkloadKind kind) {
  WorkloadTemplate t;
  const Value* tmpl = Path(o, {"spec", "template"});
  if (tmpl == nullptr) return t;
  t.shape = ExtractShape(*tmpl);
  const Resources r = EffectiveResources(*tmpl);
  t.request_cpu_milli = r.req_cpu;
  t.request_memory_bytes = r.req_mem;
  std::uint32_t f = 0;
  const Value* spec = Member(*tmpl, "spec");
  const Value empty;
  const Value& ps = spec != nullptr ? *spec : empty;
  const Value* anti = Path(ps, {"affinity", "podAntiAffinity"});
  const Value* spread = Member(ps, "topologySpreadConstraints");
  if ((anti != nullptr && anti->IsObject() && anti->MemberCount() > 0) ||
      (spread != nullptr && spread->IsArray() && !spread->Empty())) {
    f |= kSpreadsPods;
  }
  const Value* selector = Member(ps, "nodeSelector");
  const Value* required = Path(ps, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"});
  if ((selector != nullptr && selector->IsObject() && selector->MemberCount() > 0) || required != nullptr) {
    f |= kNodeSelection;
  }
  if (!Str(Member(ps, "nodeName")).empty()) f |= kPinnedToNode;
  bool spot = false;
  ForEachMember(selector, [&](std::string_view key, const Value&) { spot |= IsSpotKey(key); });
  ForEach(Member(ps, "tolerations"), [&](const Value& tol) { spot |= IsSpotKey(Str(Member(tol, "key"))); });
  for (const char* kind_of : {"requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"}) {
    const Value* terms = Path(ps, {"affinity", "nodeAffinity", kind_of});
    if (terms != nullptr && terms->IsObject()) terms = Member(*terms, "nodeSelectorTerms");
    ForEach(terms, [&](const Value& term) {
      const Value* pref = Member(term, "preference");  // preferred terms wrap the selector term
      ForEach(Member(pref != nullptr ? *pref : term, "matchExpressions"),
              [&](const Value& e) { spot |= IsSpotKey(Str(Member(e, "key"))); });
    });
  }
  if (spot) f |= kSpotPlacement;
  const std::string_view strategy = kind == WorkloadKind::kDeployment
                                        ? Str(Path(o, {"spec", "strategy", "type"}))
                                        : Str(Path(o, {"spec", "updateStrategy", "type"}));
  if (strategy == "Recreate" || strategy == "OnDelete") f |= kRecreateStrategy;
  const Value* labels = Path(o, {"metadata", "labels"});
  const Value* annotations = Path(o, {"metadata", "annotations"});
  if ((labels != nullptr && Member(*labels, "argocd.argoproj.io/instance") != nullptr) ||
      (annotations != nullptr && Member(*annotations, "argocd.argoproj.io/tracking-id") != nullptr)) {
    f |= kArgoCdManaged;
  }
  if (labels != nullptr && (Member(*labels, "kustomize.toolkit.fluxcd.io/name") != nullptr ||
                            Member(*labels, "helm.toolkit.fluxcd.io/name") != nullptr)) {
    f |= kFluxManaged;
  }
  if (LabelIs(o, "app.kubernetes.io/name", "kube9-operator")) f |= kKube9Operator;
  if (LabelIs(o, "app.kubernetes.io/name", "velero") || LabelIs(*tmpl, "app.kubernetes.io/name", "velero")) {
    f |= kVelero;
  }
  const std::string_view sa = Str(Member(ps, "serviceAccountName"));
  if (!sa.empty() && sa != "default") f |= kDedicatedServiceAccount;
  if (Str(Path(*tmpl, {"metadata", "annotations", "prometheus.io/scrape"})) == "true") f |= kMetricsPort;
  bool debug = false;
  ForEach(Member(ps, "containers"), [&](const Value& c) {
    if (LogLevelArgument(Member(c, "args"), debug) || LogLevelArgument(Member(c, "command"), debug)) f |= kLogLevelSet;
    ForEach(Member(c, "env"), [&](const Value& e) {
      const std::string_view name = Str(Member(e, "name"));
      if (name == "LOG_LEVEL") {
        f |= kLogLevelSet;
        debug |= Str(Member(e, "value")) == "debug";  // a level, not a secret: compared, never kept
      }
      if (name == "POD_NAMESPACE" && Str(Path(e, {"valueFrom", "fieldRef", "fieldPath"})) == "metadata.namespace") {
        f |= kPodNamespaceFromDownwardApi;
      }
    });
    ForEach(Member(c, "ports"), [&](const Value& port) {
      const std::string_view name = Str(Member(port, "name"));
      if (name == "metrics" || name == "http-metrics" || name == "http" || name == "prometheus") f |= kMetricsPort;
    });
  });
  if (debug) f |= kDebugLogLevel;
  const Value* claims = Path(o, {"spec", "volumeClaimTemplates"});
  if ((t.shape.volume_kinds & (1u << 3)) != 0 /* persistentVolumeClaim */ || (claims != nullptr && claims->IsArray() && !claims->Empty())) {
    f |= kPersistentStorage;
  }
  t.flags = f;
  return t;
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
