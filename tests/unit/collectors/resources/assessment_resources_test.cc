// The collectors the assessment reads (collectors/resources/): what each keeps of an object,
// and that it keeps no more (no values, no label text).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/json_text.h"

#include "collectors/credential_names.h"
#include "collectors/discovery.h"
#include "collectors/extract.h"
#include "collectors/label_selector.h"
#include "collectors/registry.h"
#include "collectors/resources/configmaps.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"
#include "collectors/resources/limit_ranges.h"
#include "collectors/resources/network_policies.h"
#include "collectors/resources/pod_disruption_budgets.h"
#include "collectors/resources/resource_quotas.h"
#include "collectors/resources/role_bindings.h"
#include "collectors/resources/roles.h"
#include "collectors/resources/vertical_pod_autoscalers.h"

namespace kube9::collectors {
namespace {

using kube9::testing::Json;

LabelHashes Labels(const char* labels) {
  const rapidjson::Document d = Json(labels);
  return HashLabels(&d);
}
LabelSelector Selector(const char* selector) {
  const rapidjson::Document d = Json(selector);
  return ParseLabelSelector(&d);
}

TEST(LabelSelectorTest, MatchLabelsAndExpressionsOnHashes) {
  const LabelHashes web = Labels(R"({"app":"web","tier":"fe"})");
  EXPECT_TRUE(Selector(R"({"matchLabels":{"app":"web"}})").Matches(web));
  EXPECT_FALSE(Selector(R"({"matchLabels":{"app":"db"}})").Matches(web));
  EXPECT_FALSE(Selector(R"({"matchLabels":{"app":"web","zone":"a"}})").Matches(web));
  EXPECT_TRUE(Selector(R"({"matchExpressions":[{"key":"tier","operator":"In","values":["be","fe"]}]})").Matches(web));
  EXPECT_FALSE(Selector(R"({"matchExpressions":[{"key":"tier","operator":"NotIn","values":["fe"]}]})").Matches(web));
  EXPECT_TRUE(Selector(R"({"matchExpressions":[{"key":"app","operator":"Exists"}]})").Matches(web));
  EXPECT_FALSE(Selector(R"({"matchExpressions":[{"key":"app","operator":"DoesNotExist"}]})").Matches(web));
  EXPECT_FALSE(Selector(R"({"matchExpressions":[{"key":"app","operator":"Near"}]})").Matches(web))
      << "unknown: nothing";
  // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
  EXPECT_TRUE(Selector("{}").Matches(web));
  EXPECT_FALSE(ParseLabelSelector(nullptr).Matches(web));
  // A key's hash is not a pair's: app=web does not satisfy Exists(web).
  EXPECT_FALSE(Selector(R"({"matchExpressions":[{"key":"web","operator":"Exists"}]})").Matches(web));
}

TEST(ExtractWorkloadTest, KeepsThePodTemplateLabelsAsHashesOnly) {
  auto d = ExtractDeployment(Json(R"({"metadata":{"namespace":"a","name":"web"},"spec":{"replicas":3,
      "template":{"metadata":{"labels":{"app":"web-secret-label"}}}}})"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pod_labels.size(), 2u);
  EXPECT_TRUE(Selector(R"({"matchLabels":{"app":"web-secret-label"}})").Matches(d->pod_labels));
}

TEST(ExtractHpaTest, TargetReplicasAndMetrics) {
  auto h = ExtractHorizontalPodAutoscaler(Json(R"({"metadata":{"namespace":"a","name":"web"},"spec":{
      "scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":5,
      "metrics":[{"type":"Resource","resource":{"name":"cpu"}},{"type":"Pods","pods":{"metric":{"name":"qps"}}}]}})"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->ns, "a");
  EXPECT_EQ(h->target_kind, "Deployment");
  EXPECT_EQ(h->target_name, "web");
  EXPECT_EQ(h->min_replicas, 2);
  EXPECT_EQ(h->max_replicas, 5);
  EXPECT_EQ(h->metrics, 2);
  EXPECT_TRUE(h->scales_on_cpu_or_memory);
  auto bare = ExtractHorizontalPodAutoscaler(Json(R"({"metadata":{"namespace":"a","name":"x"},"spec":{"maxReplicas":3,
      "metrics":[{"type":"External","external":{"metric":{"name":"queue"}}}]}})"));
  EXPECT_EQ(bare->min_replicas, 1) << "the API's default";
  EXPECT_FALSE(bare->scales_on_cpu_or_memory);
  EXPECT_FALSE(ExtractHorizontalPodAutoscaler(Json(R"({"spec":{}})")));
}

TEST(ExtractPdbTest, SelectorAndWhetherItCanEverAllowADisruption) {
  auto pdb = [](const char* spec) {
    return *ExtractPodDisruptionBudget(
        Json((std::string(R"({"metadata":{"namespace":"a","name":"p"},"spec":)") + spec + "}").c_str()));
  };
  const PdbInfo one = pdb(R"({"maxUnavailable":1,"selector":{"matchLabels":{"app":"web"}}})");
  EXPECT_FALSE(one.allows_no_disruption);
  EXPECT_TRUE(one.selector.Matches(Labels(R"({"app":"web"})")));
  EXPECT_TRUE(pdb(R"({"maxUnavailable":0})").allows_no_disruption);
  EXPECT_TRUE(pdb(R"({"maxUnavailable":"0%"})").allows_no_disruption);
  EXPECT_TRUE(pdb(R"({"minAvailable":"100%"})").allows_no_disruption);
  EXPECT_FALSE(pdb(R"({"minAvailable":"50%"})").allows_no_disruption);
  EXPECT_EQ(pdb(R"({"minAvailable":3})").min_available, 3);
  EXPECT_EQ(pdb(R"({"minAvailable":"50%"})").min_available, -1);
  EXPECT_FALSE(pdb("{}").selector.Matches(Labels(R"({"app":"web"})"))) << "no selector: no pods";
}

TEST(ExtractNetworkPolicyTest, CoverageAndTypes) {
  auto n = ExtractNetworkPolicy(Json(R"({"metadata":{"namespace":"a","name":"deny"},"spec":{"podSelector":{},
      "policyTypes":["Ingress","Egress"]}})"));
  EXPECT_TRUE(n->selects_all_pods);
  EXPECT_TRUE(n->ingress && n->egress);
  auto d = ExtractNetworkPolicy(Json(R"({"metadata":{"namespace":"a","name":"web"},"spec":{
      "podSelector":{"matchLabels":{"app":"web"}},"ingress":[{}]}})"));
  EXPECT_FALSE(d->selects_all_pods);
  EXPECT_TRUE(d->ingress);
  EXPECT_FALSE(d->egress) << "the API's default: Egress only with egress rules";
}

TEST(ExtractQuotaAndLimitRangeTest, CpuAndMemory) {
  auto q =
      ExtractResourceQuota(Json(R"({"metadata":{"namespace":"a"},"spec":{"hard":{"requests.cpu":"4","pods":"10"}}})"));
  EXPECT_EQ(q->ns, "a");
  EXPECT_TRUE(q->cpu);
  EXPECT_FALSE(q->memory);
  auto objects =
      ExtractResourceQuota(Json(R"({"metadata":{"namespace":"a"},"spec":{"hard":{"count/jobs.batch":"5"}}})"));
  EXPECT_FALSE(objects->cpu || objects->memory);
  auto l = ExtractLimitRange(Json(R"({"metadata":{"namespace":"b"},"spec":{"limits":[
      {"type":"Container","default":{"memory":"512Mi"},"defaultRequest":{"cpu":"100m"}},
      {"type":"PersistentVolumeClaim","max":{"storage":"10Gi"}}]}})"));
  EXPECT_EQ(l->ns, "b");
  EXPECT_TRUE(l->cpu && l->memory);
  auto storage = ExtractLimitRange(Json(R"({"metadata":{"namespace":"b"},"spec":{"limits":[
      {"type":"PersistentVolumeClaim","max":{"storage":"10Gi"}}]}})"));
  EXPECT_FALSE(storage->cpu || storage->memory);
}

TEST(ExtractRoleTest, WildcardsAndSecretsRead) {
  auto admin = ExtractRole(Json(R"({"metadata":{"name":"ops"},"rules":[
      {"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]})"));
  EXPECT_TRUE(admin->wildcard_verb && admin->wildcard_resource && admin->wildcard_api_group);
  EXPECT_TRUE(admin->reads_secrets);
  EXPECT_FALSE(admin->builtin);
  EXPECT_EQ(admin->ns, "");
  auto reader = ExtractRole(Json(R"({"metadata":{"namespace":"a","name":"reader"},"rules":[
      {"apiGroups":[""],"resources":["secrets","configmaps"],"verbs":["get"]},
      {"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","list"]}]})"));
  EXPECT_FALSE(reader->wildcard());
  EXPECT_TRUE(reader->reads_secrets);
  auto writer = ExtractRole(Json(R"({"metadata":{"namespace":"a","name":"w"},"rules":[
      {"apiGroups":[""],"resources":["secrets"],"verbs":["create"]},{"apiGroups":["apps"],"resources":["*"],"verbs":["get"]}]})"));
  EXPECT_FALSE(writer->reads_secrets) << "create only; and * in apps is not the core group";
  EXPECT_TRUE(writer->wildcard_resource);
  EXPECT_TRUE(ExtractRole(Json(R"({"metadata":{"name":"system:controller:x"}})"))->builtin);
  EXPECT_TRUE(ExtractRole(Json(R"({"metadata":{"name":"cluster-admin",
      "labels":{"kubernetes.io/bootstrapping":"rbac-defaults"}}})"))
                  ->builtin);
}

TEST(ExtractBindingTest, SubjectsCountedAndClusterAdminToNonSystem) {
  auto b = ExtractBinding(Json(R"({"metadata":{"name":"ci-admin"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
      "subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"ci"},{"kind":"Group","name":"system:masters"}]})"));
  EXPECT_TRUE(b->role_is_cluster_role);
  EXPECT_EQ(b->role_name, "cluster-admin");
  EXPECT_EQ(b->service_accounts, 1);
  EXPECT_EQ(b->groups, 1);
  EXPECT_EQ(b->users, 0);
  EXPECT_TRUE(b->cluster_admin_to_non_system);
  auto system = ExtractBinding(Json(R"({"metadata":{"name":"cluster-admin"},
      "roleRef":{"kind":"ClusterRole","name":"cluster-admin"},
      "subjects":[{"kind":"Group","name":"system:masters"},{"kind":"ServiceAccount","name":"x","namespace":"kube-system"}]})"));
  EXPECT_FALSE(system->cluster_admin_to_non_system);
  auto role = ExtractBinding(Json(R"({"metadata":{"namespace":"a","name":"b"},
      "roleRef":{"kind":"Role","name":"cluster-admin"},"subjects":[{"kind":"User","name":"alice"}]})"));
  EXPECT_FALSE(role->cluster_admin_to_non_system) << "a Role that happens to be named cluster-admin";
  EXPECT_EQ(role->users, 1);
}

TEST(ExtractConfigMapTest, CountsCredentialKeyNamesAndKeepsNoKeyOrValue) {
  auto c = ExtractConfigMap(Json(R"({"metadata":{"namespace":"a","name":"app"},
      "data":{"DB_PASSWORD":"marker-value-1","log.level":"debug","api-key":"marker-value-2"},
      "binaryData":{"tls.private_key":"bWFya2Vy"}})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ns, "a");
  EXPECT_EQ(c->name, "app");
  EXPECT_EQ(c->credential_keys, 3);
  // The record has nowhere to put a key or a value: its only text is where the ConfigMap is.
  static_assert(sizeof(ConfigMapInfo) == 2 * sizeof(std::string) + sizeof(std::uint64_t));
}

TEST(CredentialNamesTest, NamesThatSayTheyHoldACredential) {
  for (const char* yes : {"password", "DB_PASSWORD", "db-passwd", "client_secret", "GITHUB_TOKEN", "apiKey", "api-key",
                          "API_KEY", "private_key", "tls.privateKey", "AWS_ACCESS_KEY_ID", "credentials"}) {
    EXPECT_TRUE(LooksLikeCredentialName(yes)) << yes;
  }
  for (const char* no : {"log.level", "replicas", "HOST", "config.yaml", "keyspace", "PORT"}) {
    EXPECT_FALSE(LooksLikeCredentialName(no)) << no;
  }
}

TEST(ExtractVpaTest, TargetModeAndBounds) {
  auto v = ExtractVerticalPodAutoscaler(Json(R"({"metadata":{"namespace":"a","name":"web"},"spec":{
      "targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"updatePolicy":{"updateMode":"Off"},
      "resourcePolicy":{"containerPolicies":[{"containerName":"*","minAllowed":{"cpu":"2"},"maxAllowed":{"cpu":"500m"}}]}}})"));
  EXPECT_EQ(v->target_kind, "Deployment");
  EXPECT_EQ(v->target_name, "web");
  EXPECT_FALSE(v->updates_pods);
  EXPECT_TRUE(v->min_above_max);
  auto dflt = ExtractVerticalPodAutoscaler(Json(R"({"metadata":{"namespace":"a","name":"x"},"spec":{}})"));
  EXPECT_TRUE(dflt->updates_pods) << "Auto when unset";
  EXPECT_FALSE(dflt->min_above_max);
  EXPECT_TRUE(dflt->target_name.empty());
}

TEST(DiscoveryTest, ServedGroups) {
  const ApiGroups groups = GroupsOf({{"apps", {"v1"}, "v1"}, {"external-secrets.io", {"v1beta1"}, "v1beta1"}});
  EXPECT_TRUE(groups.Serves("apps"));
  EXPECT_TRUE(groups.Serves("")) << "the core group";
  EXPECT_FALSE(groups.Serves("autoscaling.k8s.io"));
}

}  // namespace
}  // namespace kube9::collectors
