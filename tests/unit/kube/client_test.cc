#include "kube/client.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_transport.h"

namespace kube9::kube {
namespace {

using ::testing::HasSubstr;
using testing::FakeTransport;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(KUBE9_TESTDATA) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CountingObserver final : public RequestObserver {
 public:
  void OnApiRequest(std::string_view verb, std::string_view resource, int code) override {
    seen.push_back(std::string(verb) + " " + std::string(resource) + " " + std::to_string(code));
  }
  std::vector<std::string> seen;
};

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    ClusterAccess access;
    access.server = "https://127.0.0.1:6443";
    access.credentials = std::make_shared<StaticCredentials>(Credential{"tok3n", "", ""});
    client_ = std::make_unique<Client>(access, transport_, clock_, &observer_);
  }
  FakeTransport transport_;
  base::FakeClock clock_;
  CountingObserver observer_;
  base::StopSignal stop_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, GetSendsBearerTokenAndReturnsBody) {
  transport_.Reply(200, Fixture("version.json"));
  auto body = client_->GetRaw("/version", "version");
  ASSERT_TRUE(body.ok());
  EXPECT_THAT(*body, HasSubstr("v1.35.4"));
  const auto req = transport_.requests().at(0);
  EXPECT_EQ(req.url, "https://127.0.0.1:6443/version");
  EXPECT_THAT(req.headers, ::testing::Contains(std::make_pair(std::string("Authorization"), std::string("Bearer tok3n"))));
  EXPECT_THAT(observer_.seen, ::testing::ElementsAre("get version 200"));
}

TEST_F(ClientTest, ErrorsAreTypedFromTheStatusBody) {
  struct Case {
    int status;
    ErrorKind kind;
  };
  for (Case c : {Case{404, ErrorKind::kNotFound}, Case{403, ErrorKind::kForbidden}, Case{409, ErrorKind::kConflict},
                 Case{410, ErrorKind::kGone}, Case{422, ErrorKind::kInvalid}, Case{500, ErrorKind::kServer},
                 Case{503, ErrorKind::kServer}}) {
    transport_.Reply(c.status, R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" is forbidden","reason":"Forbidden","code":)" + std::to_string(c.status) + "}");
    auto r = client_->GetRaw("/api/v1/namespaces/a/configmaps/x", "configmaps");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, c.kind) << c.status;
    EXPECT_EQ(r.error().http_status, c.status);
    EXPECT_EQ(r.error().message, "configmaps \"x\" is forbidden");
  }
}

TEST_F(ClientTest, ThrottlingCarriesRetryAfter) {
  transport_.Reply(429, R"({"kind":"Status","message":"too many requests","code":429})", {{"Retry-After", "7"}});
  auto r = client_->GetRaw("/version", "version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  EXPECT_EQ(r.error().retry_after, base::Millis(7000));
  EXPECT_TRUE(r.error().transient());
}

TEST_F(ClientTest, NonJsonErrorBodyIsSurvivedWithAShortPrintableMessage) {
  transport_.Reply(502, "<html><body>Bad Gateway\x01\x02</body></html>" + std::string(1000, 'x'));
  auto r = client_->GetRaw("/version", "version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kServer);
  EXPECT_THAT(r.error().message, HasSubstr("Bad Gateway"));
  EXPECT_LE(r.error().message.size(), 200u);
}

TEST_F(ClientTest, TransportFailureIsTypedAndCountedWithCodeZero) {
  transport_.FailTransport();
  auto r = client_->GetRaw("/version", "version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransport);
  EXPECT_THAT(observer_.seen, ::testing::ElementsAre("get version 0"));
}

TEST_F(ClientTest, UnauthorizedRefreshesCredentialsAndRetriesOnce) {
  transport_.Reply(401, R"({"kind":"Status","code":401,"message":"Unauthorized"})");
  transport_.Reply(200, "{}");
  EXPECT_TRUE(client_->GetRaw("/version", "version").ok());
  transport_.Reply(401, R"({"kind":"Status","code":401,"message":"Unauthorized"})");
  transport_.Reply(401, R"({"kind":"Status","code":401,"message":"Unauthorized"})");
  auto r = client_->GetRaw("/version", "version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(transport_.requests().size(), 4u) << "no retry storm: one retry per call";
}

TEST_F(ClientTest, ListFollowsContinueTokensAndVisitsEveryItem) {
  transport_.Reply(200, Fixture("configmaps_page1.json"));
  transport_.Reply(200, Fixture("configmaps_page2.json"));
  std::vector<std::string> names;
  ListOptions opts;
  opts.limit = 2;
  opts.label_selector = "app=a,tier in (x)";
  auto r = client_->List("/api/v1/configmaps", "configmaps", opts,
                         [&](const rapidjson::Value& item) { names.push_back(item["metadata"]["name"].GetString()); },
                         stop_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(names, ::testing::ElementsAre("a", "b", "c"));
  EXPECT_EQ(r->pages, 2);
  EXPECT_EQ(r->items, 3u);
  EXPECT_EQ(r->resource_version, "1002");
  const auto reqs = transport_.requests();
  EXPECT_EQ(reqs[0].url, "https://127.0.0.1:6443/api/v1/configmaps?limit=2&labelSelector=app%3Da%2Ctier%20in%20%28x%29");
  EXPECT_THAT(reqs[1].url, HasSubstr("continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTAwMH0%3D"));
}

TEST_F(ClientTest, ListWithExpiredContinueTokenReportsGone) {
  transport_.Reply(200, Fixture("configmaps_page1.json"));
  transport_.Reply(410, R"({"kind":"Status","code":410,"reason":"Expired","message":"The provided continue parameter is too old"})");
  auto r = client_->List("/api/v1/configmaps", "configmaps", {}, [](const rapidjson::Value&) {}, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kGone);
}

TEST_F(ClientTest, GarbageListResponsesAreDecodeErrorsNotCrashes) {
  for (const char* garbage : {"", "not json", "[1,2,3]", R"({"kind":"PodList"})", R"({"items":{},"metadata":{}})",
                              R"({"items":[1],"metadata":{}})", R"({"items":[],"metadata":"x"})", "{\"items\":[{\"a\":"}) {
    transport_.Reply(200, garbage);
    auto r = client_->List("/api/v1/pods", "pods", {}, [](const rapidjson::Value&) {}, stop_);
    ASSERT_FALSE(r.ok()) << garbage;
    EXPECT_EQ(r.error().kind, ErrorKind::kDecode) << garbage;
  }
}

TEST_F(ClientTest, NullItemsIsAnEmptyList) {
  transport_.Reply(200, R"({"kind":"PodList","metadata":{"resourceVersion":"5"},"items":null})");
  auto r = client_->List("/api/v1/pods", "pods", {}, [](const rapidjson::Value&) {}, stop_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items, 0u);
}

TEST_F(ClientTest, WatchDeliversEventsSplitAcrossChunksAndTracksBookmarks) {
  transport_.chunk_size = 5;
  transport_.Reply(200, Fixture("watch_configmaps.jsonl"));
  std::vector<std::string> events;
  WatchOptions wo;
  wo.resource_version = "1002";
  wo.timeout_seconds = 42;
  auto r = client_->Watch("/api/v1/configmaps", "configmaps", wo,
                          [&](EventType t, const rapidjson::Value& obj) {
                            events.push_back(std::string(EventTypeName(t)) + ":" + obj["metadata"]["resourceVersion"].GetString());
                          },
                          stop_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(events, ::testing::ElementsAre("ADDED:1003", "MODIFIED:1004", "DELETED:1005", "BOOKMARK:1010"));
  EXPECT_EQ(r->resource_version, "1010");
  const auto url = transport_.requests().at(0).url;
  EXPECT_THAT(url, HasSubstr("watch=true"));
  EXPECT_THAT(url, HasSubstr("resourceVersion=1002"));
  EXPECT_THAT(url, HasSubstr("allowWatchBookmarks=true"));
  EXPECT_THAT(url, HasSubstr("timeoutSeconds=42"));
}

TEST_F(ClientTest, WatchIsAbandonedWhenSilentForTheIdleBound) {
  transport_.use_clock(clock_);
  transport_.ReplyStreaming({{base::Millis(0), R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"7"}}})" "\n"},
                             {std::chrono::minutes(10), ""}});
  int seen = 0;
  WatchOptions wo;
  wo.timeout_seconds = 300;
  const auto t0 = clock_.Now();
  auto r = client_->Watch("/api/v1/pods", "pods", wo, [&](EventType, const rapidjson::Value&) { ++seen; }, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransport);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(clock_.Now() - t0, kWatchIdleTimeout) << "not timeoutSeconds + 30 s";
  // Longer than the API server's bookmark period (a minute), far shorter than the watch itself.
  EXPECT_GT(kWatchIdleTimeout, std::chrono::seconds(60));
  EXPECT_EQ(transport_.requests().at(0).stall_timeout, kWatchIdleTimeout);
  EXPECT_EQ(transport_.requests().at(0).timeout, std::chrono::seconds(330));
  EXPECT_THAT(observer_.seen, ::testing::ElementsAre("watch pods 0"));
}

TEST_F(ClientTest, WatchErrorEvent410IsGone) {
  transport_.Reply(200, R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (1002)"}})j" "\n");
  auto r = client_->Watch("/api/v1/configmaps", "configmaps", {}, [](EventType, const rapidjson::Value&) {}, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kGone);
  EXPECT_THAT(r.error().message, HasSubstr("too old"));
}

TEST_F(ClientTest, WatchWithGarbageLineStopsWithDecodeError) {
  transport_.Reply(200, std::string(R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"7"}}})") + "\n" +
                            "\x7f\x45garbage\n" + R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"8"}}})" + "\n");
  int seen = 0;
  auto r = client_->Watch("/api/v1/configmaps", "configmaps", {}, [&](EventType, const rapidjson::Value&) { ++seen; }, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
  EXPECT_EQ(seen, 1);
}

// A watch event of 1,000,000 `[` (or an object nested past the limit) is a decode error,
// which the reflector answers by relisting, never a crash.
TEST_F(ClientTest, DeeplyNestedWatchEventIsADecodeError) {
  transport_.chunk_size = 64 << 10;
  for (const std::string& line :
       {std::string(1'000'000, '[') + "\n",
        R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"7"},"x":)" + std::string(600, '[') +
            std::string(600, ']') + "}}\n"}) {
    transport_.Reply(200, line);
    int seen = 0;
    auto r = client_->Watch("/api/v1/pods", "pods", {}, [&](EventType, const rapidjson::Value&) { ++seen; }, stop_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
    EXPECT_EQ(r.error().message, "watch event nests deeper than 513 levels");
    EXPECT_EQ(seen, 0);
  }
}

TEST_F(ClientTest, WatchEventOverTheLimitIsADecodeErrorWithoutBufferingMore) {
  transport_.chunk_size = 64 << 10;
  transport_.Reply(200, R"({"type":"ADDED","object":{"data":")" + std::string(kWatchEventJson.max_bytes, 'x'));
  auto r = client_->Watch("/api/v1/pods", "pods", {}, [](EventType, const rapidjson::Value&) {}, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kDecode);
  EXPECT_THAT(r.error().message, HasSubstr("watch event is larger than"));
}

TEST_F(ClientTest, ListSkipsAnOversizedItemAndCountsIt) {
  transport_.chunk_size = 64 << 10;
  const std::string big = R"({"metadata":{"name":"big"},"data":{"k":")" + std::string(kObjectJson.max_bytes, 'x') + R"("}})";
  transport_.Reply(200, R"({"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"a"}},)" + big +
                            R"(,{"metadata":{"name":"b"}}]})");
  std::vector<std::string> names;
  auto r = client_->List("/api/v1/configmaps", "configmaps", {},
                         [&](const rapidjson::Value& o) { names.push_back(o["metadata"]["name"].GetString()); }, stop_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_THAT(names, ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(r->items, 2u);
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_EQ(r->largest_skipped_bytes, big.size());
  EXPECT_EQ(r->skip_reason, "is larger than 8 MiB");
  EXPECT_EQ(r->resource_version, "9");
}

// Single GETs are bounded by what the endpoint can answer: a larger body is a decode error,
// counted with the status it came with.
TEST_F(ClientTest, GetBodyOverItsLimitIsADecodeError) {
  transport_.Reply(200, R"({"gitVersion":")" + std::string(kVersionJson.max_bytes, 'v') + R"("})");
  auto version = client_->GetRaw("/version", "version", kVersionJson.max_bytes);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind, ErrorKind::kDecode);
  EXPECT_EQ(version.error().message, "response body larger than 64 KiB");
  transport_.Reply(200, std::string(kMaxConfigMapReply + 1, ' '));
  auto cm = client_->GetConfigMap("ns", "big");
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.error().kind, ErrorKind::kDecode);
  EXPECT_EQ(cm.error().message, "response body larger than 2 MiB");
  EXPECT_THAT(observer_.seen, ::testing::ElementsAre("get version 200", "get configmaps 200"));
  EXPECT_EQ(transport_.requests().at(1).max_response_bytes, kMaxConfigMapReply);
}

TEST_F(ClientTest, DeeplyNestedConfigMapIsADecodeError) {
  transport_.Reply(200, R"({"data":)" + std::string(100'000, '[') + "}");
  auto cm = client_->GetConfigMap("ns", "deep");
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.error().kind, ErrorKind::kDecode);
  EXPECT_EQ(cm.error().message, "ConfigMap nests deeper than 512 levels");
}

TEST_F(ClientTest, WatchHttpErrorKeepsStatusAndRetryAfter) {
  transport_.Reply(429, R"({"kind":"Status","code":429,"message":"slow down"})", {{"Retry-After", "3"}});
  auto r = client_->Watch("/api/v1/pods", "pods", {}, [](EventType, const rapidjson::Value&) {}, stop_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  EXPECT_EQ(r.error().retry_after, base::Millis(3000));
  EXPECT_EQ(r.error().message, "slow down");
}

TEST_F(ClientTest, ApplyConfigMapIsServerSideApplyWithForce) {
  transport_.Reply(201, "{}");
  auto r = client_->ApplyConfigMap("kube9-system", "kube9-operator-status", {{"app.kubernetes.io/name", "kube9-operator"}},
                                   {{"status", "{\n  \"a\": \"\\\"q\\\"\"\n}"}});
  ASSERT_TRUE(r.ok());
  const auto req = transport_.requests().at(0);
  EXPECT_EQ(req.method, "PATCH");
  EXPECT_EQ(req.url, "https://127.0.0.1:6443/api/v1/namespaces/kube9-system/configmaps/kube9-operator-status"
                     "?fieldManager=kube9-operator&force=true");
  EXPECT_THAT(req.headers, ::testing::Contains(std::make_pair(std::string("Content-Type"),
                                                              std::string("application/apply-patch+yaml"))));
  rapidjson::Document doc;
  doc.Parse(req.body.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["kind"].GetString(), "ConfigMap");
  EXPECT_STREQ(doc["metadata"]["namespace"].GetString(), "kube9-system");
  EXPECT_STREQ(doc["metadata"]["labels"]["app.kubernetes.io/name"].GetString(), "kube9-operator");
  EXPECT_STREQ(doc["data"]["status"].GetString(), "{\n  \"a\": \"\\\"q\\\"\"\n}");
  EXPECT_EQ(doc["data"].MemberCount(), 1u);
}

TEST_F(ClientTest, GetConfigMapReadsDataAndLabels) {
  transport_.Reply(200, R"({"kind":"ConfigMap","metadata":{"name":"s","resourceVersion":"9","labels":{"a":"b"}},"data":{"status":"{}"}})");
  auto cm = client_->GetConfigMap("ns", "s");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->data.at("status"), "{}");
  EXPECT_EQ(cm->labels.at("a"), "b");
  EXPECT_EQ(cm->resource_version, "9");
}

TEST(UrlEncodeTest, EscapesEverythingButUnreserved) {
  EXPECT_EQ(UrlEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(UrlEncode("k=v,x!=y"), "k%3Dv%2Cx%21%3Dy");
  EXPECT_EQ(UrlEncode("a b/+"), "a%20b%2F%2B");
}

}  // namespace
}  // namespace kube9::kube

namespace kube9::kube {
namespace {

// Every kind of call follows the same 401 policy: refresh the credentials, try once more.
class RotatingCredentials final : public CredentialProvider {
 public:
  base::Expected<Credential, std::string> Get() override { return Credential{"token-" + std::to_string(generation), "", ""}; }
  void Invalidate() override { ++generation; }
  int generation = 0;
};

TEST(ClientAuthTest, ListAndWatchRetryOnceWithRefreshedCredentialsAfter401) {
  testing::FakeTransport transport;
  base::FakeClock clock;
  base::StopSignal stop;
  auto creds = std::make_shared<RotatingCredentials>();
  ClusterAccess access;
  access.server = "https://k";
  access.credentials = creds;
  Client client(access, transport, clock);
  const std::string unauthorized = R"({"kind":"Status","code":401,"message":"Unauthorized"})";
  transport.Reply(401, unauthorized);
  transport.Reply(200, R"({"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"a"}}]})");
  std::size_t listed = 0;
  auto list = client.List("/api/v1/pods", "pods", {}, [&](const rapidjson::Value&) { ++listed; }, stop);
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  EXPECT_EQ(listed, 1u);
  transport.Reply(401, unauthorized);
  transport.Reply(200, R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"6"}}})" "\n");
  auto watch = client.Watch("/api/v1/pods", "pods", {}, [](EventType, const rapidjson::Value&) {}, stop);
  ASSERT_TRUE(watch.ok()) << watch.error().ToString();
  EXPECT_EQ(watch->events, 1u);
  const auto reqs = transport.requests();
  ASSERT_EQ(reqs.size(), 4u);
  auto bearer = [](const http::Request& r) {
    for (const auto& [k, v] : r.headers) if (k == "Authorization") return v;
    return std::string();
  };
  EXPECT_EQ(bearer(reqs[0]), "Bearer token-0");
  EXPECT_EQ(bearer(reqs[1]), "Bearer token-1");
  EXPECT_EQ(bearer(reqs[3]), "Bearer token-2");
  transport.Reply(401, unauthorized);
  transport.Reply(401, unauthorized);
  auto denied = client.Watch("/api/v1/pods", "pods", {}, [](EventType, const rapidjson::Value&) {}, stop);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(transport.requests().size(), 6u) << "one retry, no storm";
}

}  // namespace
}  // namespace kube9::kube
