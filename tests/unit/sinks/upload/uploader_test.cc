#include "sinks/upload/uploader.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/gzip.h"
#include "testing/fake_transport.h"
#include "upload_testing.h"

namespace kube9::sinks::upload {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using std::chrono::hours;
using std::chrono::seconds;
using testing::RecordingSpoolObserver;
using testing::ScratchDir;

constexpr const char* kKey = "k9_live_secret_key_0123456789";

// Records every attempt with the simulated time it finished, and fires `stop` once `stop_after`
// attempts had result `stop_on`.
class RecordingUploads final : public UploadObserver {
 public:
  struct Attempt {
    std::string type;
    std::string result;
    std::uint64_t bytes;
    base::SteadyTime at;
    std::size_t spooled;  // items in the spool right after the attempt
  };
  RecordingUploads(const base::Clock& clock, const Spool& spool) : clock_(clock), spool_(spool) {}

  void StopAfter(std::string result, std::size_t n, base::StopSignal& stop) {
    stop_on_ = std::move(result);
    stop_after_ = n;
    stop_ = &stop;
  }
  void OnUpload(std::string_view type, std::string_view result, std::uint64_t bytes) override {
    std::lock_guard lock(mu_);
    attempts_.push_back({std::string(type), std::string(result), bytes, clock_.Now(), spool_.items()});
    std::size_t matching = 0;
    for (const auto& a : attempts_) matching += a.result == stop_on_;
    if (stop_ && matching >= stop_after_) stop_->Stop();
  }
  void OnRetry(std::string_view) override { ++retries; }

  std::vector<Attempt> attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  std::vector<std::string> results() const {
    std::vector<std::string> out;
    for (const auto& a : attempts()) out.push_back(a.result);
    return out;
  }
  std::atomic<int> retries{0};

 private:
  const base::Clock& clock_;
  const Spool& spool_;
  mutable std::mutex mu_;
  std::vector<Attempt> attempts_;
  std::string stop_on_;
  std::size_t stop_after_ = 0;
  base::StopSignal* stop_ = nullptr;
};

// A transport whose answers a test writes as a function.
class FuncTransport final : public http::Transport {
 public:
  using Fn = std::function<base::Expected<http::Response, http::TransportError>(const http::Request&)>;
  explicit FuncTransport(Fn fn) : fn_(std::move(fn)) {}
  base::Expected<http::Response, http::TransportError> Send(const http::Request& r) override { return fn_(r); }
  base::Expected<int, http::TransportError> Stream(const http::Request&, http::StreamHandler&,
                                                   const base::StopSignal&) override {
    return base::Unexpected(http::TransportError{"not used"});
  }

 private:
  Fn fn_;
};

// Forwards to a FakeTransport and lets a test wait for the n-th request.
class WatchedTransport final : public http::Transport {
 public:
  explicit WatchedTransport(kube9::testing::FakeTransport& inner) : inner_(inner) {}
  base::Expected<http::Response, http::TransportError> Send(const http::Request& r) override {
    {
      std::lock_guard lock(mu_);
      ++sent_;
    }
    cv_.notify_all();
    return inner_.Send(r);
  }
  base::Expected<int, http::TransportError> Stream(const http::Request&, http::StreamHandler&,
                                                   const base::StopSignal&) override {
    return base::Unexpected(http::TransportError{"not used"});
  }
  bool WaitForRequests(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return sent_ >= n; });
  }

 private:
  kube9::testing::FakeTransport& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int sent_ = 0;
};

// A metrics-batch envelope as the producer builds it, with `samples` samples.
std::string Envelope(const std::string& id, int samples) {
  std::string s;
  for (int i = 0; i < samples; ++i) {
    s += (i ? "," : "") + std::string(R"({"check":"pods_crash_looping","affected":)") + std::to_string(i) + "}";
  }
  return R"({"version":"v1.0.0","type":"metrics-batch","data":{"timestamp":"2027-01-15T08:00:00.000Z",)"
         R"("collectionId":")" + id + R"(","clusterId":"cls_0123456789abcdef0123456789abcdef","samples":[)" + s +
         R"(]},"sanitization":{"rulesApplied":["no-names"],"timestamp":"2027-01-15T08:00:00.000Z"}})";
}

rapidjson::Document ParseGzip(const std::string& body) {
  std::string json;
  EXPECT_TRUE(base::GzipDecompress(body, json));
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

std::map<std::string, std::string> HeaderMap(const http::Request& r) {
  return std::map<std::string, std::string>(r.headers.begin(), r.headers.end());
}

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() : spool_(std::move(Spool::Open(dir_.path(), 1'000'000, &spool_observer_)).value()),
                   uploads_(clock_, *spool_) {
    options_.server_url = "https://api.kube9.test/";
    options_.user_agent = "kube9-operator/0.1.0";
    options_.concurrency = 1;
    options_.backoff.jitter = 0;  // exact delays: 5s, 10s, 20s, ...
    options_.seed = 1;
    options_.on_rejected = [this](int status, const std::string&) {
      std::lock_guard lock(rejected_mu_);
      rejected_statuses_.push_back(status);
      rejected_cv_.notify_all();
    };
  }

  // On the fixture's simulated clock unless given another.
  std::unique_ptr<Uploader> MakeUploader(http::Transport& transport, const base::Clock* clock = nullptr) {
    return std::make_unique<Uploader>(
        *spool_, transport, clock ? *clock : clock_, options_,
        [this]() -> std::optional<std::string> {
          std::lock_guard lock(key_mu_);
          return key_;
        },
        [](std::string_view parent, int half) { return std::string(parent) + "_" + std::to_string(half); },
        &uploads_);
  }

  Spool::Item Spooled(const std::string& id, int samples = 3, const std::string& type = "metrics-batch") {
    auto item = spool_->Put(type, id, base::GzipCompress(Envelope(id, samples)));
    EXPECT_TRUE(item.ok());
    return *item;
  }

  // Runs until `stop` fires; a test that never gets there fails instead of hanging.
  static void RunWithWatchdog(Uploader& uploader, base::StopSignal& stop) {
    std::thread watchdog([&] {
      if (!stop.WaitFor(std::chrono::seconds(20))) {
        ADD_FAILURE() << "the uploader never reached the state the test waits for";
        stop.Stop();
      }
    });
    uploader.Run(stop);
    watchdog.join();
  }

  // Runs an enabled uploader over `transport` until the observer fires `stop_`.
  void RunUntilStopped(http::Transport& transport) {
    auto uploader = MakeUploader(transport);
    uploader->SetEnabled(true);
    RunWithWatchdog(*uploader, stop_);
  }

  // coll_a (spooled by the test) fails twice with `failure`, then coll_b is spooled and
  // delivered at 10 s, when the outage wait is over but before coll_a's own retry time (15 s).
  // Returns when each request went out, by key.
  std::vector<std::pair<std::string, seconds>> FailTwiceThenDeliverANewPayload(
      std::function<base::Expected<http::Response, http::TransportError>()> failure) {
    std::mutex mu;
    std::vector<std::pair<std::string, seconds>> sent;
    const auto t0 = clock_.Now();
    std::unique_ptr<Uploader> uploader;
    FuncTransport transport([&](const http::Request& r) -> base::Expected<http::Response, http::TransportError> {
      std::size_t n;
      {
        std::lock_guard lock(mu);
        sent.emplace_back(HeaderMap(r)["Idempotency-Key"], std::chrono::duration_cast<seconds>(clock_.Now() - t0));
        n = sent.size();
      }
      if (n == 2) {
        Spooled("coll_b", 1);
        uploader->Wake();
      }
      if (n <= 2) return failure();
      http::Response ok;
      ok.status = 200;
      return ok;
    });
    uploader = MakeUploader(transport);
    uploads_.StopAfter("success", 2, stop_);
    uploader->SetEnabled(true);
    RunWithWatchdog(*uploader, stop_);
    std::lock_guard lock(mu);
    return sent;
  }

  // The Idempotency-Key of each request, in order.
  std::vector<std::string> SentKeys() const {
    std::vector<std::string> keys;
    for (const auto& r : transport_.requests()) keys.push_back(HeaderMap(r)["Idempotency-Key"]);
    return keys;
  }

  std::vector<int> WaitForRejection() {
    std::unique_lock lock(rejected_mu_);
    EXPECT_TRUE(rejected_cv_.wait_for(lock, std::chrono::seconds(20), [&] { return !rejected_statuses_.empty(); }));
    return rejected_statuses_;
  }

  ScratchDir dir_;
  RecordingSpoolObserver spool_observer_;
  std::unique_ptr<Spool> spool_;
  base::FakeClock clock_;
  base::StopSignal stop_;
  RecordingUploads uploads_;
  kube9::testing::FakeTransport transport_;
  UploaderOptions options_;
  void SetKey(std::optional<std::string> key) {
    std::lock_guard lock(key_mu_);
    key_ = std::move(key);
  }
  std::mutex key_mu_;
  std::optional<std::string> key_ = kKey;  // what the api_key function returns
  int ids_ = 0;
  std::mutex rejected_mu_;
  std::condition_variable rejected_cv_;
  std::vector<int> rejected_statuses_;
};

TEST_F(UploaderTest, PostsTheSpooledBodyWithTheContractHeaders) {
  const auto item = Spooled("coll_0123456789abcdef0123456789abcdef");
  const std::string body = *spool_->Read(item);
  transport_.Reply(200, R"({"status":"accepted"})");
  uploads_.StopAfter("success", 1, stop_);
  RunUntilStopped(transport_);

  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "https://api.kube9.test/v1/collections");
  EXPECT_EQ(HeaderMap(requests[0]), (std::map<std::string, std::string>{
                                        {"Authorization", std::string("Bearer ") + kKey},
                                        {"Content-Type", "application/json"},
                                        {"Content-Encoding", "gzip"},
                                        {"User-Agent", "kube9-operator/0.1.0"},
                                        {"Idempotency-Key", "coll_0123456789abcdef0123456789abcdef"},
                                    }));
  EXPECT_EQ(requests[0].body, body) << "the spooled gzip bytes, as they are";
  EXPECT_EQ(requests[0].timeout, options_.request_timeout);
  EXPECT_EQ(spool_->items(), 0u) << "delivered payloads leave the spool";
  ASSERT_EQ(uploads_.attempts().size(), 1u);
  EXPECT_EQ(uploads_.attempts()[0].result, "success");
  EXPECT_EQ(uploads_.attempts()[0].bytes, body.size());
}

TEST_F(UploaderTest, SendsOldestFirstAndSurvivesMalformedSuccessBodies) {
  Spooled("coll_a");
  Spooled("coll_b");
  Spooled("coll_c");
  transport_.Reply(200, "<html>garbage");
  transport_.Reply(204, "");
  transport_.Reply(200, "{\"truncated\":");
  uploads_.StopAfter("success", 3, stop_);
  RunUntilStopped(transport_);

  EXPECT_THAT(SentKeys(), ElementsAre("coll_a", "coll_b", "coll_c"));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, RetriesServerErrorsWithGrowingDelaysAndLosesNothing) {
  Spooled("coll_a");
  transport_.FailTransport();
  transport_.Reply(503, "unavailable");
  transport_.Reply(500, R"({"error":"internal"})");
  transport_.Reply(408, "");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  RunUntilStopped(transport_);

  const auto attempts = uploads_.attempts();
  ASSERT_EQ(attempts.size(), 5u);
  EXPECT_THAT(uploads_.results(), ElementsAre("retry", "retry", "retry", "retry", "success"));
  EXPECT_EQ(attempts[0].bytes, 0u) << "no response, nothing counted on the wire";
  EXPECT_GT(attempts[1].bytes, 0u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(attempts[i].spooled, 1u) << "kept while retrying";
  EXPECT_EQ(attempts[1].at - attempts[0].at, seconds(5));
  EXPECT_EQ(attempts[2].at - attempts[1].at, seconds(10));
  EXPECT_EQ(attempts[3].at - attempts[2].at, seconds(20));
  EXPECT_EQ(attempts[4].at - attempts[3].at, seconds(40));
  EXPECT_EQ(uploads_.retries, 4);
  for (const auto& r : transport_.requests()) EXPECT_EQ(HeaderMap(r)["Idempotency-Key"], "coll_a");
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, TooManyRequestsHoldsBackEveryPayloadUntilRetryAfter) {
  Spooled("coll_a");
  Spooled("coll_b");
  transport_.Reply(429, R"({"error":"rate_limited"})", {{"Retry-After", "120"}});
  transport_.Reply(200, "{}");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 2, stop_);
  RunUntilStopped(transport_);

  const auto attempts = uploads_.attempts();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_THAT(uploads_.results(), ElementsAre("retry", "success", "success"));
  EXPECT_EQ(attempts[1].at - attempts[0].at, seconds(120)) << "coll_b was held back too";
  const auto requests = transport_.requests();
  EXPECT_EQ(HeaderMap(requests[1])["Idempotency-Key"], "coll_a") << "still the oldest first";
  EXPECT_EQ(HeaderMap(requests[2])["Idempotency-Key"], "coll_b");
  EXPECT_EQ(uploads_.retries, 1);
}

TEST_F(UploaderTest, RetryAfterIsHonouredAsAnHttpDateAndCappedAtAnHour) {
  Spooled("coll_a");
  transport_.Reply(429, "", {{"Retry-After", "Fri, 15 Jan 2027 08:01:30 GMT"}});  // start + 90 s
  transport_.Reply(429, "", {{"Retry-After", "86400"}});
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  RunUntilStopped(transport_);

  const auto attempts = uploads_.attempts();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[1].at - attempts[0].at, seconds(90));
  EXPECT_EQ(attempts[2].at - attempts[1].at, hours(1));
}

// Proving that nothing happens needs some real time: long enough for a wrongly eager worker to
// show itself; a correct uploader passes whatever the machine's speed.
constexpr std::chrono::milliseconds kGrace{50};

TEST_F(UploaderTest, ARejectedKeyStopsUploadsKeepsPayloadsAndTellsRegistration) {
  Spooled("coll_a");
  Spooled("coll_b");
  transport_.Reply(401, R"({"error":"unauthorized","code":"INVALID_API_KEY","message":"bad key"})");
  transport_.Reply(200, "{}");  // must not be used until enabled again
  transport_.Reply(200, "{}");
  WatchedTransport watched(transport_);
  auto uploader = MakeUploader(watched);
  uploader->SetEnabled(true);
  std::thread run([&] { RunWithWatchdog(*uploader, stop_); });
  EXPECT_THAT(WaitForRejection(), ElementsAre(401));
  EXPECT_FALSE(watched.WaitForRequests(2, kGrace)) << "nothing more after the 401";
  stop_.Stop();
  run.join();

  EXPECT_EQ(transport_.requests().size(), 1u) << "nothing more after the 401";
  EXPECT_EQ(spool_->items(), 2u) << "payloads are kept for the next key";
  EXPECT_THAT(uploads_.results(), ElementsAre("unauthorized"));
  EXPECT_TRUE(spool_observer_.drops().empty());

  // Registered again with a new key: both go out, the rejected one first.
  base::StopSignal again;
  SetKey("k9_live_new_key");
  uploads_.StopAfter("success", 2, again);
  uploader->SetEnabled(true);
  RunWithWatchdog(*uploader, again);
  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(HeaderMap(requests[1])["Authorization"], "Bearer k9_live_new_key");
  EXPECT_THAT((std::vector{HeaderMap(requests[1])["Idempotency-Key"], HeaderMap(requests[2])["Idempotency-Key"]}),
              ::testing::UnorderedElementsAre("coll_a", "coll_b"));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, ForbiddenIsAlsoARejectedKey) {
  Spooled("coll_a");
  transport_.Reply(403, "forbidden");
  auto uploader = MakeUploader(transport_);
  uploader->SetEnabled(true);
  std::thread run([&] { RunWithWatchdog(*uploader, stop_); });
  EXPECT_THAT(WaitForRejection(), ElementsAre(403));
  stop_.Stop();
  run.join();
  EXPECT_EQ(spool_->items(), 1u);
}

TEST_F(UploaderTest, OneFailingPayloadDoesNotHoldUpTheOthers) {
  Spooled("coll_a");
  Spooled("coll_b");
  Spooled("coll_c");
  transport_.Reply(500, "");
  transport_.Reply(200, "{}");
  transport_.Reply(200, "{}");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 3, stop_);
  RunUntilStopped(transport_);

  EXPECT_THAT(SentKeys(), ElementsAre("coll_a", "coll_b", "coll_c", "coll_a"));
  const auto attempts = uploads_.attempts();
  ASSERT_EQ(attempts.size(), 4u);
  EXPECT_EQ(attempts[2].at, attempts[0].at) << "b and c went out at once";
  EXPECT_EQ(attempts[3].at - attempts[0].at, seconds(5));
}

TEST_F(UploaderTest, AnOutageDoesNotTurnTheSpoolIntoABurst) {
  for (const char* id : {"coll_a", "coll_b", "coll_c", "coll_d", "coll_e"}) Spooled(id);
  for (int i = 0; i < 4; ++i) transport_.FailTransport();
  for (int i = 0; i < 5; ++i) transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 5, stop_);
  const auto t0 = clock_.Now();
  RunUntilStopped(transport_);

  std::vector<std::pair<std::string, seconds>> sent;
  const auto requests = transport_.requests();
  const auto attempts = uploads_.attempts();
  ASSERT_EQ(attempts.size(), 9u);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    sent.emplace_back(HeaderMap(requests[i])["Idempotency-Key"],
                      std::chrono::duration_cast<seconds>(attempts[i].at - t0));
  }
  // Two failures in a row hold everything back; the oldest payload probes, ever more slowly.
  EXPECT_THAT(sent, ElementsAre(Pair("coll_a", seconds(0)), Pair("coll_b", seconds(0)),
                                Pair("coll_a", seconds(5)), Pair("coll_a", seconds(15)),
                                Pair("coll_a", seconds(35)), Pair("coll_b", seconds(35)),
                                Pair("coll_c", seconds(35)), Pair("coll_d", seconds(35)),
                                Pair("coll_e", seconds(35))));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, WhenTheServerAnswersAgainPayloadsThatFoundItUnreachableAreDueAtOnce) {
  Spooled("coll_a");
  const auto sent = FailTwiceThenDeliverANewPayload([] {
    return base::Expected<http::Response, http::TransportError>(base::Unexpected(http::TransportError{"refused"}));
  });
  // Without the reset coll_a would wait for its own retry time, at 15 s.
  EXPECT_THAT(sent, ElementsAre(Pair("coll_a", seconds(0)), Pair("coll_a", seconds(5)), Pair("coll_b", seconds(10)),
                                Pair("coll_a", seconds(10))));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, APayloadTheServerFailsOnItsOwnKeepsItsBackoffWhenOthersSucceed) {
  Spooled("coll_a");
  const auto sent = FailTwiceThenDeliverANewPayload([] {
    http::Response r;
    r.status = 500;
    return base::Expected<http::Response, http::TransportError>(std::move(r));
  });
  EXPECT_THAT(sent, ElementsAre(Pair("coll_a", seconds(0)), Pair("coll_a", seconds(5)), Pair("coll_b", seconds(10)),
                                Pair("coll_a", seconds(15))));
}

// The spool file holding `collection_id`.
std::filesystem::path SpoolFileOf(const Spool& spool, const std::string& collection_id) {
  for (const auto& entry : std::filesystem::directory_iterator(spool.dir())) {
    if (entry.path().filename().string().find(collection_id) != std::string::npos) return entry.path();
  }
  ADD_FAILURE() << "no spool file for " << collection_id;
  return {};
}

// A FakeClock that runs `on_sleep` (once) when the uploader first waits.
class SleepHookClock final : public base::Clock {
 public:
  SleepHookClock(const base::FakeClock& inner, std::function<void()> on_sleep)
      : inner_(inner), on_sleep_(std::move(on_sleep)) {}
  base::SteadyTime Now() const override { return inner_.Now(); }
  base::WallTime WallNow() const override { return inner_.WallNow(); }
  bool SleepFor(base::Millis d, const base::StopSignal& stop) const override {
    std::call_once(once_, on_sleep_);
    return inner_.SleepFor(d, stop);
  }

 private:
  const base::FakeClock& inner_;
  std::function<void()> on_sleep_;
  mutable std::once_flag once_;
};

TEST_F(UploaderTest, APayloadThatCannotBeReadForNowIsKeptAndSentOnceReadable) {
  Spooled("coll_a");
  const auto file = SpoolFileOf(*spool_, "coll_a");
  const auto aside = file.string() + ".aside";
  // A directory where the file was: open() works, read() fails (EISDIR), as an I/O error would.
  std::filesystem::rename(file, aside);
  std::filesystem::create_directory(file);
  std::size_t spooled_while_unreadable = 0;
  SleepHookClock clock(clock_, [&] {  // the disk recovers while the uploader waits
    spooled_while_unreadable = spool_->items();
    std::filesystem::remove(file);
    std::filesystem::rename(aside, file);
  });
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  const auto t0 = clock_.Now();
  auto uploader = MakeUploader(transport_, &clock);
  uploader->SetEnabled(true);
  RunWithWatchdog(*uploader, stop_);

  EXPECT_EQ(spooled_while_unreadable, 1u) << "kept, not dropped";
  ASSERT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(HeaderMap(transport_.requests()[0])["Idempotency-Key"], "coll_a");
  ASSERT_EQ(uploads_.attempts().size(), 1u);
  EXPECT_EQ(uploads_.attempts()[0].at - t0, seconds(5)) << "tried again after its own first backoff step";
  EXPECT_TRUE(spool_observer_.drops().empty());
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, APayloadWhoseFileIsGoneOrTruncatedIsDroppedAsUnreadable) {
  Spooled("coll_a");
  Spooled("coll_b");
  Spooled("coll_c");
  std::filesystem::remove(SpoolFileOf(*spool_, "coll_a"));
  std::filesystem::resize_file(SpoolFileOf(*spool_, "coll_b"), 3);
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  RunUntilStopped(transport_);

  ASSERT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(HeaderMap(transport_.requests()[0])["Idempotency-Key"], "coll_c");
  EXPECT_THAT(spool_observer_.drops(),
              ElementsAre(Pair("metrics-batch", "unreadable"), Pair("metrics-batch", "unreadable")));
}

TEST_F(UploaderTest, OtherClientErrorsArePermanentDroppedAndCounted) {
  Spooled("coll_a");
  Spooled("coll_b");
  Spooled("coll_c");
  transport_.Reply(400, R"({"error":"invalid_payload","code":"SCHEMA","message":"data.samples missing"})");
  transport_.Reply(422, "<html>unprocessable</html>");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  ::testing::internal::CaptureStdout();
  RunUntilStopped(transport_);
  const std::string logs = ::testing::internal::GetCapturedStdout();

  EXPECT_THAT(uploads_.results(), ElementsAre("rejected", "rejected", "success"));
  EXPECT_THAT(spool_observer_.drops(), ElementsAre(Pair("metrics-batch", "rejected"), Pair("metrics-batch", "rejected")));
  EXPECT_EQ(uploads_.retries, 0);
  EXPECT_EQ(spool_->items(), 0u);
  EXPECT_THAT(logs, HasSubstr("SCHEMA"));
  EXPECT_THAT(logs, HasSubstr("data.samples missing"));
  EXPECT_THAT(logs, HasSubstr("<html>unprocessable</html>"));
}

// Issue #10: an error body of 1,000,000 `[` crashed the operator; a reply over 1 MiB was
// buffered whole. Now the first is an unreadable error body (the payload is refused for good
// as its status says, the start of the body logged), and the second is cut off by the
// transport and retried.
TEST_F(UploaderTest, HostileAnswersAreSurvivedAndCounted) {
  Spooled("coll_a");
  Spooled("coll_b");
  transport_.Reply(400, std::string(1'000'000, '['));
  transport_.Reply(200, std::string((1 << 20) + 1, '{'));
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  ::testing::internal::CaptureStdout();
  RunUntilStopped(transport_);
  const std::string logs = ::testing::internal::GetCapturedStdout();

  EXPECT_THAT(uploads_.results(), ElementsAre("rejected", "retry", "success"));
  EXPECT_EQ(uploads_.retries, 1);
  EXPECT_THAT(SentKeys(), ElementsAre("coll_a", "coll_b", "coll_b"));
  EXPECT_EQ(transport_.requests().at(0).max_response_bytes, std::size_t{1} << 20);
  EXPECT_THAT(logs, HasSubstr("response body larger than 1 MiB"));
  EXPECT_THAT(logs, HasSubstr(R"("body":"[[[[)"));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, AServerEchoingTheKeyNeverGetsItIntoTheLogs) {
  Spooled("coll_a");
  Spooled("coll_b");
  transport_.Reply(400, std::string(R"({"error":"bad","code":"SCOPE","message":"key )") + kKey + R"( lacks scope"})");
  transport_.Reply(422, std::string("key=") + kKey);
  uploads_.StopAfter("rejected", 2, stop_);
  ::testing::internal::CaptureStdout();
  RunUntilStopped(transport_);
  const std::string logs = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(logs, HasSubstr("lacks scope"));
  EXPECT_THAT(logs, HasSubstr("<redacted>"));
  EXPECT_THAT(logs, Not(HasSubstr(kKey)));
}

TEST_F(UploaderTest, A401ForAKeyRotatedMeanwhileIsRetriedWithTheNewKey) {
  Spooled("coll_a");
  // The request goes out with the old key; the key rotates before the 401 comes back.
  struct Rotating final : http::Transport {
    std::function<void()> rotate;
    int calls = 0;
    explicit Rotating(std::function<void()> r) : rotate(std::move(r)) {}
    base::Expected<http::Response, http::TransportError> Send(const http::Request& r) override {
      requests.push_back(r);
      http::Response out;
      if (++calls == 1) {
        rotate();
        out.status = 401;
      } else {
        out.status = 200;
      }
      return out;
    }
    base::Expected<int, http::TransportError> Stream(const http::Request&, http::StreamHandler&,
                                                     const base::StopSignal&) override {
      return 0;
    }
    std::vector<http::Request> requests;
  } rotating([this] { SetKey("rotated-key"); });
  uploads_.StopAfter("success", 1, stop_);
  RunUntilStopped(rotating);
  EXPECT_THAT(uploads_.results(), ElementsAre("retry", "success"));
  ASSERT_EQ(rotating.requests.size(), 2u);
  EXPECT_EQ(HeaderMap(rotating.requests[1])["Authorization"], "Bearer rotated-key");
  std::lock_guard lock(rejected_mu_);
  EXPECT_TRUE(rejected_statuses_.empty()) << "a stale key's 401 must not stop uploads";
}

TEST_F(UploaderTest, PayloadTooLargeSplitsABatchIntoTwoNewEnvelopes) {
  const auto original = Spooled("coll_original", 5);
  const rapidjson::Document before = ParseGzip(*spool_->Read(original));
  transport_.Reply(413, R"({"error":"payload_too_large"})");
  transport_.Reply(200, "{}");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 2, stop_);
  RunUntilStopped(transport_);

  EXPECT_THAT(uploads_.results(), ElementsAre("split", "success", "success"));
  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  rapidjson::Document all_samples(rapidjson::kArrayType);
  std::vector<std::string> ids;
  for (std::size_t i = 1; i < 3; ++i) {
    rapidjson::Document part = ParseGzip(requests[i].body);
    const std::string id = part["data"]["collectionId"].GetString();
    EXPECT_EQ(HeaderMap(requests[i])["Idempotency-Key"], id);
    ids.push_back(id);
    EXPECT_GE(part["data"]["samples"].Size(), 2u) << "halves";
    for (auto& s : part["data"]["samples"].GetArray()) {
      all_samples.PushBack(rapidjson::Value(s, all_samples.GetAllocator()), all_samples.GetAllocator());
    }
    // Everything but the samples and the id is kept.
    rapidjson::Document expected;
    expected.CopyFrom(before, expected.GetAllocator());
    expected["data"]["collectionId"].SetString(id.c_str(), expected.GetAllocator());
    expected["data"]["samples"].CopyFrom(part["data"]["samples"], expected.GetAllocator());
    EXPECT_EQ(ToJson(part), ToJson(expected));
  }
  EXPECT_THAT(ids, ElementsAre("coll_original_0", "coll_original_1"));  // derived: a redone split repeats them
  EXPECT_EQ(ToJson(all_samples), ToJson(before["data"]["samples"])) << "together, exactly the original";
  EXPECT_EQ(spool_->items(), 0u);
  EXPECT_TRUE(spool_observer_.drops().empty());
}

TEST_F(UploaderTest, PayloadTooLargeThatCannotBeSplitIsDropped) {
  Spooled("coll_one_sample", 1);
  Spooled("coll_inventory", 5, "resource-inventory");
  transport_.Reply(413, "");
  transport_.Reply(413, "");
  uploads_.StopAfter("rejected", 2, stop_);
  RunUntilStopped(transport_);

  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_THAT(spool_observer_.drops(),
              ElementsAre(Pair("metrics-batch", "too_large"), Pair("resource-inventory", "too_large")));
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, SendsNothingWhileDisabledOrWithoutAKey) {
  Spooled("coll_a");
  Spooled("coll_b");
  transport_.Reply(200, "{}");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 2, stop_);
  WatchedTransport watched(transport_);
  auto uploader = MakeUploader(watched);
  std::thread run([&] { RunWithWatchdog(*uploader, stop_); });

  uploader->Wake();
  EXPECT_FALSE(watched.WaitForRequests(1, kGrace)) << "disabled by default";
  SetKey(std::nullopt);
  uploader->SetEnabled(true);
  EXPECT_FALSE(watched.WaitForRequests(1, kGrace)) << "no key";
  SetKey(kKey);
  uploader->SetEnabled(false);
  uploader->Wake();
  EXPECT_FALSE(watched.WaitForRequests(1, kGrace)) << "disabled again";
  EXPECT_EQ(spool_->items(), 2u);
  uploader->SetEnabled(true);
  run.join();
  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, NeverMoreRequestsInFlightThanTheBound) {
  constexpr int kItems = 12;
  for (int i = 0; i < kItems; ++i) Spooled("coll_" + std::to_string(i));
  options_.concurrency = 3;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, max_in_flight = 0, sent = 0;
  bool released = false;
  FuncTransport gate([&](const http::Request&) -> base::Expected<http::Response, http::TransportError> {
    std::unique_lock lock(mu);
    ++in_flight;
    ++sent;
    max_in_flight = std::max(max_in_flight, in_flight);
    cv.notify_all();
    // The first requests are held until the bound is reached, and a while longer, so that an
    // extra one would show; after that everything flows.
    cv.wait(lock, [&] { return released || in_flight >= options_.concurrency; });
    if (!released) {
      cv.wait_for(lock, kGrace, [&] { return in_flight > options_.concurrency; });
      released = true;
      cv.notify_all();
    }
    --in_flight;
    http::Response r;
    r.status = 200;
    return r;
  });
  uploads_.StopAfter("success", kItems, stop_);
  RunUntilStopped(gate);

  EXPECT_EQ(max_in_flight, options_.concurrency);
  EXPECT_EQ(sent, kItems) << "each payload sent once";
  EXPECT_EQ(spool_->items(), 0u);
}

TEST_F(UploaderTest, AuditLogNamesEveryRequestButNeverTheKey) {
  Spooled("coll_audited");
  transport_.Reply(503, "");
  transport_.Reply(200, "{}");
  uploads_.StopAfter("success", 1, stop_);
  ::testing::internal::CaptureStdout();
  RunUntilStopped(transport_);
  const std::string logs = ::testing::internal::GetCapturedStdout();

  std::vector<rapidjson::Document> lines;
  std::size_t begin = 0;
  for (std::size_t end; (end = logs.find('\n', begin)) != std::string::npos; begin = end + 1) {
    rapidjson::Document line;
    line.Parse(logs.substr(begin, end - begin).c_str());
    if (!line.HasParseError() && line.IsObject() && std::string_view(line["msg"].GetString()) == "upload") {
      lines.push_back(std::move(line));
    }
  }
  ASSERT_EQ(lines.size(), 2u) << logs;
  EXPECT_STREQ(lines[0]["level"].GetString(), "info");
  EXPECT_STREQ(lines[0]["type"].GetString(), "metrics-batch");
  EXPECT_STREQ(lines[0]["collection_id"].GetString(), "coll_audited");
  EXPECT_EQ(lines[0]["status"].GetInt(), 503);
  EXPECT_STREQ(lines[0]["result"].GetString(), "retry");
  EXPECT_EQ(lines[0]["attempt"].GetInt(), 1);
  EXPECT_EQ(lines[1]["attempt"].GetInt(), 2);
  EXPECT_STREQ(lines[1]["result"].GetString(), "success");
  EXPECT_EQ(lines[1]["bytes"].GetUint64(), uploads_.attempts()[1].bytes);
  EXPECT_THAT(logs, Not(HasSubstr(kKey)));
  EXPECT_THAT(logs, Not(HasSubstr("pods_crash_looping"))) << "never the body";
}

// A worker that throws mid-upload is restarted (base::StartRestartingThread), and the payload it
// held is not left "in flight" for ever: it is sent again.
TEST_F(UploaderTest, AWorkerThatThrowsIsRestartedAndItsPayloadIsSentAgain) {
  Spooled("coll_a");
  std::atomic<int> sends{0};
  FuncTransport transport([&](const http::Request&) -> base::Expected<http::Response, http::TransportError> {
    if (++sends == 1) throw std::runtime_error("bug in a transport");
    http::Response ok;
    ok.status = 200;
    return ok;
  });
  class CountingFailures final : public base::ThreadFailureHandler {
   public:
    void OnThreadFailure(const std::string& thread, const std::string& what, bool restarting) override {
      std::lock_guard lock(mu);
      failures.push_back(thread + ": " + what + (restarting ? " (restarting)" : ""));
    }
    std::mutex mu;
    std::vector<std::string> failures;
  } failures;
  auto uploader = MakeUploader(transport);
  uploads_.StopAfter("success", 1, stop_);
  uploader->SetEnabled(true);
  std::thread watchdog([&] {
    if (!stop_.WaitFor(std::chrono::seconds(20))) {
      ADD_FAILURE() << "the payload was never sent again";
      stop_.Stop();
    }
  });
  uploader->Run(stop_, failures);
  watchdog.join();
  EXPECT_EQ(sends.load(), 2);
  EXPECT_THAT(uploads_.results(), ElementsAre("success"));
  EXPECT_EQ(spool_->items(), 0u);
  std::lock_guard lock(failures.mu);
  EXPECT_THAT(failures.failures, ElementsAre("upload-0: bug in a transport (restarting)"));
}

}  // namespace
}  // namespace kube9::sinks::upload
