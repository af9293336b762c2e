// The kube-state-metrics families' text generation (collectors/ksm) over a synthetic cluster
// like bench/load.py's: 100 nodes, 50 namespaces, deployments of 5 pods, pods of two containers
// with requests, limits, statuses and labels. Reports bytes of exposition text per second
// (PERFORMANCE.md: at least 1 GB/s) into a sink that only counts, so that only generation is
// measured.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/micro/synthetic_cluster.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

void BM_RenderFamilies(benchmark::State& state) {
  const int pods = static_cast<int>(state.range(0));
  Options options;
  options.labels_allowlist["pods"] = {"app"};
  KsmStores stores({"nodes", "deployments", "pods"}, options);
  synthetic::FeedCluster(stores, pods);
  std::size_t bytes = 0;
  for (auto _ : state) {
    TextWriter w([&](std::string_view chunk) {
      bytes += chunk.size();
      benchmark::DoNotOptimize(chunk.data());
    });
    stores.Render(w);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["bytes_per_scrape"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RenderFamilies)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kube9::collectors::ksm
