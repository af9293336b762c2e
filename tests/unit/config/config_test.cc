#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(ConfigTest, DefaultsMatchTheDocumentation) {
  auto c = ParseServeConfig({}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->listen_host, "");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->telemetry_path, "/metrics");
  EXPECT_EQ(c->web_config_file, "") << "plain HTTP, no authentication";
  EXPECT_EQ(c->pod_namespace, "kube9-system");
  EXPECT_EQ(c->status_interval, std::chrono::seconds(60));
  EXPECT_EQ(c->server_url, "https://api.kube9.io");
  EXPECT_EQ(c->log_level, log::Level::kInfo);
  EXPECT_EQ(c->log_format, log::Format::kJson);
  EXPECT_FALSE(c->api_key_configured());
  EXPECT_EQ(c->reregistration_interval, std::chrono::hours(24));
}

TEST(ConfigTest, EnvironmentOfTheEarlierOperatorStillWorks) {
  Environment env{{"POD_NAMESPACE", "monitoring"},
                  {"LOG_LEVEL", "debug"},
                  {"STATUS_UPDATE_INTERVAL_SECONDS", "30"},
                  {"SERVER_URL", "https://example.test/"},
                  {"API_KEY", "kdy_secret"},
                  {"HEALTH_PORT", "9090"},
                  {"REREGISTRATION_INTERVAL_HOURS", "12"},
                  {"CLUSTER_METADATA_INTERVAL_SECONDS", "7200"},
                  {"RESOURCE_INVENTORY_INTERVAL_SECONDS", "1800"},
                  {"RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS", "3600"}};
  auto c = ParseServeConfig({}, env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->pod_namespace, "monitoring");
  EXPECT_EQ(c->log_level, log::Level::kDebug);
  EXPECT_EQ(c->status_interval, std::chrono::seconds(30));
  EXPECT_EQ(c->server_url, "https://example.test");
  EXPECT_TRUE(c->api_key_configured());
  EXPECT_EQ(c->listen_port, 9090);
  EXPECT_EQ(c->reregistration_interval, std::chrono::hours(12));
  EXPECT_EQ(c->cluster_metadata_interval, std::chrono::seconds(7200));
  EXPECT_EQ(c->resource_inventory_interval, std::chrono::seconds(1800));
}

TEST(ConfigTest, FlagsOverrideEnvironment) {
  auto c = ParseServeConfig({"--namespace=ops", "--web.listen-address", "127.0.0.1:9100", "--log.format=logfmt",
                             "--status.update-interval=2m", "--kubeconfig", "/tmp/kc"},
                            {{"POD_NAMESPACE", "monitoring"}, {"HEALTH_PORT", "9090"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->pod_namespace, "ops");
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 9100);
  EXPECT_EQ(c->log_format, log::Format::kLogfmt);
  EXPECT_EQ(c->status_interval, std::chrono::minutes(2));
  EXPECT_EQ(c->kubeconfig, "/tmp/kc");
}

TEST(ConfigTest, ShortNamespaceFlagAndIpv6ListenAddress) {
  auto c = ParseServeConfig({"-n", "ops", "--web.listen-address=[::1]:8081"}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->pod_namespace, "ops");
  EXPECT_EQ(c->listen_host, "::1");
  EXPECT_EQ(c->listen_port, 8081);
}

TEST(ConfigTest, EveryProblemIsReportedAtOnce) {
  auto c = ParseServeConfig(
      {"--status.update-interval=1s", "--log.level=loud", "--web.listen-address=nope", "--bogus=1", "stray"},
      {{"STATUS_UPDATE_INTERVAL_SECONDS", "abc"},
       {"RESOURCE_INVENTORY_INTERVAL_SECONDS", "60"},
       {"SERVER_URL", "http://api.kube9.io"},
       {"POD_NAMESPACE", "Not_Valid"}});
  ASSERT_FALSE(c.ok());
  const Problems& p = c.error();
  EXPECT_THAT(p, SizeIs(9));
  const std::string all = ::testing::PrintToString(p);
  EXPECT_THAT(
      all, AllOf(HasSubstr("--bogus"), HasSubstr("'stray'"), HasSubstr("--status.update-interval=1s"),
                 HasSubstr("at least 5 seconds"), HasSubstr("--log.level=loud"), HasSubstr("--web.listen-address=nope"),
                 HasSubstr("STATUS_UPDATE_INTERVAL_SECONDS=abc"), HasSubstr("at least 1800 seconds"),
                 HasSubstr("only for a loopback address"), HasSubstr("POD_NAMESPACE=Not_Valid")));
}

TEST(ConfigTest, StatusIntervalMustStayWellUnderFiveMinutes) {
  EXPECT_TRUE(ParseServeConfig({"--status.update-interval=240s"}, {}).ok());
  auto c = ParseServeConfig({"--status.update-interval=5m"}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error()[0], HasSubstr("at most 240 seconds"));
  EXPECT_FALSE(ParseServeConfig({}, {{"STATUS_UPDATE_INTERVAL_SECONDS", "4"}}).ok());
}

TEST(ConfigTest, MinimumCollectionIntervals) {
  EXPECT_FALSE(ParseServeConfig({}, {{"CLUSTER_METADATA_INTERVAL_SECONDS", "3599"}}).ok());
  EXPECT_FALSE(ParseServeConfig({}, {{"RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS", "3599"}}).ok());
  EXPECT_TRUE(ParseServeConfig({}, {{"CLUSTER_METADATA_INTERVAL_SECONDS", "3600"}}).ok());
}

TEST(ConfigTest, ServerUrlAllowsPlainHttpOnlyOnLoopback) {
  EXPECT_TRUE(ParseServeConfig({"--server-url=http://127.0.0.1:9999"}, {}).ok());
  EXPECT_TRUE(ParseServeConfig({"--server-url=http://localhost:9999/"}, {}).ok());
  EXPECT_TRUE(ParseServeConfig({"--server-url=http://[::1]:9999"}, {}).ok());
  EXPECT_FALSE(ParseServeConfig({"--server-url=http://10.0.0.1"}, {}).ok());
  EXPECT_FALSE(ParseServeConfig({"--server-url=ftp://x"}, {}).ok());
}

TEST(ConfigTest, TheApiKeyNeverAppearsInProblems) {
  // An empty API_KEY is not an error, but a bad value elsewhere must not echo the key.
  auto c = ParseServeConfig({"--log.level=x"}, {{"API_KEY", "kdy_topsecret"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(::testing::PrintToString(c.error()), ::testing::Not(HasSubstr("kdy_topsecret")));
}

TEST(ConfigTest, WebConfigFile) {
  auto c = ParseServeConfig({"--web.config.file=/etc/kube9-operator/web/web-config.yml"}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->web_config_file, "/etc/kube9-operator/web/web-config.yml");
  c = ParseServeConfig({"--web.config.file="}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error()[0], HasSubstr("flag --web.config.file=: must not be empty"));
}

TEST(ConfigTest, FlagWithoutValue) {
  auto c = ParseServeConfig({"--namespace"}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error()[0], HasSubstr("needs a value"));
}

TEST(ConfigTest, UsageListsEveryFlagAndVariable) {
  const std::string u = ServeUsage();
  for (const char* name :
       {"--web.listen-address", "--web.telemetry-path", "--log.level", "--log.format", "--kubeconfig", "--namespace",
        "--status.update-interval", "HEALTH_PORT", "POD_NAMESPACE", "LOG_LEVEL", "STATUS_UPDATE_INTERVAL_SECONDS",
        "SERVER_URL", "API_KEY", "REREGISTRATION_INTERVAL_HOURS", "CLUSTER_METADATA_INTERVAL_SECONDS",
        "RESOURCE_INVENTORY_INTERVAL_SECONDS", "RESOURCE_CONFIGURATION_PATTERNS_INTERVAL_SECONDS", "--api-key-file",
        "--web.config.file"}) {
    EXPECT_THAT(u, HasSubstr(name));
  }
}

namespace kube9::config {
namespace {

TEST(ConfigTest, DiscoveryIntervalAndArgoCdSettings) {
  auto d = ParseServeConfig({}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->discovery_interval, std::chrono::minutes(3));
  EXPECT_EQ(d->argocd_namespace, "");
  EXPECT_EQ(d->argocd_token_file, "");
  auto c = ParseServeConfig({"--gitops.discovery-interval=2s", "--argocd.ca-file=/etc/argocd/ca.crt"},
                            {{"ARGOCD_NAMESPACE", "gitops"},
                             {"ARGOCD_API_BASE_URL", "https://argocd.example"},
                             {"ARGOCD_API_TOKEN_FILE", "/var/run/secrets/argocd/token"},
                             {"ARGOCD_CA_FILE", "/ignored/the/flag/wins"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->discovery_interval, std::chrono::seconds(2));
  EXPECT_EQ(c->argocd_namespace, "gitops");
  EXPECT_EQ(c->argocd_api_base_url, "https://argocd.example");
  EXPECT_EQ(c->argocd_token_file, "/var/run/secrets/argocd/token");
  EXPECT_EQ(c->argocd_ca_file, "/etc/argocd/ca.crt");
  auto renamed = ParseServeConfig({"--discovery-interval=90s"}, {});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->discovery_interval, std::chrono::seconds(90)) << "the generic name; the old one is an alias";
  auto bad = ParseServeConfig({"--gitops.discovery-interval=0s", "--argocd.ca-file="}, {});
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().size(), 2u);
  EXPECT_THAT(bad.error()[0], HasSubstr("--gitops.discovery-interval=0s: must be from 1s to 1h"));
  EXPECT_THAT(bad.error()[1], HasSubstr("--argocd.ca-file=: must not be empty"));
  const std::string u = ServeUsage();
  for (const char* name : {"--discovery-interval", "--gitops.discovery-interval", "ARGOCD_NAMESPACE", "ARGOCD_API_BASE_URL",
                           "ARGOCD_API_TOKEN_FILE", "--argocd.ca-file", "ARGOCD_CA_FILE"}) {
    EXPECT_THAT(u, HasSubstr(name));
  }
}

TEST(ConfigTest, CollectorsAndSampleInterval) {
  auto c = ParseServeConfig({"--collectors=pods,nodes", "--sample-interval=1s"}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->collectors, (std::vector<std::string>{"nodes", "pods"}));
  EXPECT_EQ(c->sample_interval, std::chrono::seconds(1));
  EXPECT_TRUE(ParseServeConfig({}, {})->collectors.empty()) << "empty means all collectors";
  EXPECT_EQ(ParseServeConfig({}, {})->sample_interval, std::chrono::seconds(15));
  // The names are checked by the caller's check (collectors::ResolveCollectorNames): its
  // problem is listed with the others.
  auto reject = [](std::vector<std::string>& names) -> std::string {
    return names.size() == 3 ? "unknown collector 'secrets', 'configmaps'" : "";
  };
  auto bad = ParseServeConfig({"--collectors=pods,secrets,configmaps", "--sample-interval=10m"}, {}, reject);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().size(), 2u);
  EXPECT_THAT(bad.error()[0], HasSubstr("from 1s to 5m"));
  EXPECT_EQ(bad.error()[1], "flag --collectors=configmaps,pods,secrets: unknown collector 'secrets', 'configmaps'");
  EXPECT_FALSE(ParseServeConfig({"--collectors=pods,pods"}, {}).ok());
  EXPECT_FALSE(ParseServeConfig({"--collectors="}, {}).ok());
}

TEST(ConfigTest, KubeStateMetricsFlagsKeepTheirMeaning) {
  EXPECT_FALSE(ParseServeConfig({}, {})->ksm_enabled) << "off by default";
  auto c = ParseServeConfig({"--kube-state-metrics", "--resources=pods,nodes", "--metric-denylist=^kube_pod_ips$,_info$",
                             "--metric-labels-allowlist=pods=[app,team],nodes=[*]",
                             "--metric-annotations-allowlist=*=[owner]"},
                            {});
  ASSERT_TRUE(c.ok()) << c.error().front();
  EXPECT_TRUE(c->ksm_enabled);
  EXPECT_EQ(c->collectors, (std::vector<std::string>{"nodes", "pods"})) << "--resources is --collectors";
  EXPECT_EQ(c->ksm_metric_denylist, (std::vector<std::string>{"^kube_pod_ips$", "_info$"}));
  EXPECT_EQ(c->ksm_labels_allowlist.at("pods"), (std::vector<std::string>{"app", "team"}));
  EXPECT_EQ(c->ksm_labels_allowlist.at("nodes"), (std::vector<std::string>{"*"}));
  EXPECT_EQ(c->ksm_annotations_allowlist.at("*"), (std::vector<std::string>{"owner"}));
  EXPECT_FALSE(ParseServeConfig({"--kube-state-metrics=false"}, {})->ksm_enabled);
  EXPECT_FALSE(c->ksm_gzip) << "plain by default, as in kube-state-metrics";
  EXPECT_TRUE(ParseServeConfig({"--enable-gzip-encoding"}, {})->ksm_gzip);
  EXPECT_FALSE(ParseServeConfig({"--enable-gzip-encoding=false"}, {})->ksm_gzip);

  auto bad = ParseServeConfig({"--kube-state-metrics=yes", "--metric-allowlist=a", "--metric-denylist=b",
                               "--metric-labels-allowlist=pods=app", "--metric-allowlist=(unclosed",
                               "--enable-gzip-encoding=1"},
                              {});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error(), Contains(HasSubstr("--kube-state-metrics=yes: must be true or false")));
  EXPECT_THAT(bad.error(), Contains(HasSubstr("--enable-gzip-encoding=1: must be true or false")));
  EXPECT_THAT(bad.error(), Contains(HasSubstr("--metric-labels-allowlist=pods=app: must be of the form")));
  EXPECT_THAT(bad.error(), Contains(HasSubstr("is not a valid regular expression")));
  EXPECT_FALSE(ParseServeConfig({"--metric-allowlist=a", "--metric-denylist=b"}, {}).ok()) << "mutually exclusive";

  auto sharded = ParseServeConfig({"--shard=2", "--total-shards=3"}, {});
  ASSERT_TRUE(sharded.ok());
  EXPECT_EQ(sharded->ksm_shard, 2);
  EXPECT_EQ(sharded->ksm_total_shards, 3);
  EXPECT_EQ(ParseServeConfig({}, {})->ksm_total_shards, 1);
  auto past = ParseServeConfig({"--shard=3", "--total-shards=3"}, {});
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.error(), Contains("flag --shard=3: must be less than --total-shards=3"));
  EXPECT_FALSE(ParseServeConfig({"--total-shards=0"}, {}).ok());
  EXPECT_TRUE(ParseServeConfig({}, {})->status_writer());
  EXPECT_FALSE(sharded->status_writer()) << "only shard 0 writes the status and uploads";
}

TEST(ConfigTest, ShardAutoTakesTheStatefulSetOrdinalOfPodName) {
  auto second = ParseServeConfig({"--shard=auto", "--total-shards=3"}, {{"POD_NAME", "kube9-operator-2"}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->ksm_shard, 2);
  auto first = ParseServeConfig({"--shard=auto", "--total-shards=3"}, {{"POD_NAME", "kube9-operator-0"}});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->status_writer());
  // A Deployment's pod name, no POD_NAME, or an ordinal past the shards: refused, never guessed.
  for (const char* pod : {"kube9-operator-7d9f8b6c5-x2x9q", "", "kube9-operator-", "operator"}) {
    auto bad = ParseServeConfig({"--shard=auto", "--total-shards=3"}, {{"POD_NAME", pod}});
    ASSERT_FALSE(bad.ok()) << pod;
    EXPECT_THAT(bad.error(), Contains(::testing::HasSubstr("--shard=auto: needs POD_NAME ending in -<ordinal>")));
  }
  EXPECT_FALSE(ParseServeConfig({"--shard=auto", "--total-shards=3"}, {}).ok());
  auto past = ParseServeConfig({"--shard=auto", "--total-shards=3"}, {{"POD_NAME", "kube9-operator-3"}});
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.error(), Contains("flag --shard=3: must be less than --total-shards=3"));
}

TEST(ConfigTest, LabelsAllowlistSyntaxIsKubeStateMetrics) {
  using Map = std::map<std::string, std::vector<std::string>, std::less<>>;
  EXPECT_EQ(ParseLabelsAllowlist("pods=[app, team],namespaces=[]"),
            (Map{{"pods", {"app", "team"}}, {"namespaces", {}}}));
  EXPECT_EQ(ParseLabelsAllowlist("pods=[app.kubernetes.io/name]"), (Map{{"pods", {"app.kubernetes.io/name"}}}));
  EXPECT_EQ(ParseLabelsAllowlist(""), Map{});
  for (const char* bad : {"pods", "pods=app", "pods=[a,,b]", "pods=[a,]", "pods=[a],", "pods=[a]x", "=[a]"}) {
    EXPECT_FALSE(ParseLabelsAllowlist(bad)) << bad;
  }
}

// Issue #10: 2562047788015216h is 2^63 ms and a bit; it wrapped around into 29m52s and was
// accepted. Numbers too big for a duration are refused, naming the flag or variable.
TEST(ConfigTest, DurationsThatWouldOverflowAreRefusedNotWrapped) {
  auto c = ParseServeConfig({"--upload.max-backoff=2562047788015216h", "--sample-interval=9223372036854775807",
                             "--collection.initial-delay=153722867280912931m"},
                            {{"STATUS_UPDATE_INTERVAL_SECONDS", "18446744073709612"},
                             {"CLUSTER_METADATA_INTERVAL_SECONDS", "9223372036854775"}});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 5u);
  EXPECT_THAT(c.error(), Contains(HasSubstr("--upload.max-backoff=2562047788015216h: must be a duration")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("--sample-interval=9223372036854775807")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("--collection.initial-delay=153722867280912931m")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("STATUS_UPDATE_INTERVAL_SECONDS=18446744073709612")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("CLUSTER_METADATA_INTERVAL_SECONDS=9223372036854775")));
}

TEST(ConfigTest, HugeByteSizesAreRefused) {
  for (const char* v : {"18446744073709551616", "17179869184Gi", "9223372036854775807", "1099511627777"}) {
    auto c = ParseServeConfig({std::string("--spool.max-bytes=") + v}, {});
    ASSERT_FALSE(c.ok()) << v;
    EXPECT_THAT(c.error()[0], HasSubstr("--spool.max-bytes")) << v;
  }
  EXPECT_EQ(ParseServeConfig({"--spool.max-bytes=1024Gi"}, {})->spool_max_bytes, 1ull << 40);
}

TEST(ConfigTest, EventsHistoryFlags) {
  auto d = ParseServeConfig({}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data_path, "/var/lib/kube9-operator");
  EXPECT_EQ(d->events_retention, std::chrono::hours(168));
  EXPECT_EQ(d->events_max_bytes, 64ull << 20);
  auto c = ParseServeConfig({"--data.path=/data", "--events.retention=24h", "--events.max-bytes=8Mi"}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->data_path, "/data");
  EXPECT_EQ(c->events_retention, std::chrono::hours(24));
  EXPECT_EQ(c->events_max_bytes, 8ull << 20);
  // The chart sets the directory in the environment, where `query events list` finds it too.
  EXPECT_EQ(ParseServeConfig({}, {{"KUBE9_DATA_PATH", "/vol"}})->data_path, "/vol");
  auto bad = ParseServeConfig({"--events.retention=10m", "--events.max-bytes=100Ki", "--data.path="}, {});
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().size(), 3u);
  EXPECT_THAT(bad.error()[0], HasSubstr("--events.retention"));
  EXPECT_THAT(bad.error()[1], HasSubstr("at least 1Mi"));
}

}  // namespace
}  // namespace kube9::config

TEST(ConfigTest, UploadAndSpoolSettings) {
  auto defaults = ParseServeConfig({}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->spool_path, "/var/lib/kube9-operator/spool");
  EXPECT_EQ(defaults->spool_max_bytes, 64u << 20);
  EXPECT_EQ(defaults->upload_max_batch_age, std::chrono::minutes(10));
  EXPECT_EQ(defaults->upload_concurrency, 2);
  EXPECT_EQ(defaults->upload_max_backoff, std::chrono::minutes(5));
  EXPECT_FALSE(defaults->collection_initial_delay.has_value());

  auto c = ParseServeConfig(
      {"--spool.path=/tmp/s", "--spool.max-bytes=2Mi", "--upload.max-batch-age=90s", "--upload.concurrency=4",
       "--upload.max-backoff=30s", "--collection.initial-delay=2s", "--server-ca-file=/ca.pem"},
      {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->spool_path, "/tmp/s");
  EXPECT_EQ(c->spool_max_bytes, 2u << 20);
  EXPECT_EQ(c->upload_max_batch_age, std::chrono::seconds(90));
  EXPECT_EQ(c->upload_concurrency, 4);
  EXPECT_EQ(c->upload_max_backoff, std::chrono::seconds(30));
  EXPECT_EQ(c->collection_initial_delay, std::chrono::seconds(2));
  EXPECT_EQ(c->server_ca_file, "/ca.pem");
  EXPECT_EQ(ParseServeConfig({"--spool.max-bytes=131072"}, {})->spool_max_bytes, 131072u);
}

TEST(ConfigTest, BadUploadSettingsAreAllListed) {
  auto c = ParseServeConfig({"--spool.max-bytes=12MB", "--upload.max-batch-age=0s", "--upload.concurrency=0",
                             "--collection.initial-delay=soon", "--spool.path=", "--upload.max-backoff=2h"},
                            {});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 6u);
  EXPECT_THAT(c.error()[0], HasSubstr("--spool.max-bytes=12MB"));
  EXPECT_THAT(c.error()[1], HasSubstr("from 1s to 24h"));
  EXPECT_THAT(c.error()[2], HasSubstr("from 1 to 8"));
  EXPECT_THAT(c.error()[3], HasSubstr("--collection.initial-delay"));
  EXPECT_THAT(c.error()[4], HasSubstr("--spool.path"));
  EXPECT_THAT(c.error()[5], HasSubstr("--upload.max-backoff=2h: must be from 1s to 1h"));
  EXPECT_FALSE(ParseServeConfig({"--spool.max-bytes=1Ki"}, {}).ok());  // below the 64Ki floor
}

// Issue #10: 2562047788015216h is 2^63 ms and a bit; it wrapped around into 29m52s and was
// accepted. Numbers too big for a duration are refused, naming the flag or variable.
TEST(ConfigTest, DurationsThatWouldOverflowAreRefusedNotWrapped) {
  auto c = ParseServeConfig({"--upload.max-backoff=2562047788015216h", "--sample-interval=9223372036854775807",
                             "--collection.initial-delay=153722867280912931m"},
                            {{"STATUS_UPDATE_INTERVAL_SECONDS", "18446744073709612"},
                             {"CLUSTER_METADATA_INTERVAL_SECONDS", "9223372036854775"}});
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.error().size(), 5u);
  EXPECT_THAT(c.error(), Contains(HasSubstr("--upload.max-backoff=2562047788015216h: must be a duration")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("--sample-interval=9223372036854775807")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("--collection.initial-delay=153722867280912931m")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("STATUS_UPDATE_INTERVAL_SECONDS=18446744073709612")));
  EXPECT_THAT(c.error(), Contains(HasSubstr("CLUSTER_METADATA_INTERVAL_SECONDS=9223372036854775")));
}

TEST(ConfigTest, HugeByteSizesAreRefused) {
  for (const char* v : {"18446744073709551616", "17179869184Gi", "9223372036854775807", "1099511627777"}) {
    auto c = ParseServeConfig({std::string("--spool.max-bytes=") + v}, {});
    ASSERT_FALSE(c.ok()) << v;
    EXPECT_THAT(c.error()[0], HasSubstr("--spool.max-bytes")) << v;
  }
  EXPECT_EQ(ParseServeConfig({"--spool.max-bytes=1024Gi"}, {})->spool_max_bytes, 1ull << 40);
}

}  // namespace
}  // namespace kube9::config
