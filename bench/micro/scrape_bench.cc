// A whole `/metrics` scrape with the kube-state-metrics families, as a client sees it: the
// real exporter::Endpoints behind the real http::Server, a synthetic cluster's families (as
// ksm_render_bench), and a client over loopback that sends the request and reads the chunked
// body to the end (Connection: close), timed from the request to the last byte, like the
// bench's curl. Arguments: pods, gzip (0/1), the client's read size (curl's tool reads 100 KiB
// at a time). Wall time is what counts (UseRealTime): the render, the hand-over to the I/O
// thread and the socket all run on different threads.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "base/clock.h"
#include "bench/micro/synthetic_cluster.h"
#include "exporter/endpoints.h"
#include "exporter/health.h"
#include "exporter/operator_metrics.h"
#include "http/server.h"

namespace kube9 {
namespace {

// CPU seconds so far of each thread of this process, by name (/proc/self/task/*/stat).
std::map<std::string, double> ThreadCpu() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    std::getline(in, line);
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    std::string name = line.substr(open + 1, close - open - 1);
    if (name.starts_with("http-worker")) name = "http-worker";
    out[name] += (utime + stime) / tick;
  }
  return out;
}

// Reads one reply to EOF; returns the bytes read (head, framing and body).
std::size_t Scrape(int port, bool gzip, std::size_t read_size, std::vector<char>& buf) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
  const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n") +
                              (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
  if (send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) std::abort();
  buf.resize(read_size);
  std::size_t total = 0;
  while (true) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
  close(fd);
  return total;
}

class Fixture {
 public:
  explicit Fixture(int pods)
      : stores_({"nodes", "deployments", "pods"}, Options()),
        metrics_(registry_),
        health_(clock_),
        endpoints_("/metrics", {&registry_}, health_, metrics_, [] { return exporter::LandingInfo{}; }) {
    collectors::ksm::synthetic::FeedCluster(stores_, pods);
    endpoints_.AddKsmFamilies(&stores_, true);
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    auto started = http::Server::Start(options, endpoints_);
    if (!started.ok()) std::abort();
    server_ = std::move(started).value();
  }
  int port() const { return server_->port(); }

 private:
  static collectors::ksm::Options Options() {
    collectors::ksm::Options options;
    options.labels_allowlist["pods"] = {"app"};
    return options;
  }
  collectors::ksm::KsmStores stores_;
  prometheus::Registry registry_;
  exporter::OperatorMetrics metrics_;
  base::SystemClock clock_;
  exporter::HealthState health_;
  exporter::Endpoints endpoints_;
  std::unique_ptr<http::Server> server_;
};

void BM_Scrape(benchmark::State& state) {
  static std::map<int, std::unique_ptr<Fixture>> fixtures;  // built once per size
  const int pods = static_cast<int>(state.range(0));
  auto& fixture = fixtures[pods];
  if (!fixture) fixture = std::make_unique<Fixture>(pods);
  const bool gzip = state.range(1) != 0;
  const auto read_size = static_cast<std::size_t>(state.range(2));
  std::vector<char> buf;
  std::size_t bytes = 0;
  const auto cpu_before = ThreadCpu();
  for (auto _ : state) bytes += Scrape(fixture->port(), gzip, read_size, buf);
  // Each thread's CPU per scrape, in ms (10 ms resolution over all iterations).
  for (const auto& [name, seconds] : ThreadCpu()) {
    const auto before = cpu_before.find(name);
    const double spent = seconds - (before == cpu_before.end() ? 0.0 : before->second);
    state.counters["cpu_ms_" + name] = spent * 1e3 / static_cast<double>(state.iterations());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["bytes_per_scrape"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Scrape)
    ->ArgNames({"pods", "gzip", "read"})
    ->Args({10000, 0, 100 << 10})
    ->Args({10000, 1, 100 << 10})
    ->Args({1000, 0, 100 << 10})
    ->Args({1000, 1, 100 << 10})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kube9
