#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// What the collectors keep of each Kubernetes object: only the fields the aggregates need.
// No names of pods, no labels, annotations, images, env or secrets are kept.
namespace kube9::collectors {

enum class Tri : std::uint8_t { kTrue, kFalse, kUnknown };
std::string_view TriName(Tri t);  // "true" / "false" / "unknown"
std::string_view ConditionStatusName(Tri t);  // "True" / "False" / "Unknown"

// Node conditions reported as kube9_node_conditions, in this order.
inline constexpr std::array<std::string_view, 5> kNodeConditions = {"Ready", "MemoryPressure", "DiskPressure",
                                                                     "PIDPressure", "NetworkUnavailable"};

struct NodeInfo {
  std::array<Tri, kNodeConditions.size()> conditions{Tri::kUnknown, Tri::kUnknown, Tri::kUnknown, Tri::kUnknown,
                                                     Tri::kUnknown};
  std::int64_t allocatable_cpu_milli = 0;     // thousandths of a core
  std::int64_t allocatable_memory_bytes = 0;
  std::string provider;                       // from providerID or well-known labels; "" when unknown
  std::string region, zone;                   // topology.kubernetes.io labels; "" when unset
  bool spot = false;  // spot/preemptible capacity, from the providers' well-known labels
  Tri ready() const { return conditions[0]; }
};

enum class PodPhase : std::uint8_t { kPending, kRunning, kSucceeded, kFailed, kUnknown };
inline constexpr std::array<std::string_view, 5> kPodPhases = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};

// Container waiting reasons get their own label value; anything else is "Other", so that
// the label's cardinality stays bounded whatever a runtime reports.
inline constexpr std::array<std::string_view, 10> kWaitingReasons = {
    "CrashLoopBackOff", "ImagePullBackOff",  "ErrImagePull",    "CreateContainerConfigError",
    "CreateContainerError", "InvalidImageName", "RunContainerError", "ContainerCreating",
    "PodInitializing", "Other"};
std::uint8_t WaitingReasonIndex(std::string_view reason);

// Volume sources counted by resource-configuration-patterns; anything else is "other".
inline constexpr std::array<std::string_view, 10> kVolumeKinds = {
    "emptyDir", "configMap", "secret", "persistentVolumeClaim", "hostPath",
    "projected", "downwardAPI", "csi", "ephemeral", "other"};

// How a pod is configured, as counts over its app containers (what the Pro tier's
// resource-configuration-patterns collection reports). No names, images or values are kept.
struct PodShape {
  std::uint8_t containers = 0;
  std::uint8_t cpu_requests = 0, memory_requests = 0, cpu_limits = 0, memory_limits = 0;
  std::uint8_t pull_always = 0, pull_if_not_present = 0, pull_never = 0;  // the rest leave it unset
  std::uint8_t liveness = 0, readiness = 0, startup = 0;
  std::uint8_t run_as_non_root = 0;           // set on the container, or inherited from the pod
  std::uint8_t read_only_root_filesystem = 0;
  std::uint8_t privileged = 0;
  std::uint8_t no_privilege_escalation = 0;  // allowPrivilegeEscalation: false
  std::uint8_t drop_all_capabilities = 0;
  // For the assessment (assessment/checks/): counts only, never names or values.
  std::uint8_t dangerous_capabilities = 0;  // add SYS_ADMIN, NET_ADMIN, ALL, ... (see kDangerousCapabilities)
  std::uint8_t credential_literals = 0;     // env vars named like a credential with a literal `value`
  std::uint8_t wide_limit_ratios = 0;       // a cpu or memory limit above kWideLimitRatio x its request
  std::uint16_t volume_kinds = 0;  // one bit per kVolumeKinds entry the pod uses
  bool host_network = false, host_pid = false;
};

struct PodInfo {
  std::string ns;
  PodPhase phase = PodPhase::kUnknown;
  std::int64_t created_unix = 0;
  std::uint32_t restarts = 0;    // sum over containers
  std::uint16_t oom_killed = 0;  // containers whose last termination was OOMKilled
  std::vector<std::uint8_t> waiting;  // one index into kWaitingReasons per waiting container
  // Effective requests and limits, as the scheduler counts them (see EffectiveResources).
  std::int64_t request_cpu_milli = 0, request_memory_bytes = 0;
  std::int64_t limit_cpu_milli = 0, limit_memory_bytes = 0;
  PodShape shape;
};

enum class WorkloadKind : std::uint8_t { kDeployment, kStatefulSet, kDaemonSet };
std::string_view WorkloadKindName(WorkloadKind k);

// Capabilities whose addition the assessment reports (security.capabilities-validation).
inline constexpr std::array<std::string_view, 8> kDangerousCapabilities = {
    "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW", "SYS_RAWIO"};
// A limit more than this many times its request is "wide" (cost-optimization.resource-request-limit-ratios).
inline constexpr int kWideLimitRatio = 4;

// Facts about a workload's pod template and metadata that the assessment reads, each a bit
// computed at extraction (no label, annotation, env or argument value is kept).
enum TemplateFlag : std::uint32_t {
  kSpreadsPods = 1u << 0,          // podAntiAffinity or topologySpreadConstraints
  kNodeSelection = 1u << 1,        // nodeSelector or required nodeAffinity
  kPinnedToNode = 1u << 2,         // spec.nodeName set in the template
  kSpotPlacement = 1u << 3,        // selects or tolerates spot/preemptible capacity
  kRecreateStrategy = 1u << 4,     // Deployment strategy Recreate, StatefulSet/DaemonSet OnDelete
  kArgoCdManaged = 1u << 5,        // argocd.argoproj.io/instance label or tracking-id annotation
  kFluxManaged = 1u << 6,          // kustomize.toolkit.fluxcd.io/name or helm.toolkit.fluxcd.io/name label
  kKube9Operator = 1u << 7,        // app.kubernetes.io/name=kube9-operator
  kPodNamespaceFromDownwardApi = 1u << 8,  // an env POD_NAMESPACE from fieldRef metadata.namespace
  kDedicatedServiceAccount = 1u << 9,      // serviceAccountName set and not "default"
  kLogLevelSet = 1u << 10,         // an env LOG_LEVEL or a --log.level argument
  kMetricsPort = 1u << 11,         // a container port named like metrics, or prometheus.io/scrape
  kVelero = 1u << 12,              // app.kubernetes.io/name=velero (on the workload or its template)
  kPersistentStorage = 1u << 13,   // PVC volumes or volumeClaimTemplates
  kDebugLogLevel = 1u << 14,       // LOG_LEVEL=debug or --log.level=debug
};

// What a workload's pod template declares (see PodShape) and its effective per-pod requests.
struct WorkloadTemplate {
  PodShape shape;
  std::uint32_t flags = 0;  // TemplateFlag bits
  std::int64_t request_cpu_milli = 0, request_memory_bytes = 0;
  bool Has(TemplateFlag f) const { return (flags & f) != 0; }
};

struct WorkloadInfo {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string ns;
  std::string name;
  std::int32_t desired = 0, ready = 0, available = 0, unavailable = 0;
  // The pod template's labels as hashes (collectors/label_selector.h: HashLabels), to match
  // PodDisruptionBudget selectors; no label text is kept.
  std::vector<std::uint64_t> pod_labels;
  WorkloadTemplate pod_template;
};

// Objects that are only counted by namespace (replicasets, cronjobs, namespaces themselves).
struct NamespacedInfo {
  std::string ns;
};

struct ServiceInfo {
  std::string ns;
  std::string type;  // ClusterIP, NodePort, LoadBalancer, ExternalName
};

enum class JobState : std::uint8_t { kActive, kSucceeded, kFailed, kOther };
inline constexpr std::array<std::string_view, 3> kJobStates = {"active", "succeeded", "failed"};

struct JobInfo {
  std::string ns;
  JobState state = JobState::kOther;
};

inline constexpr std::array<std::string_view, 3> kPvcPhases = {"Pending", "Bound", "Lost"};
struct PvcInfo {
  std::string ns;
  std::uint8_t phase = 0;  // index into kPvcPhases
};

struct NamespaceInfo {
  std::string name;
};

}  // namespace kube9::collectors
