#include <iostream>

#include "base/time_format.h"
#include "cmd/commands.h"
#include "http/unix_client.h"

namespace kube9::cmd {
namespace {

constexpr const char* kUsage =
    "Usage: kube9-operator probe --socket PATH [--timeout DURATION] /healthz|/readyz\n\n"
    "Asks the operator running in this pod for its liveness (/healthz) or readiness (/readyz) on\n"
    "its probe socket (serve --web.probe-socket), for an exec probe when the HTTP port requires\n"
    "client certificates, which the kubelet's HTTP probes cannot present. Prints the operator's\n"
    "answer on stdout; exit code 0 when it answered 2xx, 1 otherwise (or no answer: why on\n"
    "stderr), 2 for invalid flags.\n\nFlags:\n"
    "  --socket PATH        The operator's --web.probe-socket.\n"
    "  --timeout DURATION   For the whole exchange (default 5s; keep it under the probe's\n"
    "                       timeoutSeconds).\n"
    "  -h, --help           Show this help.\n";

}  // namespace

int Probe(const std::vector<std::string>& args) {
  const config::ParsedArgs parsed = config::SplitArgs(args, {"--socket", "--timeout"});
  if (parsed.help) {
    std::cout << kUsage;
    return 0;
  }
  config::Problems problems = parsed.problems;
  std::string socket, target;
  base::Millis timeout{5000};
  for (const auto& [name, value] : parsed.options) {
    if (name == "--socket") {
      socket = value;  // empty: "--socket is required" below
    } else if (auto d = base::ParseDuration(value); !d || d->count() <= 0) {
      problems.push_back("--timeout: must be a positive duration such as 5s or 500ms");
    } else {
      timeout = *d;
    }
  }
  for (const std::string& a : parsed.positional) {
    if (a != "/healthz" && a != "/readyz") {
      problems.push_back("unexpected argument '" + a + "' (expected /healthz or /readyz)");
    } else if (!target.empty()) {
      problems.push_back("only one of /healthz and /readyz");
    } else {
      target = a;
    }
  }
  if (socket.empty()) problems.push_back("--socket is required");
  if (target.empty()) problems.push_back("/healthz or /readyz is required");
  if (!problems.empty()) return ReportProblems("probe", problems);

  auto response = http::GetOverUnixSocket(socket, target, timeout);
  if (!response.ok()) {
    std::cerr << "kube9-operator probe: " << response.error() << "\n";
    return 1;
  }
  std::cout << response->body;
  if (response->status >= 200 && response->status < 300) return 0;
  std::cerr << "kube9-operator probe: " << target << " answered " << response->status << "\n";
  return 1;
}

}  // namespace kube9::cmd
