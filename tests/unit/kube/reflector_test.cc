#include "kube/reflector.h"

#include <map>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/fake_transport.h"

namespace kube9::kube {
namespace {

using testing::FakeTransport;

// A store like a collector keeps: name -> resourceVersion.
class MapStore final : public ReflectorHandler {
 public:
  void OnSyncStart() override { listed_.clear(); }
  void OnListed(const rapidjson::Value& o) override {
    const std::string name = o["metadata"]["name"].GetString();
    objects[name] = o["metadata"]["resourceVersion"].GetString();
    listed_.insert(name);
  }
  void OnSynced() override {
    std::erase_if(objects, [this](const auto& kv) { return !listed_.count(kv.first); });
  }
  void OnEvent(EventType t, const rapidjson::Value& o) override {
    const std::string name = o["metadata"]["name"].GetString();
    if (t == EventType::kDeleted) objects.erase(name);
    else objects[name] = o["metadata"]["resourceVersion"].GetString();
  }
  void OnSkipped(std::size_t count) override { skipped += count; }
  std::map<std::string, std::string> objects;
  std::size_t skipped = 0;

 private:
  std::set<std::string> listed_;
};

// Records what the reflector reports, and stops it once the script is used up.
class StopWhenDone final : public ReflectorObserver {
 public:
  StopWhenDone(FakeTransport& t, base::StopSignal& s) : transport_(t), stop_(s) {}
  void OnRelist(std::string_view, std::string_view reason) override { relists.emplace_back(reason); }
  void OnSynced(std::string_view, std::size_t) override {
    if (probe) probe("synced");
  }
  void OnWatchEvent(std::string_view, EventType) override {
    ++events;
    if (probe) probe("event");
  }
  void OnError(std::string_view, const ApiError& e) override {
    errors.emplace_back(ErrorKindName(e.kind));
    if (probe) probe("error");
    if (transport_.remaining() == 0) stop_.Stop();
  }
  std::vector<std::string> relists;
  std::vector<std::string> errors;
  int events = 0;
  std::function<void(std::string_view what)> probe;  // called at each of the above

 private:
  FakeTransport& transport_;
  base::StopSignal& stop_;
};

std::string List(const std::string& rv, const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = R"({"kind":"ConfigMapList","metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? "," : "") + std::string(R"({"metadata":{"name":")") + items[i].first + R"(","resourceVersion":")" +
           items[i].second + R"("}})";
  }
  return out + "]}";
}

std::string Event(const std::string& type, const std::string& name, const std::string& rv) {
  return R"({"type":")" + type + R"(","object":{"metadata":{"name":")" + name + R"(","resourceVersion":")" + rv + "\"}}}\n";
}

std::string Bookmark(const std::string& rv) {
  return R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":")" + rv + "\"}}}\n";
}

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorTest() : observer_(transport_, stop_) {
    ClusterAccess access;
    access.server = "https://k";
    access.credentials = std::make_shared<StaticCredentials>(Credential{});
    client_ = std::make_unique<Client>(access, transport_, clock_);
  }
  Reflector Make() {
    ReflectorOptions o;
    o.resource = "configmaps";
    o.path = "/api/v1/configmaps";
    o.seed = 1;
    return Reflector(o, *client_, store_, clock_, &observer_);
  }
  FakeTransport transport_;
  base::FakeClock clock_;
  base::StopSignal stop_;
  MapStore store_;
  StopWhenDone observer_;
  std::unique_ptr<Client> client_;
};

TEST_F(ReflectorTest, ListsThenAppliesWatchEventsAndRewatchesFromTheLastVersion) {
  transport_.Reply(200, List("10", {{"a", "5"}, {"b", "6"}}));
  transport_.Reply(200, Event("ADDED", "c", "11") + Event("MODIFIED", "a", "12") + Event("DELETED", "b", "13"));
  transport_.Reply(200, R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"20"}}})" "\n");
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_TRUE(r.synced());
  EXPECT_EQ(store_.objects, (std::map<std::string, std::string>{{"a", "12"}, {"c", "11"}}));
  const auto reqs = transport_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_THAT(reqs[1].url, ::testing::HasSubstr("resourceVersion=10"));
  EXPECT_THAT(reqs[2].url, ::testing::HasSubstr("resourceVersion=13"));
  EXPECT_THAT(reqs[3].url, ::testing::HasSubstr("resourceVersion=20")) << "a bookmark moves the resume point";
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial"}));
}

TEST_F(ReflectorTest, GoneTriggersARelistThatDropsObjectsDeletedMeanwhile) {
  transport_.Reply(200, List("10", {{"a", "5"}, {"b", "6"}}));
  transport_.Reply(200, R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old resource version"}})" "\n");
  transport_.Reply(200, List("30", {{"b", "25"}}));  // a was deleted while we were not watching
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_EQ(store_.objects, (std::map<std::string, std::string>{{"b", "25"}}));
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial", "expired"}));
  EXPECT_THAT(transport_.requests()[2].url, ::testing::Not(::testing::HasSubstr("watch=true")));
}

TEST_F(ReflectorTest, HttpGoneOnWatchAlsoRelists) {
  transport_.Reply(200, List("10", {{"a", "5"}}));
  transport_.Reply(410, R"({"kind":"Status","code":410,"reason":"Expired"})");
  transport_.Reply(200, List("40", {}));
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_TRUE(store_.objects.empty());
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial", "expired"}));
}

TEST_F(ReflectorTest, ListErrorsBackOffExponentiallyWithJitter) {
  for (int i = 0; i < 6; ++i) transport_.Reply(500, R"({"kind":"Status","code":500,"message":"etcd down"})");
  transport_.Reply(200, List("10", {{"a", "1"}}));
  transport_.FailTransport();
  auto r = Make();
  const auto t0 = clock_.Now();
  r.Run(stop_);
  EXPECT_TRUE(r.synced());
  EXPECT_EQ(store_.objects.size(), 1u);
  // 0.8, 1.6, 3.2, 6.4, 12.8, 25.6 s with up to half taken off by jitter: 25.2 s to 50.4 s.
  const auto waited = clock_.Now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(25'200));
  EXPECT_LE(waited, std::chrono::milliseconds(50'400 + 30'000));  // plus the final failure's wait
  EXPECT_EQ(std::count(observer_.errors.begin(), observer_.errors.end(), "server_error"), 6);
}

TEST_F(ReflectorTest, ThrottledWatchWaitsForRetryAfter) {
  transport_.Reply(200, List("10", {}));
  transport_.Reply(429, R"({"kind":"Status","code":429})", {{"Retry-After", "20"}});
  transport_.Reply(200, "");  // watch ends quietly
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  const auto reqs = transport_.requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_GE(clock_.slept(), std::chrono::seconds(20));
  EXPECT_THAT(reqs[2].url, ::testing::HasSubstr("resourceVersion=10")) << "re-watch, no relist after a 429";
  EXPECT_EQ(observer_.relists.size(), 1u);
}

TEST_F(ReflectorTest, RetryAfterIsCapped) {
  transport_.Reply(200, List("10", {}));
  transport_.Reply(429, R"({"kind":"Status","code":429})", {{"Retry-After", "86400"}});
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_LE(clock_.slept(), std::chrono::minutes(5) + std::chrono::seconds(30));
}

TEST_F(ReflectorTest, GarbageOnTheWatchStreamIsSurvivedByRelisting) {
  transport_.Reply(200, List("10", {{"a", "1"}}));
  transport_.Reply(200, Event("ADDED", "b", "11") + "{{{{ not json\n");
  transport_.Reply(200, List("12", {{"a", "1"}, {"b", "11"}}));
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_EQ(store_.objects.size(), 2u);
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial", "decode_error"}));
  EXPECT_EQ(observer_.errors.front(), "decode");
}

// A 9 MiB object (the fault a bad proxy or a runaway controller makes): the list skips and
// counts it, the store holds the rest, and the reflector goes on to watch (it converges)
// instead of relisting over it forever. Its oversized watch event relists once, and the
// relist skips it again.
TEST_F(ReflectorTest, AnOversizedObjectIsSkippedAndCountedAndTheListConverges) {
  transport_.chunk_size = 64 << 10;
  const std::string huge = std::string(9 << 20, 'x');
  std::string list = List("10", {{"a", "1"}, {"b", "2"}});
  list.insert(list.find(R"({"metadata":{"name":"b")"),
              R"({"metadata":{"name":"huge","resourceVersion":"3"},"data":{"k":")" + huge + R"("}},)");
  transport_.Reply(200, list);
  transport_.Reply(200, Event("ADDED", "c", "11") + R"({"type":"MODIFIED","object":{"metadata":{"name":"huge"},"d":")" +
                            huge + R"("}})" + "\n");
  transport_.Reply(200, list);
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_TRUE(r.synced());
  EXPECT_EQ(store_.objects, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(store_.skipped, 2u) << "once per list";
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial", "decode_error"}));
}

TEST_F(ReflectorTest, AnEmptyWatchThatEndsAtOnceDoesNotSpin) {
  transport_.Reply(200, List("10", {}));
  for (int i = 0; i < 5; ++i) transport_.Reply(200, "");
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_GE(clock_.slept(), std::chrono::milliseconds(5 * 400)) << "each empty watch waits a backoff";
}

TEST_F(ReflectorTest, FailingSinceTheFirstErrorUntilAListCompletes) {
  for (int i = 0; i < 3; ++i) transport_.Reply(403, R"({"kind":"Status","code":403,"message":"forbidden"})");
  transport_.Reply(500, R"({"kind":"Status","code":500})");
  transport_.Reply(200, List("10", {}));
  transport_.FailTransport();
  auto r = Make();
  std::vector<std::string> trace;
  observer_.probe = [&](std::string_view what) {
    auto f = r.failing();
    trace.push_back(f ? fmt::format("{} {} {}", what, ErrorKindName(f->last_error.kind),
                                    std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - f->since).count() > 0)
                      : fmt::format("{} ok", what));
  };
  EXPECT_FALSE(r.failing());
  r.Run(stop_);
  // The first failure starts the clock (0 ms then, more later); the latest error is reported;
  // the completed LIST clears it; the broken watch after it starts a new failure.
  EXPECT_EQ(trace, (std::vector<std::string>{"error forbidden false", "error forbidden true", "error forbidden true",
                                             "error server_error true", "synced ok", "error transport false"}));
}

TEST_F(ReflectorTest, AWatchTheServerAcceptsEndsAFailureBeforeItsFirstEvent) {
  transport_.Reply(200, List("10", {}));
  transport_.FailTransport();                            // watch: no response
  transport_.Reply(503, R"({"kind":"Status","code":503})");  // watch: refused
  transport_.Reply(200, Event("ADDED", "a", "11"));      // watch accepted
  transport_.Reply(410, R"({"kind":"Status","code":410})");  // expired: relist, not a failure
  transport_.Reply(200, List("20", {}));
  transport_.FailTransport();
  auto r = Make();
  const auto t0 = clock_.Now();
  std::vector<std::string> trace;
  std::optional<base::SteadyTime> since;
  observer_.probe = [&](std::string_view what) {
    auto f = r.failing();
    trace.push_back(f ? fmt::format("{} {}", what, ErrorKindName(f->last_error.kind)) : fmt::format("{} ok", what));
    if (f && !since) since = f->since;
  };
  r.Run(stop_);
  // The first failure's time is kept through the second; the accepted watch clears it before
  // its event; a 410 is reported but is no failure.
  EXPECT_EQ(trace, (std::vector<std::string>{"synced ok", "error transport", "error server_error", "event ok",
                                             "error ok", "synced ok", "error transport"}));
  ASSERT_TRUE(since);
  EXPECT_EQ(*since, t0) << "the failure started at the first error, not the latest";
}

TEST_F(ReflectorTest, AWatchThatGoesSilentIsAbandonedAfterTheIdleBoundAndResumedWithoutARelist) {
  transport_.use_clock(clock_);
  transport_.Reply(200, List("10", {{"a", "5"}}));
  // One event, then nothing for an hour on a connection that stays up (a stuck middlebox).
  transport_.ReplyStreaming({{base::Millis(0), Event("ADDED", "b", "11")}, {std::chrono::hours(1), ""}});
  transport_.Reply(200, Event("ADDED", "c", "12"));  // the server replays what was missed
  transport_.FailTransport();
  auto r = Make();
  const auto t0 = clock_.Now();
  r.Run(stop_);
  const auto took = clock_.Now() - t0;
  // Abandoned after the 90 s idle bound (plus one backoff of 0.4 to 0.8 s), not at the watch's
  // own timeout (timeoutSeconds, at least 300 s, plus 30 s).
  EXPECT_GE(took, kWatchIdleTimeout);
  EXPECT_LE(took, kWatchIdleTimeout + std::chrono::milliseconds(800));
  EXPECT_EQ(store_.objects, (std::map<std::string, std::string>{{"a", "5"}, {"b", "11"}, {"c", "12"}}));
  const auto reqs = transport_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_THAT(reqs[2].url, ::testing::HasSubstr("resourceVersion=11")) << "re-watch from the last event seen";
  EXPECT_EQ(observer_.relists, (std::vector<std::string>{"initial"}));
  EXPECT_EQ(observer_.errors, (std::vector<std::string>{"transport", "transport"})) << "the stall is counted";
}

TEST_F(ReflectorTest, AQuietWatchWithBookmarksEveryMinuteIsKept) {
  transport_.use_clock(clock_);
  transport_.Reply(200, List("10", {}));
  // Nothing changes for three minutes; the API server sends its bookmark once a minute.
  transport_.ReplyStreaming({{std::chrono::seconds(60), Bookmark("20")},
                             {std::chrono::seconds(60), Bookmark("21")},
                             {std::chrono::seconds(60), Event("ADDED", "d", "22")}});
  transport_.FailTransport();
  auto r = Make();
  r.Run(stop_);
  EXPECT_EQ(store_.objects, (std::map<std::string, std::string>{{"d", "22"}}));
  EXPECT_EQ(observer_.errors, (std::vector<std::string>{"transport"})) << "only the scripted end";
  const auto reqs = transport_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_THAT(reqs[2].url, ::testing::HasSubstr("resourceVersion=22"));
}

TEST_F(ReflectorTest, StopEndsRunPromptly) {
  stop_.Stop();
  auto r = Make();
  r.Run(stop_);
  EXPECT_TRUE(transport_.requests().empty());
}

}  // namespace
}  // namespace kube9::kube
