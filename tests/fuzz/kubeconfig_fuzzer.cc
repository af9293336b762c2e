// Credentials from outside: kubeconfig files (YAML: contexts, clusters, users with tokens, client
// certificates as data or files, exec plugins), and the same bytes as an exec plugin's output
// (an ExecCredential, JSON, which is YAML too). Files named by the kubeconfig are not read from
// disk here (one could name /dev/zero): every file reads as a small PEM. Nothing is run: exec
// plugins are only parsed. What loads names an https server without a trailing slash and has
// credentials; an ExecCredential that parses has a token or a certificate and key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "fuzz_check.h"
#include "kube/cluster_access.h"
#include "kube/credentials.h"

namespace {

kube9::base::Expected<std::string, std::string> ReadFake(const std::string& path) {
  if (path.find("missing") != std::string::npos) {
    return kube9::base::Unexpected(std::string("No such file or directory"));
  }
  return "-----BEGIN CERTIFICATE-----\n" + path + "\n-----END CERTIFICATE-----\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kube9::base::SystemClock clock;
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  // The first line may name the context to use instead of current-context: "#context:<name>".
  std::string context;
  if (yaml.substr(0, 9) == "#context:") context = std::string(yaml.substr(9, yaml.find('\n') - 9));

  auto access = kube9::kube::ParseKubeconfig(yaml, "/kube9-fuzz/kubeconfig", context, clock, ReadFake);
  if (access.ok()) {
    KUBE9_FUZZ_CHECK(access->server.rfind("https://", 0) == 0);
    KUBE9_FUZZ_CHECK(access->server.back() != '/');
    KUBE9_FUZZ_CHECK(access->credentials != nullptr);
  } else {
    KUBE9_FUZZ_CHECK(access.error().rfind("kubeconfig /kube9-fuzz/kubeconfig: ", 0) == 0);
  }
  if (const auto exec = kube9::kube::ParseExecCredential(yaml); exec.ok()) {
    const auto& c = exec->first;
    KUBE9_FUZZ_CHECK(!c.token.empty() || (!c.cert_pem.empty() && !c.key_pem.empty()));
  }
  return 0;
}
