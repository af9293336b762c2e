#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "base/log.h"

namespace kube9::config {

// A snapshot of the environment variables the operator reads.
using Environment = std::map<std::string, std::string, std::less<>>;
Environment ProcessEnvironment();

// Everything `kube9-operator serve` is configured with. Field defaults are the documented
// defaults; flags override environment variables, which override defaults.
struct Config {
  std::string listen_host;  // empty: all interfaces
  int listen_port = 8080;
  std::string telemetry_path = "/metrics";
  // exporter-toolkit web config (TLS, client certificates, basic auth); empty: plain HTTP.
  std::string web_config_file;
  std::string probe_socket;  // --web.probe-socket: "" = none
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kJson;
  std::string kubeconfig;  // empty: KUBECONFIG, then in-cluster, then ~/.kube/config
  std::string kube_context;
  std::string pod_namespace = "kube9-system";
  base::Millis status_interval{std::chrono::seconds(60)};
  base::Millis sample_interval{std::chrono::seconds(15)};
  // Collectors (resources to list and watch) as given, sorted; empty: every collector. The
  // names are checked against collectors/registry.cc by collectors::ResolveCollectorNames,
  // which the commands call after parsing. The ClusterRole must grant list/watch on exactly these.
  std::vector<std::string> collectors;

  // The kube-state-metrics-compatible `kube_*` families (docs/ksm-compatibility.md): off unless
  // --kube-state-metrics. The flags keep kube-state-metrics' names and syntax.
  bool ksm_enabled = false;
  // --metric-labels-allowlist / --metric-annotations-allowlist: resource -> keys.
  std::map<std::string, std::vector<std::string>, std::less<>> ksm_labels_allowlist;
  std::map<std::string, std::vector<std::string>, std::less<>> ksm_annotations_allowlist;
  // --metric-allowlist / --metric-denylist: regular expressions over family names.
  std::vector<std::string> ksm_metric_allowlist;
  std::vector<std::string> ksm_metric_denylist;
  // --enable-gzip-encoding: with the kube_* families on, /metrics is gzipped (when the client
  // asks) only with this flag, as in kube-state-metrics: compressing tens of MB costs more CPU
  // and time than sending them plain on the cluster network.
  bool ksm_gzip = false;
  // --shard / --total-shards: this instance serves the kube_* series of the objects whose UID
  // hashes to `ksm_shard` (kube-state-metrics' FNV-1a and jump hash), and counts only those in
  // its kube9_* aggregates. `--shard=auto` takes the trailing ordinal of $POD_NAME (a
  // StatefulSet's pod, <name>-<ordinal>).
  int ksm_shard = 0;
  int ksm_total_shards = 1;
  // The one instance that writes the status ConfigMap, uploads (Pro tier), keeps the events
  // history and runs the assessment and GitOps discovery: shard 0. The other shards serve
  // their share of the metrics only (docs/ksm-compatibility.md "Sharding").
  bool status_writer() const { return ksm_shard == 0; }

  // Pro tier. The key itself is held only to authenticate; it is never logged or exported.
  std::string server_url = "https://api.kube9.io";
  std::string api_key_file;
  std::string api_key;  // from env API_KEY
  std::chrono::hours reregistration_interval{24};
  std::chrono::seconds cluster_metadata_interval{24 * 3600};
  std::chrono::seconds resource_inventory_interval{6 * 3600};
  std::chrono::seconds resource_configuration_patterns_interval{12 * 3600};
  std::string server_ca_file;  // extra CA trusted for kube9-server, besides the system's
  // Overrides the per-type offset of each collection type's first run (tests, demos).
  std::optional<base::Millis> collection_initial_delay;
  std::string spool_path = "/var/lib/kube9-operator/spool";
  std::uint64_t spool_max_bytes = 64ull << 20;
  base::Millis upload_max_batch_age{std::chrono::minutes(10)};
  int upload_concurrency = 2;
  // Cap of the wait between upload retries while kube9-server fails (the first wait is 5 s).
  base::Millis upload_max_backoff{std::chrono::minutes(5)};

  // The data directory (a volume: the events history lives there) and the history's bounds.
  std::string data_path = "/var/lib/kube9-operator";
  base::Millis events_retention{std::chrono::hours(168)};
  std::uint64_t events_max_bytes = 64ull << 20;

  // How often API discovery looks again for the optional APIs (VPA, Argo CD, Flux: their
  // collectors start and stop with them, collectors/discovery.h).
  base::Millis discovery_interval{std::chrono::minutes(3)};
  // GitOps awareness (docs/PRODUCT.md §11): how to reach Argo CD's API for the resource-tree
  // probe (the same variables the `query argocd` command reads; gitops::MakeArgoCdSettings
  // checks them).
  std::string argocd_namespace;     // ARGOCD_NAMESPACE; "" = argocd
  std::string argocd_api_base_url;  // ARGOCD_API_BASE_URL; "" = https://argocd-server.<namespace>.svc
  std::string argocd_token_file;    // ARGOCD_API_TOKEN_FILE
  std::string argocd_ca_file;       // --argocd.ca-file, ARGOCD_CA_FILE
  // How often the Well-Architected assessment runs (docs/assessment.md).
  base::Millis assessment_interval{std::chrono::hours(1)};

  bool api_key_configured() const { return !api_key_file.empty() || !api_key.empty(); }
};

// Parses kube-state-metrics' `resource=[key,key],resource=[*]` (the syntax of
// --metric-labels-allowlist); nullopt when malformed.
std::optional<std::map<std::string, std::vector<std::string>, std::less<>>> ParseLabelsAllowlist(
    std::string_view text);

// Every problem found, each a complete sentence naming the flag or variable.
using Problems = std::vector<std::string>;

// Checks --collectors' names against the collectors there are, which live above this layer
// (collectors::ResolveCollectorNames), and fills in every collector when none is given.
// Returns the problem, or "".
using CollectorCheck = std::function<std::string(std::vector<std::string>& names)>;

// Parses the arguments after the command name. `--help` is handled by the caller. Without a
// `check_collectors`, --collectors' names are taken as given (empty: all).
base::Expected<Config, Problems> ParseServeConfig(const std::vector<std::string>& args, const Environment& env,
                                                  const CollectorCheck& check_collectors = nullptr);

// The usage text of `serve`: every flag, its environment variable and default.
std::string ServeUsage();

// Shared by the commands: splits `--name=value` / `--name value` / `-n value`.
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> options;  // in order given
  std::vector<std::string> positional;
  bool help = false;
  Problems problems;  // unknown flags, missing values
};
// `valued` lists the options that take a value; anything else starting with '-' is a problem.
ParsedArgs SplitArgs(const std::vector<std::string>& args, const std::vector<std::string>& valued);

}  // namespace kube9::config
