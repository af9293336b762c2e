#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/expected.h"
#include "base/json.h"
#include "config/config.h"
#include "http/openssl_transport.h"
#include "http/transport.h"

// The Argo CD API as `kube9-operator query argocd resource-tree get` and the status probe
// use it (docs/PRODUCT.md §11): the resource tree of one application, with a bearer token
// read from a file. Failures carry the codes and exit statuses the VS Code extension knows.
namespace kube9::gitops {

enum class ArgoCdErrorCode {
  kInvalidArgument,      // 2
  kApplicationNotFound,  // 3
  kTokenMissing,         // 4
  kAuthFailed,           // 4
  kRbacDenied,           // 5
  kTimeout,              // 6
  kApiUnreachable,       // 7
  kNotDetected,          // 7
  kInternal,             // 1
};

std::string_view CodeName(ArgoCdErrorCode code);  // "APPLICATION_NOT_FOUND", ...
int ExitStatus(ArgoCdErrorCode code);

struct ArgoCdError {
  ArgoCdErrorCode code = ArgoCdErrorCode::kInternal;
  std::string message;  // never holds the token

  bool operator==(const ArgoCdError&) const = default;
};

// How to reach Argo CD, from the container's environment (the chart sets it; a command run by
// `kubectl exec` gets the same environment).
struct ArgoCdSettings {
  std::string ns = "argocd";  // ARGOCD_NAMESPACE
  std::string base_url;       // ARGOCD_API_BASE_URL, else https://argocd-server.<ns>.svc; no trailing /
  std::string token_file;     // ARGOCD_API_TOKEN_FILE; "" when not configured
  // ARGOCD_CA_FILE (or --argocd.ca-file): the CA that signed argocd-server's certificate; else
  // the cluster CA mounted with the service account when it exists, else the system's CAs.
  std::string ca_file;
};

inline constexpr const char* kServiceAccountCaFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

// What to trust for argocd-server's certificate: ca_file when set; else, for https, the
// cluster CA when it is mounted at `sa_ca_file`; else the system's CAs.
http::TlsTrust ArgoCdTrust(const ArgoCdSettings& settings, const std::string& sa_ca_file = kServiceAccountCaFile);

// Checks and completes the four settings ("" = not given). The error names the variable and
// what is wrong with it.
base::Expected<ArgoCdSettings, std::string> MakeArgoCdSettings(const std::string& ns, const std::string& base_url,
                                                               const std::string& token_file,
                                                               const std::string& ca_file);
// The same from the environment: ARGOCD_NAMESPACE, ARGOCD_API_BASE_URL, ARGOCD_API_TOKEN_FILE,
// ARGOCD_CA_FILE.
base::Expected<ArgoCdSettings, std::string> ArgoCdSettingsFromEnv(const config::Environment& env);

// The resource tree of a large application (thousands of nodes) is a few MiB: 16 MiB bounds
// what the command holds, and it is validated without building a document.
inline constexpr base::JsonLimits kResourceTreeJson{16 << 20, 64};
// /api/v1/session/userinfo: a user name, an issuer and a few groups.
inline constexpr base::JsonLimits kUserInfoJson{64 << 10, 8};
// A token file holds one token (an Argo CD JWT is under 1 KiB).
inline constexpr std::size_t kMaxTokenFileBytes = 64 << 10;

// Application names are DNS-1123 subdomains, namespaces DNS-1123 labels: checked before either
// goes into a URL.
bool IsValidApplicationName(std::string_view name);
bool IsValidNamespaceName(std::string_view name);

// Pure: what a non-2xx answer of Argo CD means. `body` is its error JSON ({"error", "code",
// "message"}), whose message is quoted when present; `application` names the app for a 404.
ArgoCdError ErrorFromResponse(int status, std::string_view body, std::string_view application);
// Pure: a request that got no answer.
ArgoCdError ErrorFromTransport(const http::TransportError& error, std::string_view base_url);

class ArgoCdApi {
 public:
  ArgoCdApi(ArgoCdSettings settings, http::Transport& transport);

  // GET {base}/api/v1/applications/{app}/resource-tree?appNamespace={ns} (ns may be empty:
  // Argo CD's own namespace). The body as Argo CD sent it, checked to be one JSON object.
  base::Expected<std::string, ArgoCdError> ResourceTree(std::string_view application, std::string_view app_namespace,
                                                        base::Millis timeout, const base::StopSignal* cancel = nullptr);

  // Whether ResourceTree would get past Argo CD's door now: a token is configured and
  // readable, Argo CD answers, and it accepts the token (GET /api/v1/session/userinfo says
  // loggedIn). Argo CD's RBAC is not checked: a token that may not read the application
  // passes here and gets ARGOCD_RBAC_DENIED from the command.
  base::Expected<base::Ok, ArgoCdError> Probe(base::Millis timeout, const base::StopSignal* cancel = nullptr);

  const ArgoCdSettings& settings() const { return settings_; }

 private:
  // The token, read at every call so that a rotated Secret is picked up.
  base::Expected<std::string, ArgoCdError> Token() const;
  base::Expected<http::Response, ArgoCdError> Get(const std::string& path_and_query, const std::string& token,
                                                  base::Millis timeout, std::size_t max_bytes,
                                                  const base::StopSignal* cancel);

  ArgoCdSettings settings_;
  http::Transport& transport_;
};

}  // namespace kube9::gitops
