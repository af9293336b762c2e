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
  std::string socket, target;
  base::Millis timeout{5000};
  config::Problems problems;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    std::string name = a, value;
    bool has_value = false;
    if (const auto eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (name == "--socket" || name == "--timeout") {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          problems.push_back(name + ": needs a value");
          continue;
        }
        value = args[++i];
      }
      if (name == "--socket") {
        socket = value;  // empty: "--socket is required" below
      } else if (auto d = base::ParseDuration(value); !d || d->count() <= 0) {
        problems.push_back("--timeout: must be a positive duration such as 5s or 500ms");
      } else {
        timeout = *d;
      }
    } else if (a == "/healthz" || a == "/readyz") {
      if (!target.empty()) problems.push_back("only one of /healthz and /readyz");
      target = a;
    } else {
      problems.push_back("unexpected argument '" + a + "' (expected /healthz or /readyz)");
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
