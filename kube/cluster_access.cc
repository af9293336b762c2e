#include "kube/cluster_access.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "base/file.h"
#include "kube/limits.h"

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

// A named entry of a kubeconfig list (clusters, users, contexts), with the directory of the
// file that defined it: relative paths in the entry resolve against that directory.
struct Named {
  YAML::Node node;
  fs::path dir;
};

// What KUBECONFIG=a:b:c means, merged as kubectl merges it: the first file to define a name
// wins, and the current-context is the first file's that has one.
struct MergedKubeconfig {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current_context;
};

void AddNamed(const YAML::Node& list, const char* key, const fs::path& dir, std::map<std::string, Named>& out) {
  if (!list || !list.IsSequence()) return;
  for (const auto& item : list) {
    if (item["name"] && item["name"].IsScalar() && item[key] && item[key].IsMap()) {
      out.try_emplace(item["name"].as<std::string>(), Named{item[key], dir});
    }
  }
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].as<std::string>() : std::string();
}

// Reads PEM from `<key>-data` (base64) or the file `<key>`; "" when neither is set.
base::Expected<std::string, std::string> PemFrom(const YAML::Node& n, const std::string& key,
                                                 const fs::path& dir, const FileReader& read) {
  if (std::string data = Str(n, (key + "-data").c_str()); !data.empty()) {
    std::string pem;
    if (!Base64Decode(data, pem)) return base::Unexpected(fmt::format("{}-data is not valid base64", key));
    return pem;
  }
  if (std::string file = Str(n, key.c_str()); !file.empty()) {
    auto content = read(Resolve(dir, file));
    if (!content.ok()) {
      return base::Unexpected(fmt::format("cannot read {} {}: {}", key, Resolve(dir, file), content.error()));
    }
    return *content;
  }
  return std::string();
}

// Adds the entries of one kubeconfig's text to `merged`: shape-checked, then parsed; relative
// paths in it resolve against `path`'s folder. The error completes "kubeconfig <path>: ...".
std::optional<std::string> MergeText(std::string_view text, const std::string& path, MergedKubeconfig& merged) {
  if (auto shape = CheckYamlShape(text)) return shape;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion&) {  // its own message says "bad file"
    return std::string("nests too deeply for the YAML parser");
  } catch (const YAML::Exception& e) {
    return fmt::format("is not valid YAML: {}", e.what());
  }
  const fs::path dir = fs::absolute(path).parent_path();
  try {
    if (merged.current_context.empty()) merged.current_context = Str(root, "current-context");
    AddNamed(root["clusters"], "cluster", dir, merged.clusters);
    AddNamed(root["users"], "user", dir, merged.users);
    AddNamed(root["contexts"], "context", dir, merged.contexts);
  } catch (const YAML::Exception& e) {
    return fmt::format("has an unexpected shape: {}", e.what());
  }
  return std::nullopt;
}

// The context's cluster and user, from the merged kubeconfigs named `source`.
base::Expected<ClusterAccess, std::string> AccessFrom(const MergedKubeconfig& merged, const std::string& source,
                                                      const std::string& context, const base::Clock& clock,
                                                      const FileReader& read) {
  auto fail = [&source](const std::string& why) {
    return base::Unexpected(fmt::format("kubeconfig {}: {}", source, why));
  };
  try {
    const std::string ctx_name = context.empty() ? merged.current_context : context;
    if (ctx_name.empty()) return fail("has no current-context");
    auto found_ctx = merged.contexts.find(ctx_name);
    if (found_ctx == merged.contexts.end()) return fail(fmt::format("has no context named '{}'", ctx_name));
    const YAML::Node ctx = found_ctx->second.node;
    auto found_cluster = merged.clusters.find(Str(ctx, "cluster"));
    if (found_cluster == merged.clusters.end()) return fail(fmt::format("has no cluster named '{}'", Str(ctx, "cluster")));
    const YAML::Node cluster = found_cluster->second.node;
    const fs::path& cluster_dir = found_cluster->second.dir;
    auto found_user = merged.users.find(Str(ctx, "user"));
    const bool has_user = found_user != merged.users.end();
    if (!has_user && !Str(ctx, "user").empty()) return fail(fmt::format("has no user named '{}'", Str(ctx, "user")));
    const YAML::Node user = has_user ? found_user->second.node : YAML::Node();
    const fs::path user_dir = has_user ? found_user->second.dir : fs::path();

    ClusterAccess access;
    access.source = source;
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
      access.trust.ca_file = Resolve(cluster_dir, file);
      if (!fs::exists(access.trust.ca_file)) return fail(fmt::format("cannot read certificate-authority {}", access.trust.ca_file));
    }

    Credential static_cred;
    if (has_user) {
      auto cert = PemFrom(user, "client-certificate", user_dir, read);
      if (!cert.ok()) return fail(cert.error());
      auto key = PemFrom(user, "client-key", user_dir, read);
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
        ec.working_dir = user_dir.string();
        access.credentials = std::make_shared<ExecCredentials>(std::move(ec), clock);
      } else if (std::string token_file = Str(user, "tokenFile"); !token_file.empty() && static_cred.token.empty()) {
        if (!static_cred.cert_pem.empty()) return fail("tokenFile together with a client certificate is not supported");
        access.credentials = std::make_shared<TokenFileCredentials>(Resolve(user_dir, token_file), clock);
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

}  // namespace

std::optional<std::string> CheckYamlShape(std::string_view yaml) {
  int flow_depth = 0;
  std::size_t nodes = 0;
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < yaml.size();) {
    std::size_t end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    const std::string_view line = yaml.substr(start, end - start);
    start = end + 1;
    ++line_no;
    // Block nesting: indentation, then compact indicators (`- - - x`), each a level deeper.
    std::size_t col = 0;
    for (;;) {
      while (col < line.size() && (line[col] == ' ' || line[col] == '\t')) ++col;
      const bool indicator = col < line.size() && (line[col] == '-' || line[col] == '?' || line[col] == ':') &&
                             (col + 1 == line.size() || line[col + 1] == ' ' || line[col + 1] == '\t');
      if (!indicator) break;
      ++col;
    }
    if (col > static_cast<std::size_t>(kMaxYamlIndent)) {
      return fmt::format("is indented deeper than {} columns (line {})", kMaxYamlIndent, line_no);
    }
    if (col < line.size() && line[col] != '#') ++nodes;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      const bool spaced = i + 1 == line.size() || line[i + 1] == ' ';
      if (c == '[' || c == '{') {
        ++nodes;
        if (++flow_depth > kMaxYamlFlowDepth) {
          return fmt::format("nests deeper than {} levels (line {})", kMaxYamlFlowDepth, line_no);
        }
      } else if (c == ']' || c == '}') {
        flow_depth = std::max(0, flow_depth - 1);
      } else if (c == ',' || ((c == '-' || c == ':' || c == '?') && spaced)) {
        ++nodes;
      }
    }
    if (nodes > kMaxYamlNodes) return fmt::format("has more than {} nodes", kMaxYamlNodes);
  }
  return std::nullopt;
}

base::Expected<ClusterAccess, std::string> LoadKubeconfig(const std::string& path, const std::string& context,
                                                          const base::Clock& clock) {
  return LoadKubeconfigs({path}, context, clock, /*skip_missing=*/false);
}

base::Expected<ClusterAccess, std::string> LoadKubeconfigs(const std::vector<std::string>& paths,
                                                           const std::string& context, const base::Clock& clock,
                                                           bool skip_missing) {
  std::string joined;
  for (const auto& p : paths) joined += (joined.empty() ? "" : ":") + p;
  auto fail = [&joined](const std::string& why) {
    return base::Unexpected(fmt::format("kubeconfig {}: {}", joined, why));
  };
  MergedKubeconfig merged;
  int loaded = 0;
  for (const auto& path : paths) {
    if (path.empty()) continue;
    if (skip_missing && !fs::exists(path)) continue;  // as kubectl does for KUBECONFIG entries
    auto text = base::ReadFile(path, kMaxKubeconfigBytes);
    if (!text.ok()) {
      return base::Unexpected(fmt::format("kubeconfig {}: {}", path,
                                          text.error().starts_with("is larger") ? text.error()
                                                                                : "cannot be read: " + text.error()));
    }
    if (auto error = MergeText(*text, path, merged)) {
      return base::Unexpected(fmt::format("kubeconfig {}: {}", path, *error));
    }
    ++loaded;
  }
  if (loaded == 0) return fail(paths.size() == 1 ? "cannot be read" : "none of these files exists");
  return AccessFrom(merged, joined, context, clock, ReadCredentialFile);
}

base::Expected<ClusterAccess, std::string> ParseKubeconfig(std::string_view yaml, const std::string& path,
                                                           const std::string& context, const base::Clock& clock,
                                                           const FileReader& read) {
  MergedKubeconfig merged;
  if (auto error = MergeText(yaml, path, merged)) return base::Unexpected(fmt::format("kubeconfig {}: {}", path, *error));
  return AccessFrom(merged, path, context, clock, read);
}

base::Expected<std::string, std::string> ReadCredentialFile(const std::string& path) {
  return base::ReadFile(path, kMaxCredentialFileBytes);
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
    std::vector<std::string> paths;
    for (std::size_t from = 0;;) {
      const std::size_t colon = kc->second.find(':', from);
      paths.push_back(kc->second.substr(from, colon == std::string::npos ? std::string::npos : colon - from));
      if (colon == std::string::npos) break;
      from = colon + 1;
    }
    return LoadKubeconfigs(paths, context, clock, /*skip_missing=*/true);
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
