#include <iostream>

#include "base/version.h"
#include "cmd/commands.h"
#include "collectors/registry.h"

namespace kube9::cmd {

base::Expected<config::Config, config::Problems> ParseServeFlags(const std::vector<std::string>& args,
                                                                 const config::Environment& env) {
  return config::ParseServeConfig(args, env, &collectors::ResolveCollectorNames);
}

std::string MainUsage() {
  return "Usage: kube9-operator [command] [flags]\n\n"
         "A small, secure agent that watches a Kubernetes cluster and publishes its health as\n"
         "Prometheus metrics, a status ConfigMap for the kube9 VS Code extension and, in Pro tier,\n"
         "sanitized aggregates to kube9-server.\n\n"
         "Commands:\n"
         "  serve     Run the operator (the default when no command is given).\n"
         "  status    Read the status ConfigMap and print it readably.\n"
         "  rbac      Print the least-privilege ClusterRole and Role the operator needs.\n"
         "  collect   Print the sanitized payload a Pro tier collection would upload (--dry-run).\n"
         "  query     JSON for the VS Code extension: the events history (query events list), an Argo CD\n"
         "            application's resource tree (query argocd resource-tree get APP).\n"
         "  assess    Run the Well-Architected assessment once (CI gate), list its checks, or print the last result.\n"
         "  probe     Ask the operator in this pod for /healthz or /readyz on its probe socket (exec probes).\n"
         "  version   Print the version (also: kube9-operator --version).\n\n"
         "Run 'kube9-operator <command> --help' for a command's flags.\n";
}

int ReportProblems(const std::string& command, const config::Problems& problems) {
  std::cerr << "kube9-operator " << command << ": invalid configuration (" << problems.size()
            << (problems.size() == 1 ? " problem" : " problems") << "):\n";
  for (const auto& p : problems) std::cerr << "  - " << p << "\n";
  std::cerr << "Run 'kube9-operator " << command << " --help' for usage.\n";
  return 2;
}

int ReportClusterAccessProblem(const std::string& command, const std::string& error) {
  std::cerr << "kube9-operator " << command << ": " << error << "\n";
  return 2;
}

int Version(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << "Usage: kube9-operator version\n\nPrints the operator's version and build commit.\n";
      return 0;
    }
    return ReportProblems("version", {"unexpected argument '" + a + "'"});
  }
  std::cout << "kube9-operator " << base::kVersion << " (commit " << base::kGitCommit << ")\n";
  return 0;
}

}  // namespace kube9::cmd
