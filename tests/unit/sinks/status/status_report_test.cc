#include "sinks/status/status_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/version.h"

namespace kube9::sinks {
namespace {

const base::WallTime kNow{std::chrono::milliseconds(1795774800123)};

TEST(StatusReportTest, FreeTierRendersExactlyAsTheContractShows) {
  StatusModel model("kube9-system", false);
  const std::string json = RenderStatusJson(model.Current(kNow));
  EXPECT_EQ(json, std::string("{\n"
                              "  \"mode\": \"operated\",\n"
                              "  \"tier\": \"free\",\n"
                              "  \"version\": \"") + base::kVersion + "\",\n"
                              "  \"health\": \"healthy\",\n"
                              "  \"lastUpdate\": \"2026-11-27T10:20:00.123Z\",\n"
                              "  \"registered\": false,\n"
                              "  \"apiKeyConfigured\": false,\n"
                              "  \"error\": null,\n"
                              "  \"namespace\": \"kube9-system\",\n"
                              "  \"collectionStats\": {\n"
                              "    \"totalSuccessCount\": 0,\n"
                              "    \"totalFailureCount\": 0,\n"
                              "    \"collectionsStoredCount\": 0,\n"
                              "    \"lastSuccessTime\": null\n"
                              "  }\n"
                              "}");
}

TEST(StatusReportTest, ApiKeyWithoutRegistrationIsEnabledButDegraded) {
  StatusModel model("ops", true);
  auto r = model.Current(kNow);
  EXPECT_EQ(r.mode, "enabled");
  EXPECT_EQ(r.tier, "free");
  EXPECT_EQ(r.health, "degraded");
  ASSERT_TRUE(r.error);
  EXPECT_FALSE(r.error->empty());
  EXPECT_FALSE(r.cluster_id);
}

TEST(StatusReportTest, RegisteredIsProWithClusterId) {
  StatusModel model("ops", true);
  model.SetRegistration(true, "cls_0123", "");
  CollectionStats stats{5, 1, 6, kNow};
  model.SetCollectionStats(stats);
  auto r = model.Current(kNow);
  EXPECT_EQ(r.tier, "pro");
  EXPECT_EQ(r.health, "healthy");
  EXPECT_FALSE(r.error) << "error is null iff healthy";
  rapidjson::Document doc;
  doc.Parse(RenderStatusJson(r).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["clusterId"].GetString(), "cls_0123");
  EXPECT_EQ(doc["collectionStats"]["totalSuccessCount"].GetInt(), 5);
  EXPECT_STREQ(doc["collectionStats"]["lastSuccessTime"].GetString(), "2026-11-27T10:20:00.123Z");
  EXPECT_FALSE(doc.HasMember("data"));
}

TEST(StatusReportTest, FailingCollectorsDegradeUntilTheyRecover) {
  StatusModel model("ops", false);
  const auto before = model.Changes();
  model.SetCollectorProblem("collector pods failing for 1m: forbidden (HTTP 403): no");
  auto r = model.Current(kNow);
  EXPECT_EQ(r.mode, "operated");
  EXPECT_EQ(r.health, "degraded");
  EXPECT_EQ(r.error, "collector pods failing for 1m: forbidden (HTTP 403): no");
  EXPECT_EQ(model.Changes(), before + 1) << "a change of health is written at once";
  model.SetCollectorProblem("collector pods failing for 2m: forbidden (HTTP 403): no");
  EXPECT_EQ(model.Changes(), before + 1) << "a longer failure is no change of health";
  model.SetCollectorProblem(std::nullopt);
  EXPECT_EQ(model.Changes(), before + 2);
  r = model.Current(kNow);
  EXPECT_EQ(r.health, "healthy");
  EXPECT_FALSE(r.error);
}

TEST(StatusReportTest, RegistrationReasonComesFirstAndShuttingDownWins) {
  StatusModel model("ops", true);
  model.SetRegistration(false, std::nullopt, "kube9-server rejected the API key");
  model.SetCollectorProblem("collector pods failing for 1m: forbidden (HTTP 403): no");
  auto r = model.Current(kNow);
  EXPECT_EQ(r.health, "degraded");
  EXPECT_EQ(r.error, "kube9-server rejected the API key; collector pods failing for 1m: forbidden (HTTP 403): no");
  model.SetRegistration(true, "cls_1", "");
  r = model.Current(kNow);
  EXPECT_EQ(r.tier, "pro");
  EXPECT_EQ(r.health, "degraded") << "registered, but a collector is still failing";
  EXPECT_EQ(r.error, "collector pods failing for 1m: forbidden (HTTP 403): no");
  model.SetShuttingDown();
  r = model.Current(kNow);
  EXPECT_EQ(r.health, "unhealthy");
  EXPECT_EQ(r.error, "Shutting down");
}

TEST(StatusReportTest, ShuttingDownIsUnhealthyWithTheContractMessage) {
  StatusModel model("kube9-system", false);
  model.SetShuttingDown();
  auto r = model.Current(kNow);
  EXPECT_EQ(r.health, "unhealthy");
  EXPECT_EQ(r.error, "Shutting down");
}

TEST(StatusReportTest, ErrorIsCappedAt500BytesOnACharacterBoundary) {
  StatusModel model("ns", true);
  std::string reason;
  for (int i = 0; i < 300; ++i) reason += "é";  // 2 bytes each
  model.SetRegistration(false, std::nullopt, reason);
  rapidjson::Document doc;
  doc.Parse(RenderStatusJson(model.Current(kNow)).c_str());
  ASSERT_FALSE(doc.HasParseError());
  const std::string err = doc["error"].GetString();
  EXPECT_EQ(err.size(), 500u);
}

// JSON is UTF-8: whatever bytes a server's message or id carries, the status stays valid JSON
// (the bytes ED BB 89 are what RapidJSON 1.1 makes of the escape "\uDEC9"; found by fuzzing).
TEST(StatusReportTest, MalformedUtf8BecomesReplacementCharacters) {
  StatusModel model("ns", true);
  model.SetRegistration(false, std::nullopt, "kube9-server said: bad \xED\xBB\x89 \xFF key");
  rapidjson::Document doc;
  const std::string json = RenderStatusJson(model.Current(kNow));
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(std::string(doc["error"].GetString()),
            "kube9-server said: bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD key");
}

TEST(StatusReportTest, StaysSmall) {
  StatusModel model("a-namespace-name-that-is-quite-long-but-still-valid-for-k8s-xx", true);
  model.SetRegistration(false, std::nullopt, std::string(2000, 'x'));
  EXPECT_LT(RenderStatusJson(model.Current(kNow)).size(), 2048u);
}

TEST(StatusReportTest, ARestartedThreadIsDegradedNamingItUntilItStaysUp) {
  StatusModel model("ops", false);
  const auto changes = model.Changes();
  model.SetThreadFailure("sampler", "vector::_M_range_check", kNow);
  EXPECT_EQ(model.Changes(), changes + 1) << "a change of health is written at once";
  model.SetThreadFailure("sampler", "vector::_M_range_check", kNow + std::chrono::seconds(30));
  EXPECT_EQ(model.Changes(), changes + 1) << "failing again is no change";
  auto r = model.Current(kNow + std::chrono::minutes(1));
  EXPECT_EQ(r.health, "degraded");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, "sampler thread failed and was restarted: vector::_M_range_check");

  model.SetThreadFailure("w:pods", "bad_alloc", kNow + std::chrono::minutes(2));
  r = model.Current(kNow + std::chrono::minutes(6));  // the sampler has stayed up long enough
  EXPECT_EQ(r.health, "degraded");
  EXPECT_EQ(*r.error, "w:pods thread failed and was restarted: bad_alloc");

  r = model.Current(kNow + std::chrono::minutes(7));
  EXPECT_EQ(r.health, "healthy");
  EXPECT_FALSE(r.error);
}

TEST(StatusReportTest, TheFinalStatusNamesTheFailureThatStoppedTheOperator) {
  StatusModel model("ops", false);
  model.SetFatalError("status thread failed: boom");
  EXPECT_EQ(model.Current(kNow).health, "healthy") << "until the shutdown";
  model.SetShuttingDown();
  const auto r = model.Current(kNow);
  EXPECT_EQ(r.health, "unhealthy");
  EXPECT_EQ(*r.error, "Shutting down: status thread failed: boom");
}

}  // namespace
}  // namespace kube9::sinks
