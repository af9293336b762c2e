// kube-state-metrics' node families (its internal/store/node.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct NodeRecord {
  std::string name;
  std::optional<std::int64_t> created, deleted;
  // kube_node_info: versions repeat across nodes, so they are interned.
  Interned kernel_version, os_image, container_runtime_version, kubelet_version;
  std::string provider_id, pod_cidr, system_uuid, internal_ip;
  std::vector<Interned> roles;
  std::vector<std::string> pod_cidrs;
  struct Taint {
    Interned key, value, effect;
  };
  std::vector<Taint> taints;
  bool unschedulable = false;
  std::vector<ResourceAmount> allocatable, capacity;
  std::vector<Condition> conditions;
  struct Address {
    Interned type;
    std::string address;
  };
  std::vector<Address> addresses;
  LabelPairs labels, annotations;
};

std::optional<NodeRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  NodeRecord r;
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  const auto* info = json::Path(o, {"status", "nodeInfo"});
  if (info != nullptr) {
    r.kernel_version = pool.Intern(json::Str(json::Member(*info, "kernelVersion")));
    r.os_image = pool.Intern(json::Str(json::Member(*info, "osImage")));
    r.container_runtime_version = pool.Intern(json::Str(json::Member(*info, "containerRuntimeVersion")));
    r.kubelet_version = pool.Intern(json::Str(json::Member(*info, "kubeletVersion")));
    r.system_uuid = json::Str(json::Member(*info, "systemUUID"));
  }
  r.provider_id = json::Str(json::Path(o, {"spec", "providerID"}));
  r.pod_cidr = json::Str(json::Path(o, {"spec", "podCIDR"}));
  json::ForEach(json::Path(o, {"spec", "podCIDRs"}),
                [&](const rapidjson::Value& c) { r.pod_cidrs.emplace_back(json::Str(&c)); });
  json::ForEachMember(json::Path(o, {"metadata", "labels"}), [&](std::string_view key, const rapidjson::Value&) {
    constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
    if (key.starts_with(kPrefix)) r.roles.push_back(pool.Intern(key.substr(kPrefix.size())));
  });
  json::ForEach(json::Path(o, {"spec", "taints"}), [&](const rapidjson::Value& t) {
    r.taints.push_back({pool.Intern(json::Str(json::Member(t, "key"))),
                        pool.Intern(json::Str(json::Member(t, "value"))),
                        pool.Intern(json::Str(json::Member(t, "effect")))});
  });
  r.unschedulable = json::IsTrue(json::Path(o, {"spec", "unschedulable"}));
  r.allocatable = ExtractAmounts(json::Path(o, {"status", "allocatable"}), pool, AmountsOf::kNode);
  r.capacity = ExtractAmounts(json::Path(o, {"status", "capacity"}), pool, AmountsOf::kNode);
  r.conditions = ExtractConditions(json::Path(o, {"status", "conditions"}), pool);
  json::ForEach(json::Path(o, {"status", "addresses"}), [&](const rapidjson::Value& a) {
    const std::string_view type = json::Str(json::Member(a, "type"));
    const std::string_view address = json::Str(json::Member(a, "address"));
    if (type == "InternalIP") r.internal_ip = address;  // the last one, as kube-state-metrics
    r.addresses.push_back({pool.Intern(type), std::string(address)});
  });
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const NodeRecord& r) {
  return w.Begin(name).Label("node", r.name);
}

void WriteAmounts(const std::vector<ResourceAmount>& amounts, const NodeRecord& r, std::string_view n, TextWriter& w) {
  for (const auto& a : amounts)
    Id(w, n, r).Label("resource", a.resource).Label("unit", UnitName(a.unit)).Value(a.value);
}

using R = NodeRecord;
constexpr Family<R> kFamilies[] = {
    {"kube_node_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_node_created", "Unix creation timestamp", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.created) Id(w, n, r).Value(static_cast<double>(*r.created));
     }},
    {"kube_node_deletion_timestamp", "Unix deletion timestamp", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.deleted) Id(w, n, r).Value(static_cast<double>(*r.deleted));
     }},
    {"kube_node_info", "Information about a cluster node.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r)
           .Label("kernel_version", r.kernel_version)
           .Label("os_image", r.os_image)
           .Label("container_runtime_version", r.container_runtime_version)
           .Label("kubelet_version", r.kubelet_version)
           .Label("kubeproxy_version", "deprecated")
           .Label("provider_id", r.provider_id)
           .Label("pod_cidr", r.pod_cidr)
           .Label("system_uuid", r.system_uuid)
           .Label("internal_ip", r.internal_ip)
           .Value(1);
     }},
    {"kube_node_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_node_role", "The role of a cluster node.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& role : r.roles) Id(w, n, r).Label("role", role).Value(1);
     }},
    {"kube_node_spec_pod_cidrs", "The pod CIDRs of a cluster node.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.pod_cidrs) Id(w, n, r).Label("pod_cidr", c).Value(1);
     }},
    {"kube_node_spec_taint", "The taint of a cluster node.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& t : r.taints) {
         Id(w, n, r).Label("key", t.key).Label("value", t.value).Label("effect", t.effect).Value(1);
       }
     }},
    {"kube_node_spec_unschedulable", "Whether a node can schedule new pods.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(r.unschedulable ? 1 : 0); }},
    {"kube_node_status_allocatable",
     "The allocatable for different resources of a node that are available for scheduling.", true,
     [](const R& r, std::string_view n, TextWriter& w) { WriteAmounts(r.allocatable, r, n, w); }},
    {"kube_node_status_capacity", "The capacity for different resources of a node.", true,
     [](const R& r, std::string_view n, TextWriter& w) { WriteAmounts(r.capacity, r, n, w); }},
    {"kube_node_status_condition", "The condition of a cluster node.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         WriteCondition(w, n, c, [&](TextWriter& s) { s.Label("node", r.name).Label("condition", c.type); });
       }
     }},
    {"kube_node_status_addresses", "Node address information.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& a : r.addresses) Id(w, n, r).Label("type", a.type).Label("address", a.address).Value(1);
     }},
};

constexpr FamilySet<R> kSet{"nodes", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> NodeFamilies(const Options& o, const FamilyFilter& f) { return MakeStore(kSet, o, f); }

}  // namespace kube9::collectors::ksm
