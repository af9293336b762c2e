#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"

namespace kube9::kube {

// What authenticates one request: a bearer token, a client certificate, or both.
struct Credential {
  std::string token;
  std::string cert_pem;
  std::string key_pem;
};

// Supplies current credentials; implementations refresh them as they rotate. Thread-safe.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual base::Expected<Credential, std::string> Get() = 0;
  // The API server rejected the last credential (401): refresh before the next Get.
  virtual void Invalidate() {}
};

class StaticCredentials final : public CredentialProvider {
 public:
  explicit StaticCredentials(Credential c) : credential_(std::move(c)) {}
  base::Expected<Credential, std::string> Get() override { return credential_; }

 private:
  Credential credential_;
};

// A bearer token in a file that is rotated underneath us (projected service-account tokens
// are refreshed by the kubelet well before they expire): re-read every `refresh` and after a
// 401. If a re-read fails, the last good token is kept.
class TokenFileCredentials final : public CredentialProvider {
 public:
  TokenFileCredentials(std::string path, const base::Clock& clock,
                       base::Millis refresh = std::chrono::seconds(60));
  base::Expected<Credential, std::string> Get() override;
  void Invalidate() override;

 private:
  std::string path_;
  const base::Clock& clock_;
  base::Millis refresh_;
  std::mutex mu_;
  std::string token_;
  std::optional<base::SteadyTime> read_at_;
};

// A kubeconfig `exec` credential plugin (client.authentication.k8s.io ExecCredential).
struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version = "client.authentication.k8s.io/v1";
  std::string working_dir;  // relative commands resolve against the kubeconfig's folder
};

// Runs the plugin when there is no cached credential, when it expires, or after a 401.
class ExecCredentials final : public CredentialProvider {
 public:
  ExecCredentials(ExecConfig config, const base::Clock& clock);
  base::Expected<Credential, std::string> Get() override;
  void Invalidate() override;

 private:
  ExecConfig config_;
  const base::Clock& clock_;
  std::mutex mu_;
  std::optional<Credential> cached_;
  std::optional<base::WallTime> expires_;
};

// Parses a plugin's stdout (an ExecCredential). Exposed for tests.
base::Expected<std::pair<Credential, std::optional<base::WallTime>>, std::string> ParseExecCredential(
    std::string_view json);

}  // namespace kube9::kube
