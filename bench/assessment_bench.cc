// The assessment's cost at a given cluster size, in process (make bench runs it; docs/benchmarks.md):
// fills the stores with synthetic objects shaped like bench/load.py's (Deployments of 1 to 19
// replicas with realistic pod templates, their pods with 1 to 3 containers, nodes), then runs
// the whole catalogue as the operator does (over a sample's aggregates, keeping the report and
// rendering the metrics) and prints one JSON object: run time (median and max of the runs),
// RSS before and after the first run (after malloc_trim, as the operator does after a sample),
// and the size of the records the assessment reads.
//
// Usage: assessment_bench [pods=10000] [nodes=500] [runs=20]
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "assessment/engine.h"
#include "collectors/aggregates.h"
#include "collectors/registry.h"
#include "exporter/assessment_metrics.h"

namespace {

using namespace kube9;

long StatusKib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size() + 1));
  }
  return -1;
}

void Add(collectors::ClusterStores& stores, std::string_view collector, const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  const_cast<collectors::StoreBase*>(stores.FindByName(collector))->OnEvent(kube::EventType::kAdded, d);
}

std::string Container(int i, bool sidecar) {
  return fmt::format(
      R"({{"name":"c{}","image":"registry.example.com/app:{}","resources":{{"requests":{{"cpu":"{}m","memory":"{}Mi"}},)"
      R"("limits":{{"cpu":"{}m","memory":"{}Mi"}}}},"ports":[{{"name":"http","containerPort":8080}}],)"
      R"("env":[{{"name":"LOG_LEVEL","value":"info"}},{{"name":"DB_PASSWORD","valueFrom":{{"secretKeyRef":{{"name":"db","key":"p"}}}}}}],)"
      R"("livenessProbe":{{"httpGet":{{"path":"/healthz","port":8080}}}},"readinessProbe":{{"httpGet":{{"path":"/ready","port":8080}}}},)"
      R"("securityContext":{{"runAsNonRoot":{},"allowPrivilegeEscalation":false,"capabilities":{{"drop":["ALL"]}}}},)"
      R"("volumeMounts":[{{"name":"data","mountPath":"/data"}}]}})",
      i, i % 7, sidecar ? 50 : 100 + i % 400, sidecar ? 64 : 128 + i % 512, sidecar ? 200 : 500 + i % 1000,
      sidecar ? 128 : 256 + i % 1024, i % 5 != 0 ? "true" : "false");
}

std::string PodSpec(int i) {
  std::string containers = Container(i, false);
  for (int s = 0; s < i % 3; ++s) containers += "," + Container(i + s + 1, true);
  return fmt::format(
      R"({{"serviceAccountName":"app","containers":[{}],"volumes":[{{"name":"data","emptyDir":{{}}}}]{}}})", containers,
      i % 4 == 0 ? R"(,"topologySpreadConstraints":[{"maxSkew":1}])" : "");
}

}  // namespace

int main(int argc, char** argv) {
  const int pods = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const int nodes = argc > 2 ? std::atoi(argv[2]) : 500;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 20;
  collectors::ClusterStores stores;
  for (const auto& r : collectors::Registry()) {
    if (r.add_store != nullptr) r.add_store(stores);
  }
  std::mt19937 rng(42);
  for (int n = 0; n < nodes; ++n) {
    Add(stores, "nodes",
        fmt::format(
            R"({{"metadata":{{"uid":"node-{}","name":"node-{}","labels":{{"topology.kubernetes.io/zone":"z{}"}}}},)"
            R"("status":{{"allocatable":{{"cpu":"8","memory":"32Gi"}},"conditions":[{{"type":"Ready","status":"True"}}]}}}})",
            n, n, n % 3));
  }
  int made = 0, deployment = 0;
  while (made < pods) {
    const int replicas = std::min(pods - made, 1 + static_cast<int>(rng() % 19));
    const std::string ns = fmt::format("ns-{}", deployment % 50);
    const std::string spec = PodSpec(deployment);
    Add(stores, "deployments",
        fmt::format(R"({{"metadata":{{"uid":"d-{}","namespace":"{}","name":"app-{}","labels":{{"app":"app-{}"}}}},)"
                    R"("spec":{{"replicas":{},"template":{{"metadata":{{"labels":{{"app":"app-{}"}}}},"spec":{}}}}},)"
                    R"("status":{{"readyReplicas":{},"availableReplicas":{}}}}})",
                    deployment, ns, deployment, deployment, replicas, deployment, spec, replicas, replicas));
    for (int r = 0; r < replicas; ++r, ++made) {
      Add(stores, "pods",
          fmt::format(R"({{"metadata":{{"uid":"p-{}","namespace":"{}","name":"app-{}-{}"}},"spec":{},)"
                      R"("status":{{"phase":"Running","containerStatuses":[{{"restartCount":0}}]}}}})",
                      made, ns, deployment, r, spec));
    }
    ++deployment;
  }
  const base::SystemClock clock;
  const auto sample = collectors::Aggregate(stores, clock.WallNow(), "v1.31.0");
  malloc_trim(0);
  const long rss_before = StatusKib("VmRSS:");
  const long anon_before = StatusKib("RssAnon:");

  assessment::LastRun last;
  exporter::AssessmentMetrics metrics;
  std::vector<double> ms;
  const auto checks = assessment::CatalogueChecks();
  long rss_after_first = 0, anon_after_first = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    assessment::Report report =
        assessment::Run(checks, {}, assessment::Inputs{stores, clock.WallNow(), {}, &sample}, clock);
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    metrics.Update(report);
    last.Set(std::move(report));
    if (i == 0) {
      malloc_trim(0);
      rss_after_first = StatusKib("VmRSS:");
      anon_after_first = StatusKib("RssAnon:");
    }
  }
  malloc_trim(0);
  const long rss_after = StatusKib("VmRSS:");
  // The slowest checks of the last run, to see where the time goes.
  std::vector<assessment::CheckRun> by_time = last.Get()->checks;
  std::sort(by_time.begin(), by_time.end(), [](const auto& a, const auto& b) { return a.took > b.took; });
  std::string slowest;
  for (std::size_t i = 0; i < by_time.size() && i < 3; ++i) {
    slowest += fmt::format("{}\"{}\": {:.2f}", i == 0 ? "" : ", ", by_time[i].info->id,
                           std::chrono::duration<double, std::milli>(by_time[i].took).count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const auto totals = last.Get()->totals();
  std::printf(
      "{\"pods\": %d, \"nodes\": %d, \"deployments\": %d, \"checks\": %lld, \"runs\": %d, "
      "\"run_ms_first\": %.2f, \"run_ms_median\": %.2f, \"run_ms_max\": %.2f, "
      "\"rss_kib_before\": %ld, \"rss_kib_after_first_run\": %ld, \"rss_kib_after_all_runs\": %ld, "
      "\"rss_anon_kib_before\": %ld, \"rss_anon_kib_after_first_run\": %ld, "
      "\"sizeof_pod_info\": %zu, \"sizeof_workload_info\": %zu, \"sizeof_workload_template\": %zu, "
      "\"failing\": %lld, \"warning\": %lld, \"passing\": %lld, \"slowest_ms\": {%s}}\n",
      pods, nodes, deployment, static_cast<long long>(totals.total), runs, ms.front(), sorted[sorted.size() / 2],
      sorted.back(), rss_before, rss_after_first, rss_after, anon_before, anon_after_first, sizeof(collectors::PodInfo),
      sizeof(collectors::WorkloadInfo), sizeof(collectors::WorkloadTemplate), static_cast<long long>(totals.failed),
      static_cast<long long>(totals.warning), static_cast<long long>(totals.passed), slowest.c_str());
  return 0;
}
