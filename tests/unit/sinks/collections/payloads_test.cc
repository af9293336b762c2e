#include "sinks/collections/payloads.h"

#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/gzip.h"
#include "collectors/extract.h"

namespace kube9::sinks::collections {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const base::WallTime kNow{std::chrono::milliseconds(1795774800123)};  // 2026-11-27T10:20:00.123Z

TEST(IdentityTest, IdentifierIsTheSha256OfTheSource) {
  ClusterIdentity id("abc");  // SHA-256("abc"), FIPS 180-2 test vector
  EXPECT_EQ(id.identifier(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(id.cluster_id(), "cls_ba7816bf8f01cfea414140de5dae2223");
}

TEST(IdentityTest, NamespaceIdsAreKeyedPerCluster) {
  ClusterIdentity a("8a3c5a55-0000-4000-8000-000000000001");
  ClusterIdentity b("8a3c5a55-0000-4000-8000-000000000002");
  EXPECT_THAT(a.NamespaceId("default"), ::testing::MatchesRegex("namespace-[0-9a-f]{12}"));
  EXPECT_EQ(a.NamespaceId("default"), a.NamespaceId("default"));
  EXPECT_NE(a.NamespaceId("default"), a.NamespaceId("kube-system"));
  // The same name in another cluster gets another id: no lookup table across clusters.
  EXPECT_NE(a.NamespaceId("default"), b.NamespaceId("default"));
  // Not a plain hash of the name either.
  EXPECT_NE(a.NamespaceId("default").substr(10), Sha256Hex("default").substr(0, 12));
}

TEST(IdentityTest, CollectionIdsAreRandom) {
  const std::string x = NewCollectionId(), y = NewCollectionId();
  EXPECT_THAT(x, ::testing::MatchesRegex("coll_[0-9a-f]{32}"));
  EXPECT_NE(x, y);
}

class PayloadsTest : public ::testing::Test {
 protected:
  PayloadsTest() : identity_("uid-of-kube-system") {
    stores_.Add(collectors::kNodes);
    stores_.Add(collectors::kPods);
    stores_.Add(collectors::kServices);
    stores_.Add(collectors::kDeployments);
    stores_.Add(collectors::kNamespaces);
  }
  template <typename T>
  void Add(collectors::Store<T>& store, const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    ASSERT_FALSE(d.HasParseError()) << json;
    store.OnEvent(kube::EventType::kAdded, d);
  }
  // Objects whose every identifying string contains "SECRETMARK", as a user's would.
  void Populate() {
    Add(*stores_.Find(collectors::kNamespaces), R"({"metadata":{"uid":"n1","name":"team-SECRETMARK"}})");
    Add(*stores_.Find(collectors::kNodes), R"({"metadata":{"uid":"node1","name":"node-SECRETMARK","labels":{
        "topology.kubernetes.io/region":"eu-west-1","topology.kubernetes.io/zone":"eu-west-1a",
        "owner":"SECRETMARK"}},"spec":{"providerID":"aws:///eu-west-1a/i-SECRETMARK"},
        "status":{"addresses":[{"type":"InternalIP","address":"10.1.2.3"}],
        "conditions":[{"type":"Ready","status":"True"}]}})");
    Add(*stores_.Find(collectors::kPods), R"({"metadata":{"uid":"p1","name":"api-SECRETMARK","namespace":"team-SECRETMARK",
        "labels":{"app":"SECRETMARK"},"annotations":{"note":"SECRETMARK"}},
        "spec":{"hostNetwork":true,"securityContext":{"runAsNonRoot":true},
          "volumes":[{"name":"v-SECRETMARK","emptyDir":{}},{"name":"s","secret":{"secretName":"SECRETMARK"}}],
          "containers":[
          {"name":"c-SECRETMARK","image":"registry.SECRETMARK/app:1","imagePullPolicy":"Always",
           "env":[{"name":"TOKEN","value":"SECRETMARK"}],
           "resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"memory":"512Mi"}},
           "livenessProbe":{"httpGet":{"path":"/SECRETMARK"}},"readinessProbe":{},
           "securityContext":{"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,
                              "capabilities":{"drop":["ALL"]}}},
          {"name":"sidecar","image":"x","securityContext":{"runAsNonRoot":false,"privileged":true}}]},
        "status":{"phase":"Running","podIP":"10.9.9.9"}})");
    Add(*stores_.Find(collectors::kPods), R"({"metadata":{"uid":"p2","name":"web","namespace":"default"},
        "spec":{"containers":[{"name":"c","image":"nginx","imagePullPolicy":"IfNotPresent"}]},
        "status":{"phase":"Pending"}})");
    Add(*stores_.Find(collectors::kServices), R"({"metadata":{"uid":"s1","name":"svc-SECRETMARK","namespace":"default"},
        "spec":{"type":"LoadBalancer","clusterIP":"10.0.0.7"}})");
    Add(*stores_.Find(collectors::kServices), R"({"metadata":{"uid":"s2","name":"svc2","namespace":"default"},"spec":{}})");
    Add(*stores_.Find(collectors::kDeployments), R"({"metadata":{"uid":"d1","name":"dep-SECRETMARK","namespace":"default"},
        "spec":{"replicas":3},"status":{"readyReplicas":2,"availableReplicas":2,"unavailableReplicas":1}})");
    aggregates_ = collectors::Aggregate(stores_, kNow, "v1.35.4");
  }
  rapidjson::Document Build(CollectionType type) {
    // With the assessment's counts, as the scheduler adds them (the checks' messages name
    // SECRETMARK objects; the payload must carry counts only).
    base::FakeClock clock;
    const assessment::Report report = assessment::Run(assessment::CatalogueChecks(), {},
                                                      assessment::Inputs{stores_, kNow, {}, &aggregates_}, clock);
    pillars_ = assessment::SummarizePillars(report);
    json_ = BuildCollection(type, {stores_, aggregates_, &pillars_}, identity_, kNow,
                            "coll_0123456789abcdef0123456789abcdef");
    rapidjson::Document d;
    d.Parse(json_.c_str());
    EXPECT_FALSE(d.HasParseError()) << json_;
    return d;
  }
  ClusterIdentity identity_;
  collectors::ClusterStores stores_;
  collectors::ClusterAggregates aggregates_;
  std::vector<assessment::PillarSummary> pillars_;
  std::string json_;
};

TEST_F(PayloadsTest, ConfigurationPatternsCarryTheAssessmentsCountsPerPillarOnly) {
  Populate();
  auto d = Build(CollectionType::kResourceConfigurationPatterns);
  const auto& a = d["data"]["assessment"];
  ASSERT_TRUE(a.IsObject()) << json_;
  EXPECT_EQ(a.MemberCount(), 6u);
  for (const auto& pillar : a.GetObject()) {
    for (const auto& count : pillar.value.GetObject()) {
      EXPECT_TRUE(count.value.IsInt64()) << pillar.name.GetString() << "." << count.name.GetString();
    }
  }
  std::int64_t checks = 0;
  for (const auto& pillar : a.GetObject()) {
    for (const char* s : {"passing", "failing", "warning", "skipped", "error", "timeout"}) checks += pillar.value[s].GetInt64();
  }
  EXPECT_EQ(checks, static_cast<std::int64_t>(assessment::CatalogueChecks().size()));
  // dep-SECRETMARK has an unavailable replica: reliability.workloads-unavailable warns, naming it
  // in its message, which stays in the cluster.
  EXPECT_GE(a["reliability"]["warning"].GetInt64(), 1);
  EXPECT_THAT(json_, Not(HasSubstr("message")));
  EXPECT_THAT(json_, Not(HasSubstr("SECRETMARK")));
}

TEST_F(PayloadsTest, EveryTypeHasTheContractEnvelope) {
  Populate();
  for (CollectionType type : kAllTypes) {
    rapidjson::Document d = Build(type);
    ASSERT_TRUE(d.IsObject());
    EXPECT_EQ(d.MemberCount(), 4u);
    EXPECT_STREQ(d["version"].GetString(), "v1.0.0");
    EXPECT_EQ(d["type"].GetString(), TypeName(type));
    EXPECT_STREQ(d["data"]["timestamp"].GetString(), "2026-11-27T10:20:00.123Z");
    EXPECT_STREQ(d["data"]["collectionId"].GetString(), "coll_0123456789abcdef0123456789abcdef");
    EXPECT_EQ(d["data"]["clusterId"].GetString(), identity_.cluster_id());
    ASSERT_TRUE(d["sanitization"]["rulesApplied"].IsArray());
    EXPECT_GE(d["sanitization"]["rulesApplied"].Size(), 5u);
    EXPECT_STREQ(d["sanitization"]["timestamp"].GetString(), "2026-11-27T10:20:00.123Z");
    EXPECT_EQ(ParseType(TypeName(type)), type);
  }
  EXPECT_EQ(ParseType("everything"), std::nullopt);
}

// JSON is UTF-8, whatever bytes the cluster reports (RapidJSON 1.1 makes the escape "\uDEC9" in
// a /version body into the bytes ED BB 89).
TEST_F(PayloadsTest, MalformedUtf8FromTheClusterBecomesReplacementCharacters) {
  Populate();
  aggregates_.kubernetes_version = "v1.35.4\xED\xBB\x89";
  Build(CollectionType::kClusterMetadata);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(json_.c_str());
  ASSERT_FALSE(d.HasParseError()) << json_;
  EXPECT_EQ(std::string(d["data"]["kubernetesVersion"].GetString()), "v1.35.4\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(PayloadsTest, NoNameLabelImageEnvOrAddressLeaves) {
  Populate();
  for (CollectionType type : kAllTypes) {
    Build(type);
    EXPECT_THAT(json_, Not(HasSubstr("SECRETMARK"))) << TypeName(type);
    EXPECT_THAT(json_, Not(HasSubstr("10.")));
    EXPECT_THAT(json_, Not(HasSubstr("nginx")));
    EXPECT_THAT(json_, Not(HasSubstr("\"default\"")));
    EXPECT_THAT(json_, Not(HasSubstr("uid-of-kube-system")));
  }
}

TEST_F(PayloadsTest, ClusterMetadata) {
  Populate();
  auto d = Build(CollectionType::kClusterMetadata);
  const auto& data = d["data"];
  EXPECT_STREQ(data["kubernetesVersion"].GetString(), "v1.35.4");
  EXPECT_EQ(data["nodeCount"].GetInt(), 1);
  EXPECT_STREQ(data["provider"].GetString(), "aws");
  EXPECT_STREQ(data["region"].GetString(), "eu-west-1");
  EXPECT_STREQ(data["zone"].GetString(), "eu-west-1a");
}

TEST_F(PayloadsTest, ResourceInventoryCountsWithHashedNamespaces) {
  Populate();
  auto d = Build(CollectionType::kResourceInventory);
  const auto& data = d["data"];
  EXPECT_EQ(data["namespaces"]["count"].GetInt(), 2);
  const std::string team = identity_.NamespaceId("team-SECRETMARK"), def = identity_.NamespaceId("default");
  EXPECT_EQ(data["pods"]["total"].GetInt(), 2);
  EXPECT_EQ(data["pods"]["byNamespace"][team.c_str()].GetInt(), 1);
  EXPECT_EQ(data["pods"]["byNamespace"][def.c_str()].GetInt(), 1);
  EXPECT_EQ(data["pods"]["byPhase"]["Running"].GetInt(), 1);
  EXPECT_EQ(data["pods"]["byPhase"]["Pending"].GetInt(), 1);
  EXPECT_EQ(data["deployments"].GetInt(), 1);
  EXPECT_EQ(data["statefulsets"].GetInt(), 0);  // collector off: zero, not missing
  EXPECT_EQ(data["services"]["total"].GetInt(), 2);
  EXPECT_EQ(data["services"]["byType"]["LoadBalancer"].GetInt(), 1);
  EXPECT_EQ(data["services"]["byType"]["ClusterIP"].GetInt(), 1);
}

// The API server accepts four service types; a type it does not (a patched server, a future type)
// is counted as "Other" and its string is never sent.
TEST_F(PayloadsTest, UnknownServiceTypeIsCountedAsOtherNotSent) {
  Populate();
  Add(*stores_.Find(collectors::kServices),
      R"({"metadata":{"uid":"s3","name":"x","namespace":"default"},"spec":{"type":"LoadBalancer-SECRETMARK"}})");
  for (const auto type : {CollectionType::kResourceInventory, CollectionType::kResourceConfigurationPatterns}) {
    auto d = Build(type);
    const auto& data = d["data"];
    const auto& types = type == CollectionType::kResourceInventory ? data["services"]["byType"] : data["serviceTypes"];
    EXPECT_EQ(types["Other"].GetInt(), 1);
    EXPECT_EQ(types["LoadBalancer"].GetInt(), 1);
    EXPECT_EQ(types.MemberCount(), 3u);
    EXPECT_THAT(json_, Not(HasSubstr("LoadBalancer-SECRETMARK")));
  }
}

TEST_F(PayloadsTest, ConfigurationPatterns) {
  Populate();
  auto d = Build(CollectionType::kResourceConfigurationPatterns);
  const auto& data = d["data"];
  EXPECT_EQ(data["pods"]["total"].GetInt(), 2);
  EXPECT_EQ(data["pods"]["containers"].GetInt(), 3);
  EXPECT_EQ(data["pods"]["hostNetwork"].GetInt(), 1);
  EXPECT_EQ(data["resources"]["containersWithCpuRequest"].GetInt(), 1);
  EXPECT_EQ(data["resources"]["containersWithMemoryLimit"].GetInt(), 1);
  EXPECT_EQ(data["resources"]["containersWithCpuLimit"].GetInt(), 0);
  EXPECT_EQ(data["resources"]["podCpuRequests"]["le500m"].GetInt(), 1);
  EXPECT_EQ(data["resources"]["podCpuRequests"]["none"].GetInt(), 1);
  EXPECT_EQ(data["resources"]["podMemoryRequests"]["le512Mi"].GetInt(), 1);
  EXPECT_EQ(data["imagePullPolicies"]["Always"].GetInt(), 1);
  EXPECT_EQ(data["imagePullPolicies"]["IfNotPresent"].GetInt(), 1);
  EXPECT_EQ(data["imagePullPolicies"]["unset"].GetInt(), 1);
  EXPECT_EQ(data["probes"]["liveness"].GetInt(), 1);
  EXPECT_EQ(data["probes"]["readiness"].GetInt(), 1);
  EXPECT_EQ(data["probes"]["startup"].GetInt(), 0);
  // The first container inherits the pod's runAsNonRoot; the sidecar overrides it.
  EXPECT_EQ(data["securityContexts"]["runAsNonRoot"].GetInt(), 1);
  EXPECT_EQ(data["securityContexts"]["readOnlyRootFilesystem"].GetInt(), 1);
  EXPECT_EQ(data["securityContexts"]["privileged"].GetInt(), 1);
  EXPECT_EQ(data["securityContexts"]["allowPrivilegeEscalationFalse"].GetInt(), 1);
  EXPECT_EQ(data["securityContexts"]["capabilitiesDropAll"].GetInt(), 1);
  EXPECT_EQ(data["volumeTypes"]["emptyDir"].GetInt(), 1);
  EXPECT_EQ(data["volumeTypes"]["secret"].GetInt(), 1);
  EXPECT_EQ(data["volumeTypes"]["hostPath"].GetInt(), 0);
  EXPECT_EQ(data["replicaCounts"]["deployments"]["2-3"].GetInt(), 1);
  EXPECT_EQ(data["serviceTypes"]["LoadBalancer"].GetInt(), 1);
}

TEST_F(PayloadsTest, MetricsBatchCarriesEverySampleInOrder) {
  Populate();
  std::vector<MetricsSample> samples = {SampleOf(aggregates_, kNow), SampleOf(aggregates_, kNow + std::chrono::seconds(60))};
  json_ = BuildMetricsBatch(samples, 60, identity_, kNow, "coll_00000000000000000000000000000001");
  rapidjson::Document d;
  d.Parse(json_.c_str());
  ASSERT_FALSE(d.HasParseError());
  const auto& data = d["data"];
  EXPECT_EQ(data["intervalSeconds"].GetInt(), 60);
  ASSERT_EQ(data["samples"].Size(), 2u);
  EXPECT_STREQ(data["samples"][1]["timestamp"].GetString(), "2026-11-27T10:21:00.123Z");
  EXPECT_EQ(data["samples"][0]["healthScore"].GetInt(), aggregates_.score);
  EXPECT_EQ(data["samples"][0]["nodes"]["ready"].GetInt(), 1);
  EXPECT_EQ(data["samples"][0]["podsByPhase"]["Running"].GetInt(), 1);
  EXPECT_EQ(data["samples"][0]["replicas"]["unavailable"].GetInt(), 1);
  EXPECT_EQ(data["samples"][0]["failingChecks"]["workloads_unavailable"].GetInt(), 1);
  EXPECT_THAT(json_, Not(HasSubstr("SECRETMARK")));
}

TEST(PrettyJsonTest, IndentsByTwoSpaces) {
  EXPECT_EQ(PrettyJson(R"({"a":[1]})"), "{\n  \"a\": [\n    1\n  ]\n}");
  EXPECT_EQ(PrettyJson("{"), "");
}


// PERFORMANCE.md: a day of metrics batches for a 10,000-pod cluster is at most 5 MB on the wire.
TEST(PayloadSizeTest, ADayOfMetricsBatchesForTenThousandPodsIsFarBelowFiveMegabytes) {
  collectors::ClusterAggregates a;
  a.node_count = 500;
  a.nodes_by_ready = {495, 4, 1};
  for (int n = 0; n < 500; ++n) {
    auto& ns = a.namespaces["namespace-" + std::to_string(n)];
    ns.pods_by_phase = {1, 18, 1, 0, 0};
    ns.containers_waiting[0] = n % 7 == 0 ? 1 : 0;
    ns.container_restarts = n;
  }
  for (int w = 0; w < 3000; ++w) {
    a.workloads.push_back({collectors::WorkloadKind::kDeployment, "ns", "w" + std::to_string(w), 3, 3, 3, 0});
  }
  a.checks = {{"nodes_not_ready", collectors::Severity::kCritical, 5, 500, 30},
              {"pods_crash_looping", collectors::Severity::kWarning, 72, 10000, 15}};
  const ClusterIdentity identity("uid");
  std::size_t wire = 0;
  const int interval = 60;  // one sample a minute: 1,440 a day, in batches of 10
  for (int batch = 0; batch < 144; ++batch) {
    std::vector<MetricsSample> samples;
    for (int i = 0; i < 10; ++i) {
      samples.push_back(SampleOf(a, kNow + std::chrono::seconds((batch * 10 + i) * interval)));
    }
    wire += base::GzipCompress(BuildMetricsBatch(samples, interval, identity, kNow, NewCollectionId()), 6).size();
  }
  RecordProperty("bytes_per_day", static_cast<int>(wire));
  std::printf("a day of metrics batches, gzip: %zu bytes\n", wire);
  EXPECT_LT(wire, 5u << 20);
}

}  // namespace
}  // namespace kube9::sinks::collections
