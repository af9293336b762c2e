#include "config/config.h"

#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "base/text.h"
#include "base/time_format.h"

extern char** environ;

namespace kube9::config {
namespace {

using std::chrono::seconds;

// One setting: its flag, its environment variable (either may be empty), and how a text
// value is applied. `apply` returns an error sentence, or "" when the value is accepted.
struct Option {
  std::string flag;
  std::string env;
  std::string metavar;
  std::string help;
  std::string default_text;
  std::function<std::string(const std::string&, Config&)> apply;
};

// --shard=auto until POD_NAME is read, after every option.
constexpr int kShardFromPodName = -1;

std::optional<long long> ParseInteger(const std::string& text) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return {};
  return v;
}

// Whole seconds that fit a duration (at most base::kMaxDuration): bigger numbers would wrap
// around when counted in milliseconds.
bool FitsDuration(long long seconds) {
  return seconds <= std::chrono::duration_cast<std::chrono::seconds>(base::kMaxDuration).count();
}

std::string ApplyListenAddress(const std::string& v, Config& c) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos) return "must be [host]:port, e.g. :8080 or 127.0.0.1:8080";
  std::string host = v.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = ParseInteger(v.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return "port must be a number from 1 to 65535";
  c.listen_host = host;
  c.listen_port = static_cast<int>(*port);
  return "";
}

// Seconds given as a plain integer (environment variables of the earlier operator).
std::function<std::string(const std::string&, Config&)> IntegerSeconds(seconds Config::*field, long long min) {
  return [field, min](const std::string& v, Config& c) -> std::string {
    auto n = ParseInteger(v);
    if (!n) return "must be a whole number of seconds";
    if (*n < min) return fmt::format("must be at least {} seconds", min);
    if (!FitsDuration(*n)) return "is too large for a duration";
    c.*field = seconds(*n);
    return "";
  };
}

std::string ApplyStatusInterval(base::Millis d, Config& c) {
  if (d < seconds(5)) return "must be at least 5 seconds";
  // The extension calls a status older than 5 minutes degraded: keep a wide margin.
  if (d > seconds(240))
    return "must be at most 240 seconds (the extension treats a status older than 5 minutes as stale)";
  c.status_interval = d;
  return "";
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.substr(0, 4) == "127.";
}

std::string ApplyServerUrl(const std::string& v, Config& c) {
  std::string_view rest;
  const bool https = v.rfind("https://", 0) == 0;
  const bool http = v.rfind("http://", 0) == 0;
  if (!https && !http) return "must start with https:// (or http:// for a loopback address)";
  rest = std::string_view(v).substr(https ? 8 : 7);
  std::string_view host = rest.substr(0, rest.find('/'));
  if (host.empty()) return "has no host";
  if (http) {
    std::string_view hostname =
        host.front() == '[' ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
    if (!IsLoopbackHost(hostname)) return "may use http:// only for a loopback address; use https://";
  }
  std::string trimmed = v;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  c.server_url = trimmed;
  return "";
}

// A duration flag within [min, max].
std::function<std::string(const std::string&, Config&)> Duration(base::Millis Config::*field, base::Millis min,
                                                                 base::Millis max) {
  return [field, min, max](const std::string& v, Config& c) -> std::string {
    auto d = base::ParseDuration(v);
    if (!d) return "must be a duration such as 30s, 5m or 1h";
    if (*d < min || *d > max) {
      return fmt::format("must be from {} to {}", base::FormatDuration(min), base::FormatDuration(max));
    }
    c.*field = *d;
    return "";
  };
}

// A byte count: a whole number with an optional binary suffix (Ki, Mi, Gi).
std::optional<std::uint64_t> ParseBytes(const std::string& text) {
  std::string digits = text;
  std::uint64_t unit = 1;
  for (const auto& [suffix, factor] : {std::pair{"Ki", 1ull << 10}, {"Mi", 1ull << 20}, {"Gi", 1ull << 30}}) {
    if (text.size() > 2 && text.ends_with(suffix)) {
      digits = text.substr(0, text.size() - 2);
      unit = factor;
    }
  }
  auto n = ParseInteger(digits);
  if (!n || *n < 0 || static_cast<std::uint64_t>(*n) > (1ull << 40) / unit) return {};
  return static_cast<std::uint64_t>(*n) * unit;
}

// --collectors / --resources: comma-separated names, sorted, each once.
std::string ApplyCollectors(const std::string& v, Config& c) {
  std::vector<std::string> names = base::SplitList(v);
  if (names.empty()) return "must name at least one collector";
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return "lists a collector twice";
  c.collectors = names;
  return "";
}

// --metric-allowlist / --metric-denylist: comma-separated regular expressions.
std::function<std::string(const std::string&, Config&)> Patterns(std::vector<std::string> Config::*field) {
  return [field](const std::string& v, Config& c) -> std::string {
    std::vector<std::string> out = base::SplitList(v);
    for (const auto& p : out) {
      try {
        std::regex re(p, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return fmt::format("'{}' is not a valid regular expression", p);
      }
    }
    c.*field = std::move(out);
    return "";
  };
}

std::function<std::string(const std::string&, Config&)> Allowlist(
    std::map<std::string, std::vector<std::string>, std::less<>> Config::*field) {
  return [field](const std::string& v, Config& c) -> std::string {
    auto parsed = ParseLabelsAllowlist(v);
    if (!parsed) return "must be of the form resource=[key,...],resource=[*] (e.g. pods=[app,team],nodes=[*])";
    c.*field = std::move(*parsed);
    return "";
  };
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      {"--web.listen-address", "", "[host]:port", "Address of the HTTP server (/metrics, /healthz, /readyz, /).",
       ":8080", ApplyListenAddress},
      {"", "HEALTH_PORT", "port", "Port of the HTTP server, when --web.listen-address is not given.", "8080",
       [](const std::string& v, Config& c) -> std::string {
         auto p = ParseInteger(v);
         if (!p || *p < 1 || *p > 65535) return "must be a number from 1 to 65535";
         c.listen_port = static_cast<int>(*p);
         return "";
       }},
      {"--web.telemetry-path", "", "path", "Path under which metrics are served.", "/metrics",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty() || v.front() != '/') return "must start with /";
         if (v == "/" || v == "/healthz" || v == "/readyz") return "must not be /, /healthz or /readyz";
         c.telemetry_path = v;
         return "";
       }},
      {"--web.config.file", "", "path",
       "Web configuration file in the Prometheus exporter-toolkit format: TLS, client certificates and basic auth "
       "on the HTTP port (docs/configuration.md). Without it: plain HTTP, no authentication.",
       "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.web_config_file = v;
         return "";
       }},
      {"--web.probe-socket", "", "path",
       "Also answer /healthz and /readyz, in plain HTTP, on this Unix socket, for `kube9-operator probe` run as an "
       "exec probe when the HTTP port requires client certificates (the kubelet cannot present one).",
       "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty() || v.front() != '/') return "must be an absolute path";
         if (v.size() >= sizeof(sockaddr_un::sun_path)) {
           return fmt::format("must be at most {} bytes (a Unix socket path)", sizeof(sockaddr_un::sun_path) - 1);
         }
         c.probe_socket = v;
         return "";
       }},
      {"--log.level", "LOG_LEVEL", "level", "Lowest level logged: debug, info, warn or error.", "info",
       [](const std::string& v, Config& c) -> std::string {
         auto l = log::ParseLevel(v);
         if (!l) return "must be one of debug, info, warn, error";
         c.log_level = *l;
         return "";
       }},
      {"--log.format", "", "format", "Log line format: json or logfmt.", "json",
       [](const std::string& v, Config& c) -> std::string {
         auto f = log::ParseFormat(v);
         if (!f) return "must be json or logfmt";
         c.log_format = *f;
         return "";
       }},
      {"--kubeconfig", "", "path",
       "Kubeconfig to use. Default: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.", "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.kubeconfig = v;
         return "";
       }},
      {"--context", "", "name", "Kubeconfig context to use instead of its current-context.", "",
       [](const std::string& v, Config& c) -> std::string {
         c.kube_context = v;
         return "";
       }},
      {"--namespace", "POD_NAMESPACE", "name", "Namespace the operator runs in and writes its status to.",
       "kube9-system",
       [](const std::string& v, Config& c) -> std::string {
         // A DNS-1123 label, as Kubernetes requires for namespace names.
         const bool valid =
             !v.empty() && v.size() <= 63 &&
             std::all_of(v.begin(), v.end(),
                         [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'; }) &&
             v.front() != '-' && v.back() != '-';
         if (!valid) return "must be a valid namespace name (lowercase letters, digits and '-', at most 63)";
         c.pod_namespace = v;
         return "";
       }},
      {"--status.update-interval", "", "duration", "How often the status ConfigMap is written (5s to 240s).", "60s",
       [](const std::string& v, Config& c) -> std::string {
         auto d = base::ParseDuration(v);
         if (!d) return "must be a duration such as 30s or 1m";
         return ApplyStatusInterval(*d, c);
       }},
      {"", "STATUS_UPDATE_INTERVAL_SECONDS", "seconds", "Same as --status.update-interval, in seconds.", "60",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseInteger(v);
         if (!n) return "must be a whole number of seconds";
         if (!FitsDuration(*n)) return "must be at most 240 seconds";
         return ApplyStatusInterval(seconds(*n), c);
       }},
      {"--sample-interval", "", "duration", "How often cluster aggregates are recomputed (1s to 5m).", "15s",
       [](const std::string& v, Config& c) -> std::string {
         auto d = base::ParseDuration(v);
         if (!d) return "must be a duration such as 15s";
         if (*d < std::chrono::seconds(1) || *d > std::chrono::minutes(5)) return "must be from 1s to 5m";
         c.sample_interval = *d;
         return "";
       }},
      {"--collectors", "", "list",
       "Comma-separated collectors, i.e. resources to list and watch (the list: `kube9-operator rbac --help`).",
       "all but the opt-in ones (configmaps)", ApplyCollectors},
      {"--resources", "", "list", "Same as --collectors (kube-state-metrics' name).", "as --collectors", ApplyCollectors},
      {"--kube-state-metrics", "", "bool",
       "Serve the kube-state-metrics-compatible kube_* families of the collected resources on /metrics "
       "(docs/ksm-compatibility.md). A bare --kube-state-metrics means true.",
       "false",
       [](const std::string& v, Config& c) -> std::string {
         if (v != "true" && v != "false") return "must be true or false";
         c.ksm_enabled = v == "true";
         return "";
       }},
      {"--metric-allowlist", "", "regexes",
       "Comma-separated regular expressions: serve only the kube_* families whose name matches one.", "",
       Patterns(&Config::ksm_metric_allowlist)},
      {"--metric-denylist", "", "regexes",
       "Comma-separated regular expressions: serve no kube_* family whose name matches one.", "",
       Patterns(&Config::ksm_metric_denylist)},
      {"--enable-gzip-encoding", "", "bool",
       "With --kube-state-metrics: gzip /metrics when the client asks (Accept-Encoding), as kube-state-metrics' "
       "flag of the same name. Without the kube_* families the small reply is always gzipped when asked. "
       "A bare --enable-gzip-encoding means true.",
       "false",
       [](const std::string& v, Config& c) -> std::string {
         if (v != "true" && v != "false") return "must be true or false";
         c.ksm_gzip = v == "true";
         return "";
       }},
      {"--shard", "", "n|auto",
       "This instance's shard (from 0) of the objects: the kube_* series it serves and the kube9_* counts; "
       "only shard 0 writes the status and uploads. auto: the trailing ordinal of $POD_NAME (a StatefulSet pod).",
       "0",
       [](const std::string& v, Config& c) -> std::string {
         if (v == "auto") {
           c.ksm_shard = kShardFromPodName;
           return "";
         }
         auto n = ParseInteger(v);
         if (!n || *n < 0 || *n > 1'000'000) return "must be a whole number from 0";
         c.ksm_shard = static_cast<int>(*n);
         return "";
       }},
      {"--total-shards", "", "n",
       "How many instances share the kube_* families' objects, split by UID as kube-state-metrics does.", "1",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseInteger(v);
         if (!n || *n < 1 || *n > 1'000'000) return "must be a whole number from 1";
         c.ksm_total_shards = static_cast<int>(*n);
         return "";
       }},
      {"--metric-labels-allowlist", "", "list",
       "Kubernetes labels served as kube_<resource>_labels, e.g. namespaces=[team],pods=[*] (none by default).", "",
       Allowlist(&Config::ksm_labels_allowlist)},
      {"--metric-annotations-allowlist", "", "list",
       "Kubernetes annotations served as kube_<resource>_annotations, same syntax (none by default).", "",
       Allowlist(&Config::ksm_annotations_allowlist)},
      {"--server-url", "SERVER_URL", "url", "kube9-server base URL (Pro tier).", "https://api.kube9.io",
       ApplyServerUrl},
      {"--api-key-file", "", "path", "File holding the Pro tier API key (a mounted Secret); re-read when it changes.",
       "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.api_key_file = v;
         return "";
       }},
      {"", "API_KEY", "key", "Pro tier API key, when --api-key-file is not used.", "",
       [](const std::string& v, Config& c) -> std::string {
         c.api_key = v;
         return "";
       }},
      {"--server-ca-file", "", "path", "PEM file of a CA to trust for kube9-server, in addition to the system's CAs.",
       "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.server_ca_file = v;
         return "";
       }},
      {"--spool.path", "", "dir",
       "Directory where Pro tier payloads wait for upload (a volume: they survive restarts).",
       "/var/lib/kube9-operator/spool",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.spool_path = v;
         return "";
       }},
      {"--spool.max-bytes", "", "bytes",
       "Bound of the spool; the oldest payloads are dropped (and counted) beyond it. Suffixes Ki, Mi, Gi.", "64Mi",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseBytes(v);
         if (!n) return "must be a number of bytes such as 67108864 or 64Mi";
         if (*n < (64ull << 10)) return "must be at least 64Ki";
         c.spool_max_bytes = *n;
         return "";
       }},
      {"--data.path", "KUBE9_DATA_PATH", "dir",
       "Data directory (a volume): the events history's store, events.db. Read-only or missing: history off.",
       "/var/lib/kube9-operator",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.data_path = v;
         return "";
       }},
      {"--events.retention", "", "duration",
       "How long the events history keeps an event after its last occurrence (1h to 8760h).", "168h",
       Duration(&Config::events_retention, std::chrono::hours(1), std::chrono::hours(8760))},
      {"--assessment.interval", "ASSESSMENT_INTERVAL", "duration",
       "How often the Well-Architected assessment runs (1m to 168h); it also runs once the collectors are synced.",
       "1h", Duration(&Config::assessment_interval, std::chrono::minutes(1), std::chrono::hours(168))},
      {"--events.max-bytes", "", "bytes",
       "Bound of the events history's store; the oldest events are pruned beyond it. Suffixes Ki, Mi, Gi.", "64Mi",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseBytes(v);
         if (!n) return "must be a number of bytes such as 67108864 or 64Mi";
         if (*n < (1ull << 20)) return "must be at least 1Mi";
         c.events_max_bytes = *n;
         return "";
       }},
      {"--upload.max-batch-age", "", "duration",
       "Longest a metrics-batch waits for its 10 samples before it is uploaded anyway (1s to 24h).", "10m",
       Duration(&Config::upload_max_batch_age, std::chrono::seconds(1), std::chrono::hours(24))},
      {"--upload.concurrency", "", "n", "Uploads in flight at once (1 to 8).", "2",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseInteger(v);
         if (!n || *n < 1 || *n > 8) return "must be a whole number from 1 to 8";
         c.upload_concurrency = static_cast<int>(*n);
         return "";
       }},
      {"--upload.max-backoff", "", "duration",
       "Longest wait between upload retries while kube9-server fails; the waits double from 5s up to it (1s to 1h).",
       "5m", Duration(&Config::upload_max_backoff, std::chrono::seconds(1), std::chrono::hours(1))},
      {"--collection.initial-delay", "", "duration",
       "Delay of each collection type's first run, instead of its per-type offset (0s to 24h).", "per type: 1m to 15m",
       [](const std::string& v, Config& c) -> std::string {
         auto d = base::ParseDuration(v);
         if (!d || *d > std::chrono::hours(24)) return "must be a duration from 0s to 24h, such as 2s or 5m";
         c.collection_initial_delay = *d;
         return "";
       }},
      {"--discovery-interval", "", "duration",
       "How often API discovery looks for the optional APIs (VPA, Argo CD, Flux), so that installing or removing "
       "one starts or stops its collector without a restart (1s to 1h).",
       "3m", Duration(&Config::discovery_interval, std::chrono::seconds(1), std::chrono::hours(1))},
      {"--gitops.discovery-interval", "", "duration", "Same as --discovery-interval (its earlier name).",
       "as --discovery-interval",
       Duration(&Config::discovery_interval, std::chrono::seconds(1), std::chrono::hours(1))},
      {"", "ARGOCD_NAMESPACE", "name", "Namespace Argo CD runs in (its argocd-server Deployment and Service).",
       "argocd",
       [](const std::string& v, Config& c) -> std::string {
         c.argocd_namespace = v;
         return "";
       }},
      {"", "ARGOCD_API_BASE_URL", "url",
       "Argo CD API base URL, for the resource-tree probe and 'query argocd resource-tree get'.",
       "https://argocd-server.<ARGOCD_NAMESPACE>.svc",
       [](const std::string& v, Config& c) -> std::string {
         c.argocd_api_base_url = v;
         return "";
       }},
      {"", "ARGOCD_API_TOKEN_FILE", "path",
       "File holding an Argo CD API token (a mounted Secret), re-read at each use. Unset: no resource tree.", "",
       [](const std::string& v, Config& c) -> std::string {
         c.argocd_token_file = v;
         return "";
       }},
      {"--argocd.ca-file", "ARGOCD_CA_FILE", "path",
       "PEM CA trusted for the Argo CD API. Default: the cluster CA of the service account, else the system's.", "",
       [](const std::string& v, Config& c) -> std::string {
         if (v.empty()) return "must not be empty";
         c.argocd_ca_file = v;
         return "";
       }},
      {"", "REREGISTRATION_INTERVAL_HOURS", "hours", "How often to re-register with kube9-server.", "24",
       [](const std::string& v, Config& c) -> std::string {
         auto n = ParseInteger(v);
         if (!n || *n < 1 || *n > 24 * 30) return "must be a whole number of hours from 1 to 720";
         c.reregistration_interval = std::chrono::hours(*n);
         return "";
       }},
      {"", "CLUSTER_METADATA_INTERVAL_SECONDS", "seconds", "Interval of cluster-metadata collections.", "86400",
       IntegerSeconds(&Config::cluster_metadata_interval, 3600)},
      {"", "RESOURCE_INVENTORY_INTERVAL_SECONDS", "seconds", "Interval of resource-inventory collections.", "21600",
       IntegerSeconds(&Config::resource_inventory_interval, 1800)},
      {"", "RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS", "seconds",
       "Interval of resource-configuration-patterns collections.", "43200",
       IntegerSeconds(&Config::resource_configuration_patterns_interval, 3600)},
  };
  return options;
}

}  // namespace

std::optional<std::map<std::string, std::vector<std::string>, std::less<>>> ParseLabelsAllowlist(
    std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return std::string(s);
  };
  std::map<std::string, std::vector<std::string>, std::less<>> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '[') return std::nullopt;
    const std::string name = trim(text.substr(pos, eq - pos));
    const std::size_t close = text.find(']', eq);
    if (name.empty() || close == std::string_view::npos) return std::nullopt;
    std::vector<std::string> keys;
    std::string_view inside = text.substr(eq + 2, close - eq - 2);
    if (inside.find_first_of("[=") != std::string_view::npos) return std::nullopt;
    std::size_t k = 0;
    while (!inside.empty() && k <= inside.size()) {
      std::size_t comma = inside.find(',', k);
      if (comma == std::string_view::npos) comma = inside.size();
      std::string key = trim(inside.substr(k, comma - k));
      if (key.empty()) return std::nullopt;  // ",," or a trailing comma
      keys.push_back(std::move(key));
      k = comma + 1;
    }
    out[name] = std::move(keys);
    pos = close + 1;
    if (pos < text.size()) {
      if (text[pos] != ',' || pos + 1 >= text.size()) return std::nullopt;
      ++pos;
    }
  }
  return out;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

ParsedArgs SplitArgs(const std::vector<std::string>& args, const std::vector<std::string>& valued) {
  ParsedArgs out;
  Problems& problems = out.problems;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (std::find(valued.begin(), valued.end(), name) == valued.end()) {
      problems.push_back(fmt::format("unknown flag {}", name));
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        problems.push_back(fmt::format("flag {} needs a value", name));
        continue;
      }
      value = args[++i];
    }
    out.options.emplace_back(name, value);
  }
  return out;
}

base::Expected<Config, Problems> ParseServeConfig(const std::vector<std::string>& args, const Environment& env,
                                                  const CollectorCheck& check_collectors) {
  std::vector<std::string> valued;
  for (const Option& o : Options()) {
    if (!o.flag.empty()) valued.push_back(o.flag);
  }
  valued.push_back("-n");
  // The boolean flags: bare, they mean true (as kube-state-metrics' users expect).
  std::vector<std::string> expanded = args;
  for (auto& a : expanded) {
    if (a == "--kube-state-metrics" || a == "--enable-gzip-encoding") a += "=true";
  }
  ParsedArgs parsed = SplitArgs(expanded, valued);
  Problems problems = parsed.problems;
  for (const std::string& p : parsed.positional) {
    problems.push_back(fmt::format("unexpected argument '{}'", p));
  }

  Config config;
  // Environment first, so that flags given on the command line win.
  for (const Option& o : Options()) {
    if (o.env.empty()) continue;
    auto it = env.find(o.env);
    if (it == env.end() || (it->second.empty() && o.env != "API_KEY")) continue;
    if (std::string why = o.apply(it->second, config); !why.empty()) {
      problems.push_back(
          fmt::format("environment variable {}={}: {}", o.env, o.env == "API_KEY" ? "<redacted>" : it->second, why));
    }
  }
  for (const auto& [name, value] : parsed.options) {
    const std::string flag = name == "-n" ? "--namespace" : name;
    auto it = std::find_if(Options().begin(), Options().end(), [&](const Option& o) { return o.flag == flag; });
    if (std::string why = it->apply(value, config); !why.empty()) {
      problems.push_back(fmt::format("flag {}={}: {}", flag, value, why));
    }
  }
  if (config.ksm_shard == kShardFromPodName) {
    // A StatefulSet names its pods <name>-<ordinal>; the chart passes POD_NAME from the
    // downward API. Anything else is refused rather than guessed.
    auto it = env.find("POD_NAME");
    const std::string pod = it == env.end() ? "" : it->second;
    const std::size_t dash = pod.rfind('-');
    std::optional<long long> ordinal;
    if (dash != std::string::npos && dash + 1 < pod.size() && dash + 8 > pod.size()) {
      ordinal = ParseInteger(pod.substr(dash + 1));
    }
    if (!ordinal || *ordinal < 0) {
      problems.push_back(fmt::format(
          "flag --shard=auto: needs POD_NAME ending in -<ordinal> (a StatefulSet's pod), got '{}'", pod));
      config.ksm_shard = 0;
    } else {
      config.ksm_shard = static_cast<int>(*ordinal);
    }
  }
  if (config.ksm_shard >= config.ksm_total_shards) {
    problems.push_back(fmt::format("flag --shard={}: must be less than --total-shards={}", config.ksm_shard,
                                   config.ksm_total_shards));
  }
  if (!config.ksm_metric_allowlist.empty() && !config.ksm_metric_denylist.empty()) {
    problems.push_back("flags --metric-allowlist and --metric-denylist are mutually exclusive: give only one");
  }
  if (check_collectors) {
    const bool given = !config.collectors.empty();
    std::string joined;
    for (const auto& n : config.collectors) joined += (joined.empty() ? "" : ",") + n;
    if (std::string why = check_collectors(config.collectors); !why.empty()) {
      problems.push_back(given ? fmt::format("flag --collectors={}: {}", joined, why) : why);
    }
  }
  if (!problems.empty()) return base::Unexpected(problems);
  return config;
}

std::string ServeUsage() {
  std::string out =
      "Usage: kube9-operator [serve] [flags]\n\n"
      "Runs the operator: watches the cluster, serves /metrics, /healthz, /readyz and /,\n"
      "and writes the status ConfigMap read by the kube9 VS Code extension.\n\nFlags and environment variables:\n";
  for (const Option& o : Options()) {
    std::string name = o.flag.empty() ? "" : o.flag + " " + o.metavar;
    if (o.flag == "--namespace") name = "-n, " + name;
    std::string env = o.env.empty() ? "" : (o.flag.empty() ? "$" + o.env + " (" + o.metavar + ")" : "$" + o.env);
    out += fmt::format("  {:<42} {}\n", name.empty() ? env : name + (env.empty() ? "" : ", " + env), o.help);
    if (!o.default_text.empty()) out += fmt::format("  {:<42} default: {}\n", "", o.default_text);
  }
  out += "  -h, --help                                 Show this help.\n";
  return out;
}

}  // namespace kube9::config
