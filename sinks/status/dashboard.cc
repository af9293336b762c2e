#include "sinks/status/dashboard.h"

#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "base/log.h"
#include "base/time_format.h"
#include "collectors/extract.h"

namespace kube9::sinks {
namespace {

}  // namespace

DashboardData DashboardFromStores(const collectors::ClusterStores& s) {
  DashboardData d;
  d.namespaces = collectors::SizeOf(s.Find(collectors::kNamespaces));
  d.deployments = collectors::SizeOf(s.Find(collectors::kDeployments));
  d.statefulsets = collectors::SizeOf(s.Find(collectors::kStatefulSets));
  d.daemonsets = collectors::SizeOf(s.Find(collectors::kDaemonSets));
  d.replicasets = collectors::SizeOf(s.Find(collectors::kReplicaSets));
  d.jobs = collectors::SizeOf(s.Find(collectors::kJobs));
  d.cronjobs = collectors::SizeOf(s.Find(collectors::kCronJobs));
  d.pods = collectors::SizeOf(s.Find(collectors::kPods));
  if (const auto* store = s.Find(collectors::kNodes)) {
    store->ForEach([&](const collectors::NodeInfo& n) {
      ++d.nodes;
      if (n.ready() == collectors::Tri::kTrue) ++d.ready_nodes;
      d.cpu_milli += n.allocatable_cpu_milli;
      d.memory_bytes += n.allocatable_memory_bytes;
    });
  }
  d.data_points = d.namespaces + d.deployments + d.statefulsets + d.daemonsets + d.replicasets + d.jobs + d.cronjobs +
                  d.pods + d.nodes + collectors::SizeOf(s.Find(collectors::kServices)) + collectors::SizeOf(s.Find(collectors::kPersistentVolumeClaims));
  return d;
}

std::string FormatCores(std::int64_t milli) {
  std::string out = fmt::format("{:.3f}", static_cast<double>(milli) / 1000.0);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string FormatGi(std::int64_t bytes) {
  return fmt::format("{:.1f} Gi", static_cast<double>(bytes) / static_cast<double>(1ll << 30));
}

std::string RenderDashboardJson(const DashboardData& d, base::WallTime now) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  auto key = [&](const char* k) { w.Key(k); };
  auto str = [&](const std::string& v) { w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size())); };
  w.StartObject();
  key("namespaceCount"); w.Int64(d.namespaces);
  key("workloads");
  w.StartObject();
  key("deployments"); w.Int64(d.deployments);
  key("statefulsets"); w.Int64(d.statefulsets);
  key("daemonsets"); w.Int64(d.daemonsets);
  key("replicasets"); w.Int64(d.replicasets);
  key("jobs"); w.Int64(d.jobs);
  key("cronjobs"); w.Int64(d.cronjobs);
  key("pods"); w.Int64(d.pods);
  w.EndObject();
  key("nodes");
  w.StartObject();
  key("totalNodes"); w.Int64(d.nodes);
  key("readyNodes"); w.Int64(d.ready_nodes);
  key("cpuCapacity"); str(FormatCores(d.cpu_milli));
  key("memoryCapacity"); str(FormatGi(d.memory_bytes));
  w.EndObject();
  key("operatorMetrics");
  w.StartObject();
  key("collectorsRunning"); w.Int64(d.collectors_running);
  key("dataPointsCollected"); w.Int64(d.data_points);
  key("lastCollectionTime");
  if (d.last_collection) str(base::FormatRfc3339Millis(*d.last_collection));
  else w.Null();
  w.EndObject();
  key("lastUpdated"); str(base::FormatRfc3339Millis(now));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

void DashboardModel::Set(DashboardData data) {
  std::lock_guard lock(mu_);
  data_ = std::move(data);
}

std::optional<DashboardData> DashboardModel::Get() const {
  std::lock_guard lock(mu_);
  return data_;
}

base::Expected<base::Ok, kube::ApiError> StatusWithDashboardPublisher::Publish(const StatusReport& report,
                                                                                 base::Millis timeout,
                                                                                 const base::StopSignal* cancel) {
  auto written = status_.Publish(report, timeout, cancel);
  if (!written.ok() || report.error == "Shutting down") return written;
  const std::optional<DashboardData> data = model_.Get();
  if (!data) return written;  // nothing synced yet: no numbers to show
  static const std::map<std::string, std::string> kLabels = {
      {"app.kubernetes.io/name", "kube9-operator"},
      {"app.kubernetes.io/component", "dashboard"},
  };
  auto dashboard = client_.ApplyConfigMap(ns_, kDashboardConfigMapName, kLabels,
                                          {{"dashboard", RenderDashboardJson(*data, report.last_update)}}, timeout,
                                          cancel);
  if (!dashboard.ok() && !last_failed_) {
    log::Warn("cannot write the dashboard ConfigMap",
              {{"configmap", kDashboardConfigMapName}, {"error", dashboard.error().ToString()}});
  } else if (dashboard.ok() && last_failed_) {
    log::Info("dashboard ConfigMap written again", {{"configmap", kDashboardConfigMapName}});
  }
  last_failed_ = !dashboard.ok();
  return written;
}

}  // namespace kube9::sinks
