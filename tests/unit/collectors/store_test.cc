#include "collectors/store.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::collectors {
namespace {

rapidjson::Document Pod(const std::string& uid, const std::string& ns, const std::string& phase) {
  rapidjson::Document d;
  d.Parse((R"({"metadata":{"uid":")" + uid + R"(","namespace":")" + ns + R"(","name":"p"},"status":{"phase":")" +
           phase + "\"}}").c_str());
  return d;
}

std::map<std::string, std::string> Contents(const Store<PodInfo>& s) {
  std::map<std::string, std::string> out;
  s.ForEach([&](const PodInfo& p) { out[p.ns] = std::string(kPodPhases[static_cast<int>(p.phase)]); });
  return out;
}

constexpr const char* kU1 = "0b7c3b2e-1111-4c4d-9e9f-000000000001";
constexpr const char* kU2 = "0b7c3b2e-1111-4c4d-9e9f-000000000002";
constexpr const char* kU3 = "0b7c3b2e-1111-4c4d-9e9f-000000000003";

TEST(StoreTest, EventsAddUpdateAndDelete) {
  Store<PodInfo> s(&ExtractPod);
  s.OnSyncStart();
  s.OnListed(Pod(kU1, "a", "Pending"));
  s.OnSynced();
  s.OnEvent(kube::EventType::kAdded, Pod(kU2, "b", "Running"));
  s.OnEvent(kube::EventType::kModified, Pod(kU1, "a", "Running"));
  EXPECT_EQ(Contents(s), (std::map<std::string, std::string>{{"a", "Running"}, {"b", "Running"}}));
  s.OnEvent(kube::EventType::kDeleted, Pod(kU2, "b", "Running"));
  EXPECT_EQ(s.size(), 1u);
}

TEST(StoreTest, RelistDropsWhatWasNotListedAndKeepsTheRest) {
  Store<PodInfo> s(&ExtractPod);
  s.OnSyncStart();
  s.OnListed(Pod(kU1, "a", "Running"));
  s.OnListed(Pod(kU2, "b", "Running"));
  s.OnSynced();
  s.OnSyncStart();  // relist after 410: kU2 was deleted meanwhile, kU3 created
  s.OnListed(Pod(kU1, "a", "Failed"));
  s.OnListed(Pod(kU3, "c", "Pending"));
  s.OnSynced();
  EXPECT_EQ(Contents(s), (std::map<std::string, std::string>{{"a", "Failed"}, {"c", "Pending"}}));
}

TEST(StoreTest, AFailedRelistKeepsTheLastKnownState) {
  Store<PodInfo> s(&ExtractPod);
  s.OnSyncStart();
  s.OnListed(Pod(kU1, "a", "Running"));
  s.OnSynced();
  s.OnSyncStart();  // the LIST fails half-way: OnSynced never comes
  s.OnListed(Pod(kU2, "b", "Running"));
  EXPECT_EQ(s.size(), 2u) << "nothing is dropped until a list completes";
}

TEST(StoreTest, UnusableObjectsAreCountedNotKept) {
  Store<PodInfo> s(&ExtractPod);
  rapidjson::Document d;
  d.Parse(R"({"kind":"Pod"})");
  s.OnListed(d);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.skipped(), 1u);
}

TEST(ObjectKeyTest, UuidsPackIntoTheKeyOthersHash) {
  rapidjson::Document a, b, c;
  a.Parse(R"({"metadata":{"uid":"0b7c3b2e-1111-4c4d-9e9f-000000000001"}})");
  b.Parse(R"({"metadata":{"uid":"0B7C3B2E-1111-4C4D-9E9F-000000000001"}})");
  c.Parse(R"({"metadata":{"namespace":"a","name":"b"}})");
  EXPECT_EQ(KeyOf(a), KeyOf(b));
  EXPECT_EQ(KeyOf(a).hi, 0x0b7c3b2e11114c4dull);
  EXPECT_EQ(KeyOf(a).lo, 0x9e9f000000000001ull);
  rapidjson::Document c2;
  c2.Parse(R"({"metadata":{"namespace":"a","name":"c"}})");
  EXPECT_NE(KeyOf(c), KeyOf(c2));
}

}  // namespace
}  // namespace kube9::collectors

#include "collectors/collector_set.h"
#include "collectors/registry.h"

namespace kube9::collectors {
namespace {

TEST(RegistryTest, NamesAreUniqueAndNoSecretsAreRead) {
  std::set<std::string_view> names;
  for (const auto& r : AllResources()) {
    EXPECT_TRUE(names.insert(r.name).second) << r.name << " registered twice: ClusterStores::Find relies on it";
    EXPECT_NE(r.name, "secrets");
    EXPECT_FALSE(r.path.empty()) << r.name;
  }
}

TEST(RegistryTest, NoCollectorsGivenMeansEveryDefaultCollector) {
  std::vector<std::string> names;
  EXPECT_EQ(ResolveCollectorNames(names), "");
  EXPECT_EQ(names, DefaultCollectorNames());
  EXPECT_EQ(names.front(), "nodes");
  EXPECT_EQ(names.back(), "helmreleases");
  EXPECT_THAT(names, ::testing::Contains("clusterrolebindings"));
  // Reading ConfigMaps cluster-wide is opt-in (PRODUCT.md §10): known, never a default.
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("configmaps")));
  EXPECT_THAT(AllCollectorNames(), ::testing::Contains("configmaps"));
  std::vector<std::string> opted = {"pods", "configmaps"};
  EXPECT_EQ(ResolveCollectorNames(opted), "");
}

TEST(RegistryTest, OnlyTheAddOnApisFollowDiscovery) {
  std::vector<std::string> optional;
  for (const auto& r : Registry()) {
    EXPECT_EQ(r.opt_in, r.kind.name == "configmaps") << r.kind.name;
    EXPECT_TRUE(!r.by_resource || r.optional()) << r.kind.name;
    if (r.optional()) optional.emplace_back(r.kind.name);  // started by discovery (SetServedApis)
  }
  EXPECT_EQ(optional, (std::vector<std::string>{"verticalpodautoscalers", "applications", "kustomizations",
                                                "helmreleases"}));
}

TEST(RegistryTest, UnknownCollectorsAreAllNamedWithTheKnownOnes) {
  std::vector<std::string> names = {"pods", "secrets", "podz"};
  const std::string problem = ResolveCollectorNames(names);
  EXPECT_THAT(problem, ::testing::StartsWith("unknown collector 'secrets', 'podz' (known: nodes, namespaces, pods,"));
  EXPECT_THAT(problem, ::testing::EndsWith(", events, applications, kustomizations, helmreleases)"));
  std::vector<std::string> good = {"events", "pods"};
  EXPECT_EQ(ResolveCollectorNames(good), "");
  EXPECT_EQ(good, (std::vector<std::string>{"events", "pods"}));
}

TEST(ClusterStoresTest, AStoreIsFoundByItsCollectorAndIsNullWhenDisabled) {
  ClusterStores stores;
  EXPECT_EQ(stores.Find(kPods), nullptr);
  Store<PodInfo>& pods = stores.Add(kPods);
  EXPECT_EQ(stores.Find(kPods), &pods);
  EXPECT_EQ(stores.FindByName("pods"), &pods);
  EXPECT_EQ(stores.Find(kNodes), nullptr);
  EXPECT_EQ(SizeOf(stores.Find(kNodes)), 0);
}

TEST(CollectorSetTest, RunsOneCollectorPerEnabledRegistrationAndTheEventsOnlyWithAHistory) {
  ClusterStores unused;
  for (const auto& r : Registry()) {
    if (r.kind.name == "events") {
      EXPECT_EQ(r.add_store, nullptr);
      continue;
    }
    if (r.optional()) {  // started at run time, its store outside ClusterStores
      EXPECT_EQ(r.add_store, nullptr) << r.kind.name;
      EXPECT_NE(r.make_store(), nullptr) << r.kind.name;
      EXPECT_NE(GroupVersionOf(r.kind), "") << r.kind.name;
      continue;
    }
    ASSERT_NE(r.add_store, nullptr) << r.kind.name;
    StoreBase* store = r.add_store(unused);
    EXPECT_EQ(unused.FindByName(r.kind.name), store) << r.kind.name;
  }
}

}  // namespace
}  // namespace kube9::collectors
