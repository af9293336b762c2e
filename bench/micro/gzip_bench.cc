// Compressing a scrape's text (collectors/ksm over bench/micro's synthetic cluster) with
// base::ParallelGzipWriter, as the /metrics endpoint does: written in the text writer's 64 KiB
// pieces into a sink that only counts. Arguments: pods, compressing threads (1: zlib's
// sequential GzipWriter), block KiB. Wall time is what counts (UseRealTime); cpu_ms is the
// whole process's CPU per run (getrusage), workers included, to show what the split costs.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <map>
#include <string>
#include <thread>

#include "base/parallel_gzip.h"
#include "base/thread.h"
#include "bench/micro/synthetic_cluster.h"
#include "collectors/ksm/registry.h"

namespace kube9 {
namespace {

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

const std::string& Text(int pods) {
  static std::map<int, std::string> texts;  // rendered once per size
  std::string& text = texts[pods];
  if (text.empty()) {
    collectors::ksm::Options options;
    options.labels_allowlist["pods"] = {"app"};
    collectors::ksm::KsmStores stores({"nodes", "deployments", "pods"}, options);
    collectors::ksm::synthetic::FeedCluster(stores, pods);
    collectors::ksm::TextWriter w([&](std::string_view chunk) { text += chunk; });
    stores.Render(w);
    w.Flush();
  }
  return text;
}

void BM_Gzip(benchmark::State& state) {
  const std::string& text = Text(static_cast<int>(state.range(0)));
  base::ParallelGzipWriter::Options options;
  options.threads = static_cast<int>(state.range(1));
  options.block_size = static_cast<std::size_t>(state.range(2)) * 1024;
  std::size_t compressed = 0;
  const double cpu_before = ProcessCpuSeconds();
  for (auto _ : state) {
    compressed = 0;
    base::ParallelGzipWriter z([&](std::string_view piece) { compressed += piece.size(); }, options);
    for (std::size_t at = 0; at < text.size(); at += 64 * 1024) z.Write(std::string_view(text).substr(at, 64 * 1024));
    z.Finish();
  }
  const double runs = static_cast<double>(state.iterations());
  state.counters["cpu_ms"] = (ProcessCpuSeconds() - cpu_before) * 1e3 / runs;
  state.counters["plain_bytes"] = static_cast<double>(text.size());
  state.counters["gzip_bytes"] = static_cast<double>(compressed);
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}
BENCHMARK(BM_Gzip)
    ->ArgNames({"pods", "threads", "block_kib"})
    ->Args({1000, 1, 128})
    ->Args({1000, 2, 64})
    ->Args({1000, 2, 128})
    ->Args({1000, 2, 256})
    ->Args({10000, 1, 128})
    ->Args({10000, 2, 128})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// What starting the two workers per scrape costs (against a persistent pool, which would idle
// between scrapes): StartThread and join, twice.
void BM_StartAndJoinTwoThreads(benchmark::State& state) {
  for (auto _ : state) {
    std::thread a = base::StartThread(
        "gzip-1", [] {}, base::LogOnlyThreadFailures());
    std::thread b = base::StartThread(
        "gzip-2", [] {}, base::LogOnlyThreadFailures());
    a.join();
    b.join();
  }
}
BENCHMARK(BM_StartAndJoinTwoThreads)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace kube9
