#include <iostream>
#include <string>
#include <vector>

#include "base/thread.h"
#include "cmd/commands.h"

int main(int argc, char** argv) {
  using namespace kube9;
  base::InstallTerminateHandler();  // the last resort: say what ended the process
  std::vector<std::string> args(argv + 1, argv + argc);
  const config::Environment env = config::ProcessEnvironment();
  std::string command = "serve";
  if (!args.empty() && !args.front().empty() && args.front().front() != '-') {
    command = args.front();
    args.erase(args.begin());
  } else if (!args.empty() && (args.front() == "--help" || args.front() == "-h")) {
    std::cout << cmd::MainUsage();
    return 0;
  } else if (!args.empty() && args.front() == "--version") {
    // The GNU convention, which scripts probe before anything else. Not -v: for Kubernetes
    // tools that is the log verbosity.
    command = "version";
    args.erase(args.begin());
  }
  try {
    if (command == "serve") return cmd::Serve(args, env);
    if (command == "status") return cmd::Status(args, env);
    if (command == "version") return cmd::Version(args);
    if (command == "rbac") return cmd::Rbac(args, env);
    if (command == "collect") return cmd::Collect(args, env);
    if (command == "query") return cmd::Query(args, env);
    if (command == "assess") return cmd::Assess(args, env);
    if (command == "probe") return cmd::Probe(args);
    if (command == "help") {
      std::cout << cmd::MainUsage();
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "kube9-operator " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "kube9-operator: unknown command '" << command << "'\n\n" << cmd::MainUsage();
  return 2;
}
