#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"

// The web configuration file of the Prometheus ecosystem (exporter-toolkit's
// --web.config.file): TLS for the HTTP server, client certificates, basic auth with bcrypt
// hashes and a few response headers. Same keys and meanings, so a platform team's existing
// files and habits carry over; what OpenSSL cannot honour is refused by name, never ignored.
namespace kube9::http {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType).
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified (client_allowed_sans may still check it)
  kVerifyClientCertIfGiven,     // verified against the client CA when sent
  kRequireAndVerifyClientCert,  // required and verified against the client CA
};

// Protocol versions as OpenSSL numbers them (TLS1_2_VERSION, TLS1_3_VERSION).
inline constexpr int kTls12 = 0x0303;
inline constexpr int kTls13 = 0x0304;

struct TlsSettings {
  // Either the file (re-read when it changes) or the PEM text itself; file paths are absolute
  // or relative to the working directory (the loader resolves them against the config's
  // directory).
  std::string cert_file, cert_pem;
  std::string key_file, key_pem;
  std::string client_ca_file, client_ca_pem;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  // The client certificate must carry one of these SANs (DNS, e-mail, IP or URI), exactly.
  std::vector<std::string> client_allowed_sans;
  int min_version = kTls12;
  int max_version = kTls13;
  // IANA names (Go's), as written; empty means OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
  // Go names (CurveP256, CurveP384, CurveP521, X25519); empty means OpenSSL's defaults.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;
};

struct WebConfig {
  std::optional<TlsSettings> tls;  // absent: plain HTTP
  // Accepted for compatibility; the operator's server speaks HTTP/1.1 only, which every
  // Prometheus negotiates.
  bool http2 = true;
  // Extra response headers (http_server_config.headers), in file order.
  std::vector<std::pair<std::string, std::string>> headers;
  // User name → bcrypt hash. Empty: no authentication.
  std::map<std::string, std::string, std::less<>> basic_auth_users;
};

using WebConfigProblems = std::vector<std::string>;

// Files larger than this (the config, certificates, keys) are refused: they are a mistake.
inline constexpr std::size_t kMaxWebFileBytes = 1 << 20;

// Reads and validates the file: its YAML, every key and value, and, when TLS is on, the
// certificate, key and client CA themselves (an SSL context is built once). Every problem is
// listed, each a sentence naming the key.
base::Expected<WebConfig, WebConfigProblems> LoadWebConfig(const std::string& path);

// The same for a file's text; relative paths are resolved against `dir` (ending with '/', or
// empty for the working directory).
// Does not read the TLS files (LoadWebConfig does).
base::Expected<WebConfig, WebConfigProblems> ParseWebConfig(std::string_view yaml, const std::string& dir);

// "$2a$", "$2b$" or "$2y$", a two-digit cost from 04 to 31, "$" and 53 characters of bcrypt's
// base64: what htpasswd -B, Python's bcrypt and Go's x/crypto/bcrypt produce.
bool IsBcryptHash(std::string_view hash);

}  // namespace kube9::http
