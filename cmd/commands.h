#pragma once

#include <string>
#include <vector>

#include "config/config.h"

// The commands of the kube9-operator binary. Each returns the process exit code.
namespace kube9::cmd {

int Serve(const std::vector<std::string>& args, const config::Environment& env);
int Status(const std::vector<std::string>& args, const config::Environment& env);
int Version(const std::vector<std::string>& args);
int Collect(const std::vector<std::string>& args, const config::Environment& env);
int Rbac(const std::vector<std::string>& args, const config::Environment& env);
// `query events list` and `query argocd resource-tree get`: stdout is one JSON document,
// failures one JSON object on stderr.
int Query(const std::vector<std::string>& args, const config::Environment& env);
// `query argocd ...` (`words` are the subcommand's words, starting with "argocd"): failures are
// {"ok": false, "code", "message"} with docs/PRODUCT.md §11's exit statuses.
int QueryArgoCd(const std::vector<std::string>& words, const std::vector<std::string>& args,
                const config::Environment& env);
// `assess run|list|summary`: the Well-Architected assessment (docs/assessment.md).
int Assess(const std::vector<std::string>& args, const config::Environment& env);

// `probe /healthz|/readyz` over serve's --web.probe-socket: for an exec probe.
int Probe(const std::vector<std::string>& args);

std::string MainUsage();
// config::ParseServeConfig with --collectors checked against the collectors there are.
base::Expected<config::Config, config::Problems> ParseServeFlags(const std::vector<std::string>& args,
                                                                 const config::Environment& env);
// Prints each problem on stderr under a heading and returns exit code 2.
int ReportProblems(const std::string& command, const config::Problems& problems);
// No usable cluster access (kubeconfig, in-cluster files): a configuration problem, so exit
// code 2 in every command that talks to the API server. Prints it on stderr.
int ReportClusterAccessProblem(const std::string& command, const std::string& error);

}  // namespace kube9::cmd
