// kube-state-metrics' service families (its internal/store/service.go, v2.20).
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

struct ServiceRecord {
  Interned ns;
  std::string name, uid;
  std::string cluster_ip, external_name, load_balancer_ip;
  Interned external_traffic_policy, type;  // a handful of values across all services
  std::optional<std::int64_t> created, deleted;
  std::vector<std::string> external_ips;
  struct Ingress {
    std::string ip, hostname;
  };
  std::vector<Ingress> ingress;
  LabelPairs labels, annotations;
};

std::optional<ServiceRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  ServiceRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.uid = json::Str(json::Path(o, {"metadata", "uid"}));
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    r.cluster_ip = json::Str(json::Member(*spec, "clusterIP"));
    r.external_name = json::Str(json::Member(*spec, "externalName"));
    r.load_balancer_ip = json::Str(json::Member(*spec, "loadBalancerIP"));
    r.external_traffic_policy = pool.Intern(json::Str(json::Member(*spec, "externalTrafficPolicy")));
    r.type = pool.Intern(json::Str(json::Member(*spec, "type")));
    json::ForEach(json::Member(*spec, "externalIPs"),
                  [&](const rapidjson::Value& ip) { r.external_ips.emplace_back(json::Str(&ip)); });
  }
  json::ForEach(json::Path(o, {"status", "loadBalancer", "ingress"}), [&](const rapidjson::Value& i) {
    r.ingress.push_back(
        {std::string(json::Str(json::Member(i, "ip"))), std::string(json::Str(json::Member(i, "hostname")))});
  });
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const ServiceRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("service", r.name).Label("uid", r.uid);
}

using R = ServiceRecord;
template <std::optional<std::int64_t> ServiceRecord::*F>
void OptInt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_service_info", "Information about service.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r)
           .Label("cluster_ip", r.cluster_ip)
           .Label("external_name", r.external_name)
           .Label("load_balancer_ip", r.load_balancer_ip)
           .Label("external_traffic_policy", r.external_traffic_policy)
           .Value(1);
     }},
    {"kube_service_created", "Unix creation timestamp", true, &OptInt<&R::created>},
    {"kube_service_spec_type", "Type about service.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Label("type", r.type).Value(1); }},
    {"kube_service_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_service_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_service_spec_external_ip", "Service external ips. One series for each ip", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& ip : r.external_ips) Id(w, n, r).Label("external_ip", ip).Value(1);
     }},
    {"kube_service_status_load_balancer_ingress", "Service load balancer ingress status", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& i : r.ingress) Id(w, n, r).Label("ip", i.ip).Label("hostname", i.hostname).Value(1);
     }},
    {"kube_service_deletion_timestamp", "Unix deletion timestamp", false, &OptInt<&R::deleted>},
};

constexpr FamilySet<R> kSet{"services", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> ServiceFamilies(const Options& o, const FamilyFilter& f) { return MakeStore(kSet, o, f); }

}  // namespace kube9::collectors::ksm
