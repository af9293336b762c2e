#include <iostream>

#include <fmt/format.h>

#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"
#include "base/version.h"
#include "cmd/commands.h"
#include "gitops/argocd_api.h"
#include "gitops/detection.h"
#include "http/openssl_transport.h"
#include "kube/client.h"
#include "kube/cluster_access.h"
#include "kube/discovery.h"

namespace kube9::cmd {
namespace {

using gitops::ArgoCdError;
using gitops::ArgoCdErrorCode;

constexpr base::Millis kDefaultTimeout{15'000};

constexpr const char* kArgoCdUsage =
    "Usage: kube9-operator query argocd resource-tree get APP [flags]\n\n"
    "Prints the resource tree of Argo CD application APP, as Argo CD's API gives it\n"
    "(GET /api/v1/applications/APP/resource-tree), for the kube9 VS Code extension's application\n"
    "graph. Stdout holds exactly that JSON object; a failure exits non-zero with one line\n"
    "{\"ok\": false, \"code\", \"message\"} on stderr.\n\n"
    "Flags:\n"
    "  -n, --namespace name     Namespace of the Application (Argo CD's appNamespace; default:\n"
    "                           Argo CD's own namespace).\n"
    "  --format json            Output format; json is the only one (and the default).\n"
    "  --timeout duration       How long to wait for Argo CD (1s to 5m, default 15s).\n"
    "  --argocd.ca-file path    PEM CA for argocd-server's certificate (default: $ARGOCD_CA_FILE, else the\n"
    "                           cluster CA of the service account, else the system's CAs).\n"
    "  --log.level level        Log on stderr at this level (default: nothing but the failure line).\n"
    "  -h, --help               Show this help.\n\n"
    "Environment (set by the chart): ARGOCD_NAMESPACE (default argocd), ARGOCD_API_BASE_URL (default\n"
    "https://argocd-server.<ARGOCD_NAMESPACE>.svc), ARGOCD_API_TOKEN_FILE (a file holding an Argo CD\n"
    "API token, read at each run).\n\n"
    "Exit statuses: 0 success; 2 INVALID_ARGUMENT; 3 APPLICATION_NOT_FOUND; 4 ARGOCD_TOKEN_MISSING or\n"
    "ARGOCD_AUTH_FAILED; 5 ARGOCD_RBAC_DENIED; 6 TIMEOUT; 7 ARGOCD_API_UNREACHABLE or ARGOCD_NOT_DETECTED;\n"
    "1 INTERNAL_ERROR.\n";

int Fail(const ArgoCdError& error) {
  std::cerr << base::JsonLine({{"ok", false}, {"code", gitops::CodeName(error.code)}, {"message", error.message}});
  return gitops::ExitStatus(error.code);
}

int Invalid(std::string message) { return Fail(ArgoCdError{ArgoCdErrorCode::kInvalidArgument, std::move(message)}); }

// Argo CD did not answer: is it installed at all? API discovery says, when the cluster can be
// asked (in the pod, always); otherwise the answer stays "unreachable".
ArgoCdError ExplainUnreachable(ArgoCdError error, const config::Environment& env) {
  base::SystemClock clock;
  auto access = kube::ResolveClusterAccess("", "", env, clock);
  if (!access.ok()) {
    log::Debug("cannot ask the API server whether Argo CD is installed", {{"error", access.error()}});
    return error;
  }
  http::OpenSslTransport transport(access->trust, std::string("kube9-operator/") + base::kVersion);
  kube::Client client(std::move(access).value(), transport, clock);
  auto groups = kube::ServedGroups(client, nullptr);
  if (!groups.ok()) return error;
  auto versions = gitops::ArgoCdApiVersions(client, *groups, nullptr);
  if (!versions.ok() || !versions->empty()) return error;
  return ArgoCdError{
      ArgoCdErrorCode::kNotDetected,
      "Argo CD is not installed in this cluster (applications.argoproj.io is not served); " + error.message};
}

int ResourceTreeGet(const std::vector<std::string>& args, const config::Environment& env) {
  auto parsed =
      config::SplitArgs(args, {"--namespace", "-n", "--format", "--timeout", "--argocd.ca-file", "--log.level"});
  if (parsed.help) {
    std::cout << kArgoCdUsage;
    return 0;
  }
  std::string problems;
  for (const auto& p : parsed.problems) problems += (problems.empty() ? "" : "; ") + p;
  std::string app_namespace, ca_file;
  base::Millis timeout = kDefaultTimeout;
  for (const auto& [name, value] : parsed.options) {
    std::string problem;
    if (name == "--namespace" || name == "-n") {
      if (!gitops::IsValidNamespaceName(value)) problem = "is not a namespace name";
      app_namespace = value;
    } else if (name == "--format") {
      if (value != "json") problem = "must be json";
    } else if (name == "--timeout") {
      auto d = base::ParseDuration(value);
      if (!d || *d < std::chrono::seconds(1) || *d > std::chrono::minutes(5))
        problem = "must be a duration from 1s to 5m";
      else
        timeout = *d;
    } else if (name == "--argocd.ca-file") {
      if (value.empty()) problem = "must not be empty";
      ca_file = value;
    } else if (name == "--log.level") {
      if (auto level = log::ParseLevel(value))
        log::Configure(*level, log::Format::kJson);
      else
        problem = "must be one of debug, info, warn, error";
    }
    if (!problem.empty())
      problems += (problems.empty() ? "" : "; ") + fmt::format("flag {}={}: {}", name, value, problem);
  }
  if (parsed.positional.size() != 1) {
    problems += std::string(problems.empty() ? "" : "; ") + "expected exactly one application name, got " +
                std::to_string(parsed.positional.size());
  } else if (!gitops::IsValidApplicationName(parsed.positional[0])) {
    problems += std::string(problems.empty() ? "" : "; ") + "'" + parsed.positional[0] +
                "' is not an application name (a DNS-1123 subdomain)";
  }
  if (!problems.empty()) return Invalid(problems);
  auto settings = gitops::ArgoCdSettingsFromEnv(env);
  if (!settings.ok()) return Invalid(settings.error());
  if (!ca_file.empty()) settings->ca_file = ca_file;
  const std::string& app = parsed.positional[0];
  log::Debug("asking Argo CD for a resource tree", {{"application", app},
                                                    {"namespace", app_namespace},
                                                    {"base_url", settings->base_url},
                                                    {"timeout", base::FormatDuration(timeout)}});
  http::OpenSslTransport transport(gitops::ArgoCdTrust(*settings), std::string("kube9-operator/") + base::kVersion);
  gitops::ArgoCdApi api(*settings, transport);
  auto tree = api.ResourceTree(app, app_namespace, timeout);
  if (!tree.ok()) {
    if (tree.error().code == ArgoCdErrorCode::kApiUnreachable) return Fail(ExplainUnreachable(tree.error(), env));
    return Fail(tree.error());
  }
  std::cout << *tree;
  if (tree->empty() || tree->back() != '\n') std::cout << '\n';
  std::cout.flush();
  if (!std::cout.good()) return Fail(ArgoCdError{ArgoCdErrorCode::kInternal, "cannot write to stdout"});
  return 0;
}

}  // namespace

int QueryArgoCd(const std::vector<std::string>& words, const std::vector<std::string>& args,
                const config::Environment& env) {
  // Only the failure line on stderr unless --log.level asks for more: the extension reads it.
  log::Configure(log::Level::kError, log::Format::kJson);
  const bool help = !args.empty() && (args.front() == "--help" || args.front() == "-h");
  if (words.size() == 3 && words[1] == "resource-tree" && words[2] == "get") {
    try {
      return ResourceTreeGet(args, env);
    } catch (const std::exception& e) {
      return Fail(ArgoCdError{ArgoCdErrorCode::kInternal, e.what()});
    }
  }
  if (help) {
    std::cout << kArgoCdUsage;
    return 0;
  }
  std::string given;
  for (const auto& w : words) given += (given.empty() ? "" : " ") + w;
  return Invalid("unknown query '" + given + "'; expected 'query argocd resource-tree get APP'");
}

}  // namespace kube9::cmd
