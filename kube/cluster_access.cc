#include "kube/cluster_access.h"

#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/file.h"

namespace kube9::kube {
namespace {

namespace fs = std::filesystem;

bool Base64Decode(std::string_view in, std::string& out) {
  static constexpr unsigned char kInvalid = 0xff;
  unsigned char table[256];
  std::fill(std::begin(table), std::end(table), kInvalid);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  out.clear();
  unsigned int acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    unsigned char v = table[static_cast<unsigned char>(c)];
    if (v == kInvalid) return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string Resolve(const fs::path& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base_dir / p).string();
}

// Finds entry `name` in a kubeconfig list (clusters, users, contexts) and returns its `key`.
// (A default-constructed YAML::Node is a defined null, hence the optional.)
std::optional<YAML::Node> FindNamed(const YAML::Node& list, const std::string& name, const char* key) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name && item[key] && item[key].IsMap()) return item[key];
  }
  return std::nullopt;
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].as<std::string>() : std::string();
}

// Reads PEM from `<key>-data` (base64) or the file `<key>`; "" when neither is set.
base::Expected<std::string, std::string> PemFrom(const YAML::Node& n, const std::string& key,
                                                 const fs::path& dir) {
  if (std::string data = Str(n, (key + "-data").c_str()); !data.empty()) {
    std::string pem;
    if (!Base64Decode(data, pem)) return base::Unexpected(fmt::format("{}-data is not valid base64", key));
    return pem;
  }
  if (std::string file = Str(n, key.c_str()); !file.empty()) {
    auto content = base::ReadFile(Resolve(dir, file));
    if (!content.ok()) {
      return base::Unexpected(fmt::format("cannot read {} {}: {}", key, Resolve(dir, file), content.error()));
    }
    return *content;
  }
  return std::string();
}

}  // namespace

base::Expected<ClusterAccess, std::string> LoadKubeconfig(const std::string& path, const std::string& context,
                                                          const base::Clock& clock) {
  auto fail = [&path](const std::string& why) {
    return base::Unexpected(fmt::format("kubeconfig {}: {}", path, why));
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return fail("cannot be read");
  } catch (const YAML::Exception& e) {
    return fail(std::string("is not valid YAML: ") + e.what());
  }
  const fs::path dir = fs::absolute(path).parent_path();
  try {
    const std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
    if (ctx_name.empty()) return fail("has no current-context");
    auto found_ctx = FindNamed(root["contexts"], ctx_name, "context");
    if (!found_ctx) return fail(fmt::format("has no context named '{}'", ctx_name));
    const YAML::Node ctx = *found_ctx;
    auto found_cluster = FindNamed(root["clusters"], Str(ctx, "cluster"), "cluster");
    if (!found_cluster) return fail(fmt::format("has no cluster named '{}'", Str(ctx, "cluster")));
    const YAML::Node cluster = *found_cluster;
    auto found_user = FindNamed(root["users"], Str(ctx, "user"), "user");
    if (!found_user && !Str(ctx, "user").empty()) return fail(fmt::format("has no user named '{}'", Str(ctx, "user")));
    const YAML::Node user = found_user.value_or(YAML::Node());

    ClusterAccess access;
    access.source = path;
    access.server = Str(cluster, "server");
    while (!access.server.empty() && access.server.back() == '/') access.server.pop_back();
    if (access.server.rfind("https://", 0) != 0) {
      return fail(fmt::format("cluster server '{}' is not an https:// URL", access.server));
    }
    if (cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>()) {
      return fail("insecure-skip-tls-verify is set; kube9-operator always verifies the API server's certificate");
    }
    if (std::string data = Str(cluster, "certificate-authority-data"); !data.empty()) {
      if (!Base64Decode(data, access.trust.ca_pem)) return fail("certificate-authority-data is not valid base64");
    } else if (std::string file = Str(cluster, "certificate-authority"); !file.empty()) {
      access.trust.ca_file = Resolve(dir, file);
      if (!fs::exists(access.trust.ca_file)) return fail(fmt::format("cannot read certificate-authority {}", access.trust.ca_file));
    }

    Credential static_cred;
    if (found_user) {
      auto cert = PemFrom(user, "client-certificate", dir);
      if (!cert.ok()) return fail(cert.error());
      auto key = PemFrom(user, "client-key", dir);
      if (!key.ok()) return fail(key.error());
      if (cert->empty() != key->empty()) return fail("client certificate and client key must be given together");
      static_cred.cert_pem = *cert;
      static_cred.key_pem = *key;
      static_cred.token = Str(user, "token");
      if (YAML::Node exec = user["exec"]; exec) {
        ExecConfig ec;
        ec.command = Str(exec, "command");
        if (ec.command.empty()) return fail("exec plugin has no command");
        if (std::string v = Str(exec, "apiVersion"); !v.empty()) ec.api_version = v;
        if (exec["args"]) for (const auto& a : exec["args"]) ec.args.push_back(a.as<std::string>());
        if (exec["env"]) {
          for (const auto& e : exec["env"]) ec.env.emplace_back(Str(e, "name"), Str(e, "value"));
        }
        ec.working_dir = dir.string();
        access.credentials = std::make_shared<ExecCredentials>(std::move(ec), clock);
      } else if (std::string token_file = Str(user, "tokenFile"); !token_file.empty() && static_cred.token.empty()) {
        if (!static_cred.cert_pem.empty()) return fail("tokenFile together with a client certificate is not supported");
        access.credentials = std::make_shared<TokenFileCredentials>(Resolve(dir, token_file), clock);
      } else if (user["auth-provider"]) {
        return fail("auth-provider plugins are not supported; use an exec credential plugin");
      } else if (!Str(user, "username").empty()) {
        return fail("basic authentication (username/password) is not supported");
      }
    }
    if (!access.credentials) access.credentials = std::make_shared<StaticCredentials>(static_cred);
    return access;
  } catch (const YAML::Exception& e) {
    return fail(std::string("has an unexpected shape: ") + e.what());
  }
}

base::Expected<ClusterAccess, std::string> LoadInCluster(const config::Environment& env, const base::Clock& clock,
                                                         const std::string& sa_dir) {
  auto host = env.find("KUBERNETES_SERVICE_HOST");
  auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || host->second.empty()) {
    return base::Unexpected(std::string("not running in a cluster: KUBERNETES_SERVICE_HOST is not set"));
  }
  ClusterAccess access;
  access.source = "in-cluster";
  const std::string h = host->second.find(':') != std::string::npos ? "[" + host->second + "]" : host->second;
  access.server = fmt::format("https://{}:{}", h, port == env.end() || port->second.empty() ? "443" : port->second);
  access.trust.ca_file = sa_dir + "/ca.crt";
  if (!fs::exists(access.trust.ca_file)) {
    return base::Unexpected(fmt::format("in-cluster CA {} is missing", access.trust.ca_file));
  }
  const std::string token_path = sa_dir + "/token";
  if (!fs::exists(token_path)) {
    return base::Unexpected(fmt::format("in-cluster token {} is missing (automountServiceAccountToken off?)", token_path));
  }
  access.credentials = std::make_shared<TokenFileCredentials>(token_path, clock);
  return access;
}

base::Expected<ClusterAccess, std::string> ResolveClusterAccess(const std::string& kubeconfig_flag,
                                                                const std::string& context,
                                                                const config::Environment& env,
                                                                const base::Clock& clock) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag, context, clock);
  if (auto kc = env.find("KUBECONFIG"); kc != env.end() && !kc->second.empty()) {
    return LoadKubeconfig(kc->second.substr(0, kc->second.find(':')), context, clock);
  }
  if (auto host = env.find("KUBERNETES_SERVICE_HOST"); host != env.end() && !host->second.empty()) {
    return LoadInCluster(env, clock);
  }
  auto home = env.find("HOME");
  const std::string fallback = (home != env.end() ? home->second : std::string(".")) + "/.kube/config";
  if (fs::exists(fallback)) return LoadKubeconfig(fallback, context, clock);
  return base::Unexpected(std::string(
      "no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, or run in a cluster with a service account"));
}

}  // namespace kube9::kube
