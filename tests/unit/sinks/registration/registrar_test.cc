#include "sinks/registration/registrar.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "testing/fake_transport.h"

namespace kube9::sinks::registration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kKey = "k9-test-key-0123456789";
constexpr const char* kOk =
    R"({"status":"registered","clusterId":"cls-srv-1","tier":"pro","configuration":{"statusUpdateIntervalSeconds":60,)"
    R"("reregistrationIntervalHours":12,"metricsEnabled":true,"metricsIntervalSeconds":30},"message":"welcome"})";

class RecordingObserver : public RegistrationObserver {
 public:
  void OnRegistrationAttempt(AttemptResult r) override { attempts.emplace_back(AttemptResultName(r)); }
  void OnRegistrationState(State s) override { state = std::string(StateName(s)); }
  std::vector<std::string> attempts;
  std::string state;
};

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : key_(ApiKeySource::FromValue(kKey)) {}

  std::unique_ptr<Registrar> Make(ApiKeySource& key) {
    Registrar::Options o;
    o.server_url = "https://kube9.test";
    o.user_agent = "kube9-operator/0.1.0";
    o.operator_version = "0.1.0";
    return std::make_unique<Registrar>(
        transport_, clock_, key,
        [this]() -> std::optional<RegistrationRequest> {
          if (!cluster_known_) return std::nullopt;
          return RegistrationRequest{"sha256:" + std::string(64, 'a'), "v1.35.4", 3};
        },
        o, [this](const Registration& r) { changes_.push_back(r); }, &observer_);
  }
  // Steps the loop for `span` of simulated time, sleeping as the loop asks.
  // A loop that asks to run again at once twice in a row would spin: that fails the test.
  void RunFor(Registrar& r, base::Millis span) {
    const auto end = clock_.Now() + span;
    int zero_waits = 0;
    while (clock_.Now() < end) {
      const base::Millis wait = r.Step();
      zero_waits = wait <= base::Millis(0) ? zero_waits + 1 : 0;
      ASSERT_LT(zero_waits, 2) << "the registrar spins";
      clock_.Advance(std::max(wait, base::Millis(1)));
    }
  }

  base::FakeClock clock_;
  testing::FakeTransport transport_;
  ApiKeySource key_;
  RecordingObserver observer_;
  std::vector<Registration> changes_;
  bool cluster_known_ = true;
};

TEST_F(RegistrarTest, RequestFollowsTheContract) {
  transport_.Reply(200, kOk);
  auto r = Make(key_);
  r->Step();
  ASSERT_EQ(transport_.requests().size(), 1u);
  const http::Request req = transport_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://kube9.test/v1/operator/register");
  EXPECT_THAT(req.headers, ::testing::UnorderedElementsAre(
                               std::pair<std::string, std::string>{"Authorization", std::string("Bearer ") + kKey},
                               std::pair<std::string, std::string>{"Content-Type", "application/json"},
                               std::pair<std::string, std::string>{"User-Agent", "kube9-operator/0.1.0"}));
  rapidjson::Document d;
  d.Parse(req.body.c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d.MemberCount(), 4u);
  EXPECT_STREQ(d["operatorVersion"].GetString(), "0.1.0");
  EXPECT_EQ(std::string(d["clusterIdentifier"].GetString()), "sha256:" + std::string(64, 'a'));
  EXPECT_STREQ(d["kubernetesVersion"].GetString(), "v1.35.4");
  EXPECT_TRUE(d["approximateNodeCount"].IsInt64());
  EXPECT_EQ(d["approximateNodeCount"].GetInt64(), 3);

  const Registration now = r->Current();
  EXPECT_TRUE(now.registered());
  EXPECT_EQ(now.cluster_id, "cls-srv-1");
  EXPECT_TRUE(now.configuration.metrics_enabled);
  EXPECT_EQ(now.configuration.metrics_interval_seconds, 30);
  EXPECT_EQ(now.reason, "");
  EXPECT_EQ(observer_.state, "registered");
  EXPECT_THAT(observer_.attempts, ::testing::ElementsAre("success"));
}

TEST_F(RegistrarTest, WaitsUntilTheClusterIsKnown) {
  cluster_known_ = false;
  auto r = Make(key_);
  RunFor(*r, seconds(10));
  EXPECT_TRUE(transport_.requests().empty());
  cluster_known_ = true;
  transport_.Reply(200, kOk);
  RunFor(*r, seconds(2));
  EXPECT_TRUE(r->Current().registered());
}

TEST_F(RegistrarTest, ReRegistersAtTheServersInterval) {
  transport_.Reply(200, kOk);  // 12 h
  transport_.Reply(200, std::string(kOk).replace(11, 10, "reregistered"));
  auto r = Make(key_);
  RunFor(*r, hours(11));
  EXPECT_EQ(transport_.requests().size(), 1u);
  RunFor(*r, hours(1) + seconds(5));
  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_TRUE(r->Current().registered());
}

TEST_F(RegistrarTest, A200WithoutClusterIdOrConfigurationIsAFailure) {
  for (const char* body : {R"({"status":"registered","tier":"pro","configuration":{"statusUpdateIntervalSeconds":60,"reregistrationIntervalHours":24}})",
                           R"({"status":"registered","clusterId":"c","tier":"pro"})",
                           R"({"status":"registered","clusterId":"c","configuration":{"statusUpdateIntervalSeconds":"60","reregistrationIntervalHours":24}})",
                           "<html>gateway</html>"}) {
    transport_.Reply(200, body);
  }
  auto r = Make(key_);
  RunFor(*r, hours(3));  // backoff: at most 30 min apart, so all four are used up
  EXPECT_EQ(transport_.requests().size() >= 4, true);
  EXPECT_EQ(observer_.attempts[0], "invalid_response");
  EXPECT_EQ(observer_.attempts[3], "invalid_response");
  EXPECT_FALSE(r->Current().registered());
  EXPECT_EQ(r->Current().state, State::kUnreachable);
}

// Issue #10: a reply of 1,000,000 `[` crashed the operator (RapidJSON's recursive parser).
// Now it is an invalid response like any other: counted, explained, retried with backoff.
// The same for a reply larger than 1 MiB, which the transport does not even buffer.
TEST_F(RegistrarTest, AHostileReplyIsAnInvalidResponseNotACrash) {
  transport_.Reply(200, std::string(1'000'000, '['));
  transport_.Reply(200, R"({"clusterId":"c","configuration":)" + std::string(100, '[') + std::string(100, ']') + "}");
  transport_.Reply(200, R"({"clusterId":"c","configuration":{},"pad":")" + std::string(1 << 20, ' ') + R"("})");
  transport_.Reply(429, std::string(1'000'000, '{'));
  auto r = Make(key_);
  std::vector<std::string> reasons;
  for (int i = 0; i < 4; ++i) {
    r->Step();
    reasons.push_back(r->Current().reason);
    clock_.Advance(hours(2));
  }
  EXPECT_EQ(transport_.requests().at(0).max_response_bytes, std::size_t{1} << 20);
  EXPECT_THAT(observer_.attempts,
              ::testing::ElementsAre("invalid_response", "invalid_response", "invalid_response", "rate_limited"));
  EXPECT_EQ(reasons[0], "kube9-server's registration reply nests deeper than 64 levels");
  EXPECT_EQ(reasons[1], "kube9-server's registration reply nests deeper than 64 levels");
  EXPECT_EQ(reasons[2], "kube9-server's registration reply is invalid: response body larger than 1 MiB");
  EXPECT_EQ(reasons[3], "kube9-server is rate limiting registration (HTTP 429)") << "the bomb is no message";
  EXPECT_EQ(r->Current().state, State::kRateLimited);
}

// The id goes into the status ConfigMap, which stays within 64 KiB whatever a server sends.
TEST(RegistrationReplyTest, AClusterIdLongerThan256BytesIsInvalid) {
  auto reply = [](const std::string& id) {
    return ParseRegistrationReply(R"({"clusterId":")" + id + R"(","configuration":{}})", 24);
  };
  ASSERT_TRUE(reply(std::string(kMaxClusterId, 'c')));
  EXPECT_EQ(reply(std::string(kMaxClusterId, 'c'))->cluster_id, std::string(kMaxClusterId, 'c'));
  EXPECT_FALSE(reply(std::string(kMaxClusterId + 1, 'c')));
  EXPECT_FALSE(reply(std::string(100'000, 'c')));
}

TEST_F(RegistrarTest, RejectedKeyStopsUntilTheKeyFileChanges) {
  const std::string path = ::testing::TempDir() + "/kube9-key-" + std::to_string(::getpid());
  std::ofstream(path) << "old-key\n";
  ApiKeySource file = ApiKeySource::FromFile(path);
  transport_.Reply(401, R"({"error":"unauthorized","code":"INVALID_API_KEY","message":"API key old-key is revoked"})");
  auto r = Make(file);
  RunFor(*r, hours(2));
  EXPECT_EQ(transport_.requests().size(), 1u);  // no retry storm: one attempt in two hours
  const Registration rejected = r->Current();
  EXPECT_EQ(rejected.state, State::kRejected);
  EXPECT_FALSE(rejected.registered());
  EXPECT_THAT(rejected.reason, HasSubstr("rejected the API key (HTTP 401)"));
  EXPECT_THAT(rejected.reason, Not(HasSubstr("old-key")));  // even when the server echoes it
  EXPECT_EQ(transport_.requests()[0].headers[0].second, "Bearer old-key");

  std::ofstream(path) << "new-key";  // the Secret was rotated
  transport_.Reply(200, kOk);
  RunFor(*r, seconds(6));  // within one key poll
  ASSERT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(transport_.requests()[1].headers[0].second, "Bearer new-key");
  EXPECT_TRUE(r->Current().registered());
  std::filesystem::remove(path);
}

TEST_F(RegistrarTest, ForbiddenIsRejectedToo) {
  transport_.Reply(403, "not json");
  auto r = Make(key_);
  RunFor(*r, hours(1));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(r->Current().state, State::kRejected);
  EXPECT_THAT(observer_.attempts, ::testing::ElementsAre("rejected"));
}

TEST_F(RegistrarTest, RateLimitedWaitsRetryAfterCappedAtOneHour) {
  transport_.Reply(429, R"({"error":"rate_limited","code":"RATE_LIMITED","message":"slow down"})", {{"Retry-After", "120"}});
  transport_.Reply(429, "", {{"Retry-After", "86400"}});
  transport_.Reply(200, kOk);
  auto r = Make(key_);
  RunFor(*r, seconds(119));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(r->Current().state, State::kRateLimited);
  EXPECT_THAT(r->Current().reason, HasSubstr("rate limiting"));
  EXPECT_THAT(r->Current().reason, HasSubstr("slow down"));
  RunFor(*r, seconds(2));
  EXPECT_EQ(transport_.requests().size(), 2u);
  RunFor(*r, minutes(59));  // a day was asked for; an hour is the cap
  EXPECT_EQ(transport_.requests().size(), 2u);
  RunFor(*r, minutes(1) + seconds(1));
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_TRUE(r->Current().registered());
}

TEST_F(RegistrarTest, ServerErrorsBackOffWithFullJitterUpToThirtyMinutesAndNeverGiveUp) {
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 0) {
      transport_.Reply(503, "");
    } else {
      transport_.FailTransport();
    }
  }
  transport_.Reply(200, kOk);
  auto r = Make(key_);
  std::vector<base::SteadyTime> at;
  const auto start = clock_.Now();
  while (transport_.remaining() > 0 && clock_.Now() - start < hours(48)) {
    const std::size_t before = transport_.requests().size();
    clock_.Advance(std::max(r->Step(), base::Millis(1)));
    if (transport_.requests().size() > before) at.push_back(clock_.Now());
    if (transport_.requests().size() == 1) {
      EXPECT_EQ(r->Current().state, State::kUnreachable);
    }
  }
  ASSERT_EQ(at.size(), 41u);
  for (std::size_t i = 1; i < at.size(); ++i) {
    EXPECT_LE(at[i] - at[i - 1], minutes(30) + seconds(6)) << i;
  }
  EXPECT_LE(at[1] - at[0], seconds(36));  // the first retry: within 30 s (+ one poll)
  EXPECT_TRUE(r->Current().registered());
  EXPECT_EQ(observer_.attempts.front(), "error");
}

TEST_F(RegistrarTest, ReRegistrationFailureKeepsTheRegistration) {
  transport_.Reply(200, kOk);
  transport_.Reply(500, "");
  auto r = Make(key_);
  RunFor(*r, hours(12) + seconds(10));
  EXPECT_GE(transport_.requests().size(), 2u);  // and retrying (the script has run out)
  EXPECT_TRUE(r->Current().registered());
  EXPECT_EQ(r->Current().reason, "");
}

TEST_F(RegistrarTest, AnUploadRefusedWith401UnregistersUntilANewKey) {
  transport_.Reply(200, kOk);
  auto r = Make(key_);
  r->Step();
  ASSERT_TRUE(r->Current().registered());
  r->KeyRejected(401, kKey);
  RunFor(*r, hours(1));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_FALSE(r->Current().registered());
  EXPECT_THAT(r->Current().reason, HasSubstr("refused an upload with HTTP 401"));
}

TEST_F(RegistrarTest, A401ForARotatedKeyDoesNotUnregisterTheNewOne) {
  const std::string path = ::testing::TempDir() + "/kube9-rotated-key-" + std::to_string(::getpid());
  std::ofstream(path) << "old-key";
  ApiKeySource file = ApiKeySource::FromFile(path);
  transport_.Reply(200, kOk);
  transport_.Reply(200, kOk);
  auto r = Make(file);
  r->Step();
  std::ofstream(path) << "new-key";
  RunFor(*r, seconds(6));  // re-registers with the new key
  ASSERT_EQ(transport_.requests().size(), 2u);
  r->KeyRejected(401, "old-key");  // an upload that went out before the rotation
  RunFor(*r, hours(1));
  EXPECT_TRUE(r->Current().registered());
  std::filesystem::remove(path);
}

TEST_F(RegistrarTest, ServerConfigurationIsClampedAndNullMeansAbsent) {
  transport_.Reply(200, R"({"status":"registered","clusterId":"c","tier":"pro","configuration":{)"
                        R"("statusUpdateIntervalSeconds":60,"reregistrationIntervalHours":3000000,)"
                        R"("metricsEnabled":null,"metricsIntervalSeconds":null}})");
  auto r = Make(key_);
  RunFor(*r, hours(24));
  EXPECT_EQ(transport_.requests().size(), 1u) << "a huge interval must not wrap around into a storm";
  EXPECT_TRUE(r->Current().registered());
  EXPECT_EQ(r->Current().configuration.reregistration_interval_hours, 720);
  EXPECT_FALSE(r->Current().configuration.metrics_enabled);
  EXPECT_EQ(r->Current().configuration.metrics_interval_seconds, 60);
  EXPECT_EQ(r->Current().configuration.status_update_interval_seconds, 60);
}

TEST_F(RegistrarTest, TheServersStatusIntervalIsClampedToWhatKeepsTheStatusFreshAndAbsentWhenNotGiven) {
  for (const auto& [json, want] : std::vector<std::pair<std::string, std::optional<int>>>{
           {R"("statusUpdateIntervalSeconds":30)", 30},
           {R"("statusUpdateIntervalSeconds":1)", 5},
           {R"("statusUpdateIntervalSeconds":86400)", 240},
           {R"("statusUpdateIntervalSeconds":null)", std::nullopt},
           {R"("metricsEnabled":false)", std::nullopt}}) {
    transport_.Reply(200, R"({"status":"registered","clusterId":"c","tier":"pro","configuration":{)" + json + "}}");
    auto r = Make(key_);
    RunFor(*r, std::chrono::minutes(1));
    ASSERT_TRUE(r->Current().registered()) << json;
    EXPECT_EQ(r->Current().configuration.status_update_interval_seconds, want) << json;
  }
}

TEST_F(RegistrarTest, WithoutTheServersIntervalTheConfiguredOneApplies) {
  transport_.Reply(200, R"({"status":"registered","clusterId":"c","tier":"pro","configuration":{}})");
  transport_.Reply(200, kOk);
  Registrar::Options o;
  o.server_url = "https://kube9.test";
  o.user_agent = "kube9-operator/0.1.0";
  o.operator_version = "0.1.0";
  o.reregistration_interval = hours(2);  // REREGISTRATION_INTERVAL_HOURS=2
  Registrar r(transport_, clock_, key_,
              [] { return std::optional(RegistrationRequest{"sha256:" + std::string(64, 'a'), "v1.35.4", 1}); }, o,
              [this](const Registration& reg) { changes_.push_back(reg); });
  RunFor(r, hours(2) - seconds(10));
  EXPECT_EQ(transport_.requests().size(), 1u);
  RunFor(r, seconds(20));
  EXPECT_EQ(transport_.requests().size(), 2u);
  ASSERT_FALSE(changes_.empty());
  EXPECT_TRUE(changes_.back().registered());  // the status and uploader are told
}

TEST_F(RegistrarTest, MissingKeyFileIsAClearReasonThenRegistersWhenItAppears) {
  const std::string path = ::testing::TempDir() + "/kube9-missing-key-" + std::to_string(::getpid());
  std::filesystem::remove(path);
  ApiKeySource file = ApiKeySource::FromFile(path);
  auto r = Make(file);
  RunFor(*r, seconds(20));
  EXPECT_TRUE(transport_.requests().empty());
  EXPECT_THAT(r->Current().reason, HasSubstr("cannot be read"));
  EXPECT_FALSE(r->Current().registered());
  std::ofstream(path) << kKey;
  transport_.Reply(200, kOk);
  RunFor(*r, seconds(6));
  EXPECT_TRUE(r->Current().registered());
  std::filesystem::remove(path);
}

TEST_F(RegistrarTest, AnOversizedKeyFileIsRefusedNotSent) {
  const std::string path = ::testing::TempDir() + "/kube9-huge-key-" + std::to_string(::getpid());
  std::ofstream(path) << std::string(1 << 20, 'k');
  ApiKeySource file = ApiKeySource::FromFile(path);
  auto r = Make(file);
  RunFor(*r, seconds(20));
  EXPECT_TRUE(transport_.requests().empty());
  EXPECT_THAT(r->Current().reason, HasSubstr("larger than"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kube9::sinks::registration
