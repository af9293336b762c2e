#include "sinks/collections/payloads.h"

#include <algorithm>
#include <array>
#include <map>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json.h"
#include "base/text.h"
#include "base/time_format.h"
#include "collectors/extract.h"

namespace kube9::sinks::collections {
namespace {

using collectors::ClusterStores;
using collectors::PodInfo;
using collectors::WorkloadInfo;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The sanitization rules, by the name each payload lists in sanitization.rulesApplied.
constexpr std::string_view kNoObjectNames = "no-object-names";
constexpr std::string_view kNoLabelValues = "no-label-or-annotation-values";
constexpr std::string_view kOnlyTopologyLabels = "only-topology-region-and-zone-labels";
constexpr std::string_view kNoImages = "no-images";
constexpr std::string_view kNoEnvOrSecrets = "no-env-or-secrets";
constexpr std::string_view kNoIpAddresses = "no-ip-addresses";
constexpr std::string_view kNamespacesHashed = "namespaces-as-keyed-hash";
constexpr std::string_view kAggregatesOnly = "aggregate-counts-only";

// Well-formed UTF-8 whatever the cluster reported (kubernetesVersion, region, zone, the values
// counted by): JSON is UTF-8.
void Key(Writer& w, std::string_view k) {
  const std::string text = base::SanitizeUtf8(k);
  w.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}
void Str(Writer& w, std::string_view v) {
  const std::string text = base::SanitizeUtf8(v);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}
void Field(Writer& w, std::string_view k, std::int64_t v) {
  Key(w, k);
  w.Int64(v);
}
void Field(Writer& w, std::string_view k, std::string_view v) {
  Key(w, k);
  Str(w, v);
}

// {"name": n, ...} under `k`, in the order given.
void Object(Writer& w, std::string_view k, std::initializer_list<std::pair<std::string_view, std::int64_t>> fields) {
  Key(w, k);
  w.StartObject();
  for (const auto& [name, n] : fields) Field(w, name, n);
  w.EndObject();
}

// The same from parallel arrays of names and counts.
template <std::size_t N>
void Object(Writer& w, std::string_view k, const std::array<std::string_view, N>& names,
            const std::array<std::int64_t, N>& counts) {
  Key(w, k);
  w.StartObject();
  for (std::size_t i = 0; i < N; ++i) Field(w, names[i], counts[i]);
  w.EndObject();
}

// Counts by label, in label order, as one JSON object.
template <typename Map>
void CountObject(Writer& w, std::string_view k, const Map& counts) {
  Key(w, k);
  w.StartObject();
  for (const auto& [name, n] : counts) Field(w, name, static_cast<std::int64_t>(n));
  w.EndObject();
}

// {"version", "type", "data": {timestamp, collectionId, clusterId, <body>}, "sanitization"}.
template <typename Body>
std::string Envelope(CollectionType type, const ClusterIdentity& identity, base::WallTime now,
                     const std::string& collection_id, std::initializer_list<std::string_view> rules, Body&& body) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  const std::string timestamp = base::FormatRfc3339Millis(now);
  w.StartObject();
  Field(w, "version", kEnvelopeVersion);
  Field(w, "type", TypeName(type));
  Key(w, "data");
  w.StartObject();
  Field(w, "timestamp", timestamp);
  Field(w, "collectionId", collection_id);
  Field(w, "clusterId", identity.cluster_id());
  body(w);
  w.EndObject();
  Key(w, "sanitization");
  w.StartObject();
  Key(w, "rulesApplied");
  w.StartArray();
  for (std::string_view r : rules) Str(w, r);
  w.EndArray();
  Field(w, "timestamp", timestamp);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void ClusterMetadata(Writer& w, const Snapshot& s) {
  const auto& a = s.aggregates;
  Field(w, "kubernetesVersion", a.kubernetes_version);
  Field(w, "nodeCount", a.node_count);
  Field(w, "provider", a.provider);
  for (const auto& [key, value] : {std::pair{"region", &a.region}, {"zone", &a.zone}}) {
    Key(w, key);
    if (value->empty()) {
      w.Null();
    } else {
      Str(w, *value);
    }
  }
}

// Services per type. Only the types the API server accepts are sent by name; any other string
// (a patched API server, a type added later) is counted as "Other", so that no free-form text from
// an object leaves the cluster.
std::map<std::string_view, std::int64_t> ServiceTypeCounts(const Snapshot& s) {
  static constexpr std::array<std::string_view, 4> kKnown = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
  std::map<std::string_view, std::int64_t> counts;
  if (const auto* store = s.stores.Find(collectors::kServices)) {
    store->ForEach([&](const collectors::ServiceInfo& svc) {
      const auto known = std::find(kKnown.begin(), kKnown.end(), svc.type);
      ++counts[known == kKnown.end() ? std::string_view("Other") : *known];
    });
  }
  return counts;
}

void ResourceInventory(Writer& w, const Snapshot& s, const ClusterIdentity& identity) {
  const auto& a = s.aggregates;
  // Hashed ids sort differently from names; the map keeps the output in a stable order.
  std::map<std::string, std::int64_t> pods_by_namespace;
  std::array<std::int64_t, collectors::kPodPhases.size()> phases{};
  std::int64_t pods = 0;
  for (const auto& [name, totals] : a.namespaces) {
    std::int64_t n = 0;
    for (std::size_t i = 0; i < phases.size(); ++i) {
      n += totals.pods_by_phase[i];
      phases[i] += totals.pods_by_phase[i];
    }
    pods_by_namespace[identity.NamespaceId(name)] = n;
    pods += n;
  }
  Key(w, "namespaces");
  w.StartObject();
  Field(w, "count", static_cast<std::int64_t>(pods_by_namespace.size()));
  Key(w, "ids");
  w.StartArray();
  for (const auto& [id, n] : pods_by_namespace) Str(w, id);
  w.EndArray();
  w.EndObject();
  Field(w, "nodes", a.node_count);
  Key(w, "pods");
  w.StartObject();
  Field(w, "total", pods);
  Object(w, "byPhase", collectors::kPodPhases, phases);
  CountObject(w, "byNamespace", pods_by_namespace);
  w.EndObject();
  Field(w, "deployments", collectors::SizeOf(s.stores.Find(collectors::kDeployments)));
  Field(w, "statefulsets", collectors::SizeOf(s.stores.Find(collectors::kStatefulSets)));
  Field(w, "daemonsets", collectors::SizeOf(s.stores.Find(collectors::kDaemonSets)));
  Field(w, "replicasets", collectors::SizeOf(s.stores.Find(collectors::kReplicaSets)));
  Field(w, "jobs", collectors::SizeOf(s.stores.Find(collectors::kJobs)));
  Field(w, "cronjobs", collectors::SizeOf(s.stores.Find(collectors::kCronJobs)));
  Field(w, "persistentVolumeClaims", collectors::SizeOf(s.stores.Find(collectors::kPersistentVolumeClaims)));
  const auto service_types = ServiceTypeCounts(s);
  Key(w, "services");
  w.StartObject();
  Field(w, "total", collectors::SizeOf(s.stores.Find(collectors::kServices)));
  CountObject(w, "byType", service_types);
  w.EndObject();
}

// Which bucket a quantity falls in: an upper bound per bucket, the last one open.
template <std::size_t N>
std::size_t Bucket(std::int64_t v, const std::array<std::int64_t, N>& upper) {
  for (std::size_t i = 0; i < N; ++i) {
    if (v <= upper[i]) return i;
  }
  return N;
}

void ConfigurationPatterns(Writer& w, const Snapshot& s) {
  struct {
    std::int64_t pods = 0, containers = 0;
    std::int64_t cpu_requests = 0, memory_requests = 0, cpu_limits = 0, memory_limits = 0;
    std::int64_t always = 0, if_not_present = 0, never = 0;
    std::int64_t liveness = 0, readiness = 0, startup = 0;
    std::int64_t non_root = 0, read_only = 0, privileged = 0, no_escalation = 0, drop_all = 0;
    std::int64_t host_network = 0, host_pid = 0;
    std::array<std::int64_t, collectors::kVolumeKinds.size()> volumes{};
    std::array<std::int64_t, 6> cpu_request{}, memory_request{};
  } t;
  // Per-pod effective requests, bucketed: none, then by upper bound.
  static constexpr std::array<std::int64_t, 4> kCpuMilli = {100, 500, 1000, 4000};
  static constexpr std::array<std::int64_t, 4> kMemoryBytes = {128ll << 20, 512ll << 20, 1ll << 30, 4ll << 30};
  static constexpr std::array<std::string_view, 6> kCpuBuckets = {"none", "le100m", "le500m", "le1", "le4", "gt4"};
  static constexpr std::array<std::string_view, 6> kMemoryBuckets = {"none",  "le128Mi", "le512Mi",
                                                                     "le1Gi", "le4Gi",   "gt4Gi"};
  if (const auto* store = s.stores.Find(collectors::kPods)) {
    store->ForEach([&](const PodInfo& p) {
      const auto& c = p.shape;
      ++t.pods;
      t.containers += c.containers;
      t.cpu_requests += c.cpu_requests, t.memory_requests += c.memory_requests;
      t.cpu_limits += c.cpu_limits, t.memory_limits += c.memory_limits;
      t.always += c.pull_always, t.if_not_present += c.pull_if_not_present, t.never += c.pull_never;
      t.liveness += c.liveness, t.readiness += c.readiness, t.startup += c.startup;
      t.non_root += c.run_as_non_root, t.read_only += c.read_only_root_filesystem;
      t.privileged += c.privileged, t.no_escalation += c.no_privilege_escalation;
      t.drop_all += c.drop_all_capabilities;
      t.host_network += c.host_network, t.host_pid += c.host_pid;
      for (std::size_t i = 0; i < t.volumes.size(); ++i) t.volumes[i] += (c.volume_kinds >> i) & 1u;
      ++t.cpu_request[p.request_cpu_milli <= 0 ? 0 : 1 + Bucket(p.request_cpu_milli, kCpuMilli)];
      ++t.memory_request[p.request_memory_bytes <= 0 ? 0 : 1 + Bucket(p.request_memory_bytes, kMemoryBytes)];
    });
  }
  Object(w, "pods", {{"total", t.pods}, {"containers", t.containers}, {"hostNetwork", t.host_network},
                     {"hostPID", t.host_pid}});
  Key(w, "resources");
  w.StartObject();
  Field(w, "containersWithCpuRequest", t.cpu_requests);
  Field(w, "containersWithMemoryRequest", t.memory_requests);
  Field(w, "containersWithCpuLimit", t.cpu_limits);
  Field(w, "containersWithMemoryLimit", t.memory_limits);
  Object(w, "podCpuRequests", kCpuBuckets, t.cpu_request);
  Object(w, "podMemoryRequests", kMemoryBuckets, t.memory_request);
  w.EndObject();
  Object(w, "imagePullPolicies", {{"Always", t.always}, {"IfNotPresent", t.if_not_present}, {"Never", t.never},
                                  {"unset", t.containers - t.always - t.if_not_present - t.never}});
  Object(w, "probes", {{"liveness", t.liveness}, {"readiness", t.readiness}, {"startup", t.startup}});
  Object(w, "securityContexts", {{"runAsNonRoot", t.non_root}, {"readOnlyRootFilesystem", t.read_only},
                                 {"privileged", t.privileged}, {"allowPrivilegeEscalationFalse", t.no_escalation},
                                 {"capabilitiesDropAll", t.drop_all}});
  Object(w, "volumeTypes", collectors::kVolumeKinds, t.volumes);  // pods using each kind of volume
  // Desired replicas of each workload kind, bucketed.
  static constexpr std::array<std::int64_t, 4> kReplicas = {0, 1, 3, 10};
  static constexpr std::array<std::string_view, 5> kReplicaBuckets = {"0", "1", "2-3", "4-10", "11+"};
  Key(w, "replicaCounts");
  w.StartObject();
  for (auto kind : {collectors::WorkloadKind::kDeployment, collectors::WorkloadKind::kStatefulSet}) {
    std::array<std::int64_t, kReplicaBuckets.size()> buckets{};
    for (const WorkloadInfo& wl : s.aggregates.workloads) {
      if (wl.kind == kind) ++buckets[Bucket(wl.desired, kReplicas)];
    }
    Object(w, kind == collectors::WorkloadKind::kDeployment ? "deployments" : "statefulsets", kReplicaBuckets,
           buckets);
  }
  w.EndObject();
  const auto service_types = ServiceTypeCounts(s);
  CountObject(w, "serviceTypes", service_types);
  if (s.assessment != nullptr) {
    // Per pillar, how many checks of the last Well-Architected assessment run are in each status,
    // and the pillar's score. Counts only: no message, example or object name.
    Key(w, "assessment");
    w.StartObject();
    for (const auto& p : *s.assessment) {
      Object(w, assessment::PillarName(p.pillar),
             {{"score", p.score}, {"passing", p.passing}, {"failing", p.failing}, {"warning", p.warning},
              {"skipped", p.skipped}, {"error", p.error}, {"timeout", p.timeout}});
    }
    w.EndObject();
  }
}

}  // namespace

std::string_view TypeName(CollectionType type) {
  switch (type) {
    case CollectionType::kClusterMetadata: return "cluster-metadata";
    case CollectionType::kResourceInventory: return "resource-inventory";
    case CollectionType::kResourceConfigurationPatterns: return "resource-configuration-patterns";
    case CollectionType::kMetricsBatch: return "metrics-batch";
  }
  return "unknown";
}

std::optional<CollectionType> ParseType(std::string_view name) {
  for (CollectionType t : kAllTypes) {
    if (TypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string BuildCollection(CollectionType type, const Snapshot& snapshot, const ClusterIdentity& identity,
                            base::WallTime now, const std::string& collection_id) {
  switch (type) {
    case CollectionType::kClusterMetadata:
      return Envelope(type, identity, now, collection_id,
                      {kNoObjectNames, kOnlyTopologyLabels, kNoImages, kNoEnvOrSecrets, kNoIpAddresses},
                      [&](Writer& w) { ClusterMetadata(w, snapshot); });
    case CollectionType::kResourceInventory:
      return Envelope(type, identity, now, collection_id,
                      {kNoObjectNames, kNoLabelValues, kNoImages, kNoEnvOrSecrets, kNoIpAddresses, kNamespacesHashed,
                       kAggregatesOnly},
                      [&](Writer& w) { ResourceInventory(w, snapshot, identity); });
    case CollectionType::kResourceConfigurationPatterns:
      return Envelope(type, identity, now, collection_id,
                      {kNoObjectNames, kNoLabelValues, kNoImages, kNoEnvOrSecrets, kNoIpAddresses, kAggregatesOnly},
                      [&](Writer& w) { ConfigurationPatterns(w, snapshot); });
    case CollectionType::kMetricsBatch:
      break;
  }
  return BuildMetricsBatch({SampleOf(snapshot.aggregates, now)}, 0, identity, now, collection_id);
}

MetricsSample SampleOf(const collectors::ClusterAggregates& a, base::WallTime at) {
  MetricsSample s;
  s.at = at;
  s.health_score = a.score;
  s.nodes = a.node_count;
  s.nodes_ready = a.nodes_by_ready[0];
  for (const auto& [name, totals] : a.namespaces) {
    for (std::size_t i = 0; i < s.pods_by_phase.size(); ++i) s.pods_by_phase[i] += totals.pods_by_phase[i];
    for (std::size_t i = 0; i < s.containers_waiting.size(); ++i) {
      s.containers_waiting[i] += totals.containers_waiting[i];
    }
    s.container_restarts += totals.container_restarts;
    s.containers_oom_killed += totals.containers_oom_killed;
    s.pvcs_pending += totals.pvcs_by_phase[0];
    s.jobs_failed += totals.jobs_by_state[2];
  }
  for (const WorkloadInfo& w : a.workloads) {
    s.replicas_desired += w.desired;
    s.replicas_available += w.available;
    s.replicas_unavailable += w.unavailable;
  }
  for (const auto& c : a.checks) {
    if (c.affected > 0) s.failing_checks.emplace_back(c.name, c.affected);
  }
  return s;
}

std::string BuildMetricsBatch(const std::vector<MetricsSample>& samples, int interval_seconds,
                              const ClusterIdentity& identity, base::WallTime now, const std::string& collection_id) {
  return Envelope(
      CollectionType::kMetricsBatch, identity, now, collection_id,
      {kNoObjectNames, kNoLabelValues, kNoImages, kNoEnvOrSecrets, kNoIpAddresses, kAggregatesOnly},
      [&](Writer& w) {
        Field(w, "intervalSeconds", interval_seconds);
        Key(w, "samples");
        w.StartArray();
        for (const MetricsSample& s : samples) {
          w.StartObject();
          Field(w, "timestamp", base::FormatRfc3339Millis(s.at));
          Field(w, "healthScore", s.health_score);
          Object(w, "nodes", {{"total", s.nodes}, {"ready", s.nodes_ready}});
          Object(w, "podsByPhase", collectors::kPodPhases, s.pods_by_phase);
          Object(w, "containersWaiting", collectors::kWaitingReasons, s.containers_waiting);
          Field(w, "containerRestarts", s.container_restarts);
          Field(w, "containersOomKilled", s.containers_oom_killed);
          Object(w, "replicas", {{"desired", s.replicas_desired}, {"available", s.replicas_available},
                                 {"unavailable", s.replicas_unavailable}});
          Field(w, "pvcsPending", s.pvcs_pending);
          Field(w, "jobsFailed", s.jobs_failed);
          Key(w, "failingChecks");
          w.StartObject();
          for (const auto& [name, affected] : s.failing_checks) Field(w, name, affected);
          w.EndObject();
          w.EndObject();
        }
        w.EndArray();
      });
}

std::string PrettyJson(std::string_view json) {
  // Our own payload, but bounded all the same: the writer below recurses.
  constexpr base::JsonLimits kPayloadJson{64 << 20, 64};
  rapidjson::Document doc;
  if (!base::ParseJson(doc, json, kPayloadJson).ok()) return "";
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace kube9::sinks::collections
