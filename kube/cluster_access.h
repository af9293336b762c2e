#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "config/config.h"
#include "http/openssl_transport.h"
#include "kube/credentials.h"

namespace kube9::kube {

// Where the API server is and how to trust and authenticate to it.
struct ClusterAccess {
  std::string server;  // e.g. https://10.96.0.1:443, no trailing slash
  http::TlsTrust trust;
  std::shared_ptr<CredentialProvider> credentials;
  std::string source;  // "in-cluster" or the kubeconfig path, for logs
};

// Checks that YAML text keeps within kMaxYamlFlowDepth, kMaxYamlIndent and kMaxYamlNodes
// (estimated from the indicators, erring high) before yaml-cpp spends memory on it: its
// own recursion guard comes only after the scanner has gone quadratic on `- - - - ...`. The
// error completes a sentence about the text. Exposed for tests.
std::optional<std::string> CheckYamlShape(std::string_view yaml);

// Reads a kubeconfig (at most kMaxKubeconfigBytes, shape checked): `context` or else its current-context; bearer token, token file,
// client certificate/key (data or files), exec plugins; CA as data or file. TLS
// verification cannot be turned off: insecure-skip-tls-verify is refused.
base::Expected<ClusterAccess, std::string> LoadKubeconfig(const std::string& path, const std::string& context,
                                                          const base::Clock& clock);

// Several kubeconfigs merged as kubectl merges KUBECONFIG=a:b: clusters, users and contexts by
// name, the first file to define a name winning; the current-context of the first file that
// has one; relative paths in an entry resolved against the directory of the file defining it.
// With `skip_missing`, files that do not exist are skipped (an error only when none exists).
base::Expected<ClusterAccess, std::string> LoadKubeconfigs(const std::vector<std::string>& paths,
                                                           const std::string& context, const base::Clock& clock,
                                                           bool skip_missing);

// How the files a kubeconfig names (client certificate and key) are read.
using FileReader = std::function<base::Expected<std::string, std::string>(const std::string& path)>;
// The real one: the file, at most kMaxCredentialFileBytes of it.
base::Expected<std::string, std::string> ReadCredentialFile(const std::string& path);

// One kubeconfig from its text, as LoadKubeconfig reads it from a file (shape checked, then
// parsed): `path` names it in messages and is where relative file names resolve from. Exposed
// for tests and the fuzzer.
base::Expected<ClusterAccess, std::string> ParseKubeconfig(std::string_view yaml, const std::string& path,
                                                           const std::string& context, const base::Clock& clock,
                                                           const FileReader& read = ReadCredentialFile);

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, the mounted CA and the token file.
base::Expected<ClusterAccess, std::string> LoadInCluster(const config::Environment& env, const base::Clock& clock,
                                                         const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The usual order: an explicit kubeconfig, then $KUBECONFIG (every entry, merged), then in-cluster
// when KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
base::Expected<ClusterAccess, std::string> ResolveClusterAccess(const std::string& kubeconfig_flag,
                                                                const std::string& context,
                                                                const config::Environment& env,
                                                                const base::Clock& clock);

}  // namespace kube9::kube
