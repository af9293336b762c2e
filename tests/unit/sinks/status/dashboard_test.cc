#include "sinks/status/dashboard.h"

#include <rapidjson/document.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace kube9::sinks {
namespace {

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

template <typename T>
void Add(collectors::Store<T>& store, const std::string& json) {
  rapidjson::Document doc = Parse(json);
  store.OnListed(doc);
}

TEST(DashboardTest, CountsComeFromTheStores) {
  collectors::ClusterStores stores;
  stores.Add(collectors::kNamespaces);
  stores.Add(collectors::kNodes);
  stores.Add(collectors::kDeployments);
  Add(*stores.Find(collectors::kNamespaces), R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000001","name":"a"}})");
  Add(*stores.Find(collectors::kNamespaces), R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000002","name":"b"}})");
  Add(*stores.Find(collectors::kDeployments), R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000003","name":"d","namespace":"a"},
      "spec":{"replicas":1}})");
  Add(*stores.Find(collectors::kNodes), R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000004","name":"n1"},
      "status":{"allocatable":{"cpu":"3500m","memory":"8Gi"},"conditions":[{"type":"Ready","status":"True"}]}})");
  Add(*stores.Find(collectors::kNodes), R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000005","name":"n2"},
      "status":{"allocatable":{"cpu":"4","memory":"4Gi"},"conditions":[{"type":"Ready","status":"False"}]}})");
  DashboardData d = DashboardFromStores(stores);
  EXPECT_EQ(d.namespaces, 2);
  EXPECT_EQ(d.deployments, 1);
  EXPECT_EQ(d.pods, 0);  // collector disabled: 0, not a crash
  EXPECT_EQ(d.nodes, 2);
  EXPECT_EQ(d.ready_nodes, 1);
  EXPECT_EQ(d.cpu_milli, 7500);
  EXPECT_EQ(d.memory_bytes, 12ll << 30);
  EXPECT_EQ(d.data_points, 5);
}

TEST(DashboardTest, JsonIsTheContractsShape) {
  DashboardData d;
  d.namespaces = 4;
  d.deployments = 3;
  d.pods = 12;
  d.nodes = 2;
  d.ready_nodes = 1;
  d.cpu_milli = 7500;
  d.memory_bytes = static_cast<std::int64_t>(47.1 * (1ll << 30));
  d.collectors_running = 12;
  d.data_points = 40;
  d.last_collection = *base::ParseRfc3339("2026-12-05T10:00:00.000Z");
  const std::string json = RenderDashboardJson(d, *base::ParseRfc3339("2026-12-05T10:00:05.123Z"));
  EXPECT_EQ(json.substr(0, 24), "{\n  \"namespaceCount\": 4,");
  rapidjson::Document doc = Parse(json);
  std::vector<std::string> keys;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) keys.emplace_back(it->name.GetString());
  EXPECT_EQ(keys, (std::vector<std::string>{"namespaceCount", "workloads", "nodes", "operatorMetrics", "lastUpdated"}));
  std::vector<std::string> workloads;
  for (auto it = doc["workloads"].MemberBegin(); it != doc["workloads"].MemberEnd(); ++it) {
    workloads.emplace_back(it->name.GetString());
  }
  EXPECT_EQ(workloads, (std::vector<std::string>{"deployments", "statefulsets", "daemonsets", "replicasets", "jobs",
                                                 "cronjobs", "pods"}));
  EXPECT_EQ(doc["workloads"]["pods"].GetInt(), 12);
  EXPECT_EQ(doc["nodes"]["totalNodes"].GetInt(), 2);
  EXPECT_EQ(doc["nodes"]["readyNodes"].GetInt(), 1);
  EXPECT_STREQ(doc["nodes"]["cpuCapacity"].GetString(), "7.5");
  EXPECT_STREQ(doc["nodes"]["memoryCapacity"].GetString(), "47.1 Gi");
  EXPECT_EQ(doc["operatorMetrics"]["collectorsRunning"].GetInt(), 12);
  EXPECT_EQ(doc["operatorMetrics"]["dataPointsCollected"].GetInt(), 40);
  EXPECT_STREQ(doc["operatorMetrics"]["lastCollectionTime"].GetString(), "2026-12-05T10:00:00.000Z");
  EXPECT_STREQ(doc["lastUpdated"].GetString(), "2026-12-05T10:00:05.123Z");
  EXPECT_EQ(FormatCores(12000), "12");
  EXPECT_EQ(FormatCores(250), "0.25");
  EXPECT_EQ(FormatGi(0), "0.0 Gi");
}

}  // namespace
}  // namespace kube9::sinks
