#include "http/web_config.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/file.h"
#include "http/tls_context.h"

namespace kube9::http {
namespace {

// exporter-toolkit's names; RequireClientCert is its older spelling of RequireAnyClientCert.
const std::vector<std::pair<std::string_view, ClientAuth>> kClientAuthTypes = {
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
};

// exporter-toolkit's closed list of headers, with the values it allows where they are an
// enumeration (empty: any value).
const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kAllowedHeaders = {
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
};

const std::set<std::string_view> kTlsKeys = {
    "cert",          "key",         "client_ca",     "cert_file",         "key_file",
    "client_ca_file", "client_auth_type", "client_allowed_sans", "min_version", "max_version",
    "cipher_suites", "curve_preferences", "prefer_server_cipher_suites"};

// A path relative to the config file's directory (`dir` ends with '/', or is empty for the
// working directory), as exporter-toolkit resolves them.
std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return dir + path;
}

class Parser {
 public:
  explicit Parser(std::string dir) : dir_(std::move(dir)) {}

  WebConfigProblems problems;

  void Problem(std::string text) { problems.push_back(std::move(text)); }

  // A mapping, or null (an empty section); anything else is a problem.
  bool IsMap(const YAML::Node& node, std::string_view where) {
    if (node.IsNull() || node.IsMap()) return true;
    Problem(fmt::format("{}: must be a mapping of keys to values", where));
    return false;
  }

  std::optional<std::string> String(const YAML::Node& node, std::string_view where) {
    if (node.IsNull()) return std::string();
    if (!node.IsScalar()) {
      Problem(fmt::format("{}: must be a string", where));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> Bool(const YAML::Node& node, std::string_view where) {
    bool value = false;
    if (node.IsScalar() && YAML::convert<bool>::decode(node, value)) return value;
    Problem(fmt::format("{}: must be true or false", where));
    return std::nullopt;
  }

  std::vector<std::string> StringList(const YAML::Node& node, std::string_view where) {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsSequence()) {
      Problem(fmt::format("{}: must be a list of strings", where));
      return out;
    }
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        Problem(fmt::format("{}: must be a list of strings", where));
        return {};
      }
      out.push_back(item.Scalar());
    }
    return out;
  }

  std::optional<int> Version(const YAML::Node& node, std::string_view where) {
    auto v = String(node, where);
    if (!v) return std::nullopt;
    if (*v == "TLS12") return kTls12;
    if (*v == "TLS13") return kTls13;
    if (*v == "TLS10" || *v == "TLS11") {
      // Debian's OpenSSL refuses to negotiate them at its default security level; accepting
      // the key would promise what the server cannot do.
      Problem(fmt::format("{}: {} is not supported: the operator speaks TLS 1.2 and 1.3 only (TLS12 or TLS13)", where,
                          *v));
      return std::nullopt;
    }
    Problem(fmt::format("{}: unknown TLS version '{}'; use TLS12 or TLS13", where, *v));
    return std::nullopt;
  }

  void ParseTls(const YAML::Node& node, WebConfig& config) {
    if (!IsMap(node, "tls_server_config") || node.IsNull() || node.size() == 0) return;
    TlsSettings tls;
    bool enabling = false;  // a key that only makes sense with TLS on
    std::set<std::string> given;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      const std::string where = "tls_server_config." + key;
      given.insert(key);
      if (!kTlsKeys.contains(key)) {
        Problem(fmt::format("tls_server_config: unknown key '{}'", key));
      } else if (key == "cert_file") {
        if (auto s = String(v, where)) tls.cert_file = Resolve(dir_, *s);
      } else if (key == "key_file") {
        if (auto s = String(v, where)) tls.key_file = Resolve(dir_, *s);
      } else if (key == "client_ca_file") {
        if (auto s = String(v, where)) tls.client_ca_file = Resolve(dir_, *s);
      } else if (key == "cert") {
        if (auto s = String(v, where)) tls.cert_pem = *s;
      } else if (key == "key") {
        if (auto s = String(v, where)) tls.key_pem = *s;
      } else if (key == "client_ca") {
        if (auto s = String(v, where)) tls.client_ca_pem = *s;
      } else if (key == "client_auth_type") {
        if (auto s = String(v, where); s && !s->empty()) {
          auto it = std::find_if(kClientAuthTypes.begin(), kClientAuthTypes.end(),
                                 [&](const auto& e) { return e.first == *s; });
          if (it == kClientAuthTypes.end()) {
            Problem(fmt::format("{}: unknown value '{}'; use NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                "VerifyClientCertIfGiven or RequireAndVerifyClientCert",
                                where, *s));
          } else {
            tls.client_auth = it->second;
          }
        }
      } else if (key == "client_allowed_sans") {
        tls.client_allowed_sans = StringList(v, where);
      } else if (key == "min_version") {
        if (auto n = Version(v, where)) tls.min_version = *n;
      } else if (key == "max_version") {
        if (auto n = Version(v, where)) tls.max_version = *n;
      } else if (key == "cipher_suites") {
        tls.cipher_suites = StringList(v, where);
        for (const auto& name : tls.cipher_suites) {
          if (!IsKnownCipherSuite(name)) {
            Problem(fmt::format("{}: unknown cipher suite '{}' (use IANA names such as "
                                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
                                where, name));
          }
        }
      } else if (key == "curve_preferences") {
        tls.curve_preferences = StringList(v, where);
        for (const auto& name : tls.curve_preferences) {
          if (!IsKnownCurve(name)) {
            Problem(fmt::format("{}: unknown curve '{}'; use CurveP256, CurveP384, CurveP521 or X25519", where, name));
          }
        }
      } else if (key == "prefer_server_cipher_suites") {
        if (auto b = Bool(v, where)) tls.prefer_server_cipher_suites = *b;
      }
    }
    // exporter-toolkit turns TLS on when any of these is set, and then wants both halves.
    for (const char* k : {"cert", "key", "client_ca", "cert_file", "key_file", "client_ca_file", "client_auth_type"}) {
      if (given.contains(k)) enabling = true;
    }
    if (!enabling) {
      Problem(
          "tls_server_config: has no cert_file and key_file (or cert and key): TLS would be off and these settings "
          "unused; remove the section or add the certificate and key");
      return;
    }
    auto pair = [&](const std::string& file, const std::string& pem, std::string_view file_key,
                    std::string_view pem_key, bool required) {
      if (!file.empty() && !pem.empty()) {
        Problem(fmt::format("tls_server_config: set {} or {}, not both", file_key, pem_key));
      } else if (required && file.empty() && pem.empty()) {
        Problem(fmt::format("tls_server_config: missing {} (or {})", file_key, pem_key));
      }
    };
    pair(tls.cert_file, tls.cert_pem, "cert_file", "cert", true);
    pair(tls.key_file, tls.key_pem, "key_file", "key", true);
    pair(tls.client_ca_file, tls.client_ca_pem, "client_ca_file", "client_ca", false);
    const bool has_ca = !tls.client_ca_file.empty() || !tls.client_ca_pem.empty();
    if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
      Problem(
          "tls_server_config: client_ca_file is set but client_auth_type is NoClientCert: client certificates "
          "would not be asked for; set client_auth_type (RequireAndVerifyClientCert to require them)");
    }
    if (!has_ca && (tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                    tls.client_auth == ClientAuth::kRequireAndVerifyClientCert)) {
      // Go would fall back to the system's public CAs, which is never what a client
      // certificate policy means.
      Problem("tls_server_config: client_auth_type " +
              std::string(tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ? "VerifyClientCertIfGiven"
                                                                                   : "RequireAndVerifyClientCert") +
              " needs client_ca_file (the CA that signs the clients' certificates)");
    }
    if (given.contains("client_allowed_sans") && tls.client_auth != ClientAuth::kRequireAnyClientCert &&
        tls.client_auth != ClientAuth::kRequireAndVerifyClientCert) {
      Problem(
          "tls_server_config: client_allowed_sans needs client_auth_type RequireAnyClientCert or "
          "RequireAndVerifyClientCert (otherwise a client can connect without a certificate to check)");
    }
    if (tls.min_version > tls.max_version) {
      Problem("tls_server_config: min_version is higher than max_version");
    }
    config.tls = std::move(tls);
  }

  void ParseHttp(const YAML::Node& node, WebConfig& config) {
    if (!IsMap(node, "http_server_config") || node.IsNull()) return;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      if (key == "http2") {
        if (auto b = Bool(kv.second, "http_server_config.http2")) config.http2 = *b;
      } else if (key == "headers") {
        if (!IsMap(kv.second, "http_server_config.headers") || kv.second.IsNull()) continue;
        for (const auto& h : kv.second) {
          const std::string name = h.first.Scalar();
          const std::string where = "http_server_config.headers." + name;
          auto allowed = std::find_if(kAllowedHeaders.begin(), kAllowedHeaders.end(),
                                      [&](const auto& e) { return e.first == name; });
          if (allowed == kAllowedHeaders.end()) {
            Problem(fmt::format(
                "http_server_config.headers: header '{}' cannot be configured (allowed: Strict-Transport-Security, "
                "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)",
                name));
            continue;
          }
          auto value = String(h.second, where);
          if (!value) continue;
          if (value->find_first_of("\r\n") != std::string::npos) {
            Problem(fmt::format("{}: must be a single line", where));
            continue;
          }
          const auto& values = allowed->second;
          if (!values.empty() && std::find(values.begin(), values.end(), *value) == values.end()) {
            std::string list;
            for (auto v : values) list += (list.empty() ? "" : " or ") + std::string(v);
            Problem(fmt::format("{}: must be {}, not '{}'", where, list, *value));
            continue;
          }
          if (!value->empty()) config.headers.emplace_back(name, *value);  // blank: unset
        }
      } else {
        Problem(fmt::format("http_server_config: unknown key '{}'", key));
      }
    }
  }

  void ParseUsers(const YAML::Node& node, WebConfig& config) {
    if (!IsMap(node, "basic_auth_users") || node.IsNull()) return;
    for (const auto& kv : node) {
      const std::string user = kv.first.Scalar();
      const std::string where = fmt::format("basic_auth_users.{}", user);
      if (user.empty() || user.find(':') != std::string::npos) {
        // RFC 7617: the user-id cannot contain a colon.
        Problem(fmt::format("basic_auth_users: user name '{}' must be non-empty and without ':'", user));
        continue;
      }
      auto hash = String(kv.second, where);
      if (!hash) continue;
      if (!IsBcryptHash(*hash)) {
        // The hash is not printed: it may be a password written in clear by mistake.
        Problem(fmt::format(
            "{}: not a bcrypt hash ($2a$, $2b$ or $2y$, a cost from 04 to 31 and 53 characters); the password must "
            "be stored hashed, e.g. htpasswd -nBC 10 \"\" | tr -d ':\\n'",
            where));
        continue;
      }
      config.basic_auth_users.emplace(user, *hash);
    }
  }

 private:
  std::string dir_;
};

}  // namespace

bool IsBcryptHash(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') ||
      h[3] != '$' || h[6] != '$') {
    return false;
  }
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return std::all_of(h.begin() + 7, h.end(), [](char c) {
    return c == '.' || c == '/' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

namespace {

// The config as far as it could be read, and every problem found in it.
WebConfig Parse(std::string_view yaml, const std::string& dir, WebConfigProblems& problems) {
  Parser p(dir);
  WebConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    problems.push_back(fmt::format("not valid YAML: {}", e.what()));
    return config;
  }
  if (root.IsNull()) return config;  // an empty file: plain HTTP, no authentication
  if (!root.IsMap()) {
    problems.push_back("must be a YAML mapping of keys to values");
    return config;
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      if (key == "tls_server_config") {
        p.ParseTls(kv.second, config);
      } else if (key == "http_server_config") {
        p.ParseHttp(kv.second, config);
      } else if (key == "basic_auth_users") {
        p.ParseUsers(kv.second, config);
      } else if (key == "rate_limit") {
        p.Problem(
            "rate_limit: not supported by kube9-operator (its HTTP server bounds connections and requests "
            "itself); remove the key");
      } else {
        p.Problem(fmt::format("unknown key '{}' (known: tls_server_config, http_server_config, basic_auth_users)",
                              key));
      }
    }
  } catch (const YAML::Exception& e) {
    p.Problem(fmt::format("unexpected structure: {}", e.what()));
  }
  problems.insert(problems.end(), p.problems.begin(), p.problems.end());
  return config;
}

}  // namespace

base::Expected<WebConfig, WebConfigProblems> ParseWebConfig(std::string_view yaml, const std::string& dir) {
  WebConfigProblems problems;
  WebConfig config = Parse(yaml, dir, problems);
  if (!problems.empty()) return base::Unexpected(std::move(problems));
  return config;
}

base::Expected<WebConfig, WebConfigProblems> LoadWebConfig(const std::string& path) {
  auto text = base::ReadFile(path, kMaxWebFileBytes, base::FileKind::kRegular);
  if (!text.ok()) return base::Unexpected(WebConfigProblems{fmt::format("cannot read it: {}", text.error())});
  const auto slash = path.rfind('/');
  WebConfigProblems problems;
  WebConfig config = Parse(*text, slash == std::string::npos ? "" : path.substr(0, slash + 1), problems);
  if (config.tls) {
    // The certificate, key and CA are checked now, so that a mistake stops the start, and are
    // listed along with the file's other problems (names of suites and curves are already).
    TlsSettings files_only = *config.tls;
    if (!problems.empty()) {
      files_only.cipher_suites.clear();
      files_only.curve_preferences.clear();
    }
    auto ctx = BuildSslContext(files_only);
    if (!ctx.ok()) problems.insert(problems.end(), ctx.error().begin(), ctx.error().end());
  }
  if (!problems.empty()) return base::Unexpected(std::move(problems));
  return config;
}

}  // namespace kube9::http
