#include "sinks/server_api/server_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::sinks::server_api {
namespace {

TEST(ServerApiTest, PostCarriesTheContractHeaders) {
  const http::Request r = Post("https://kube9.test/v1/x", "k3y", "kube9-operator/0.1.0", "{}");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://kube9.test/v1/x");
  EXPECT_EQ(r.body, "{}");
  EXPECT_THAT(r.headers, ::testing::ElementsAre(::testing::Pair("Authorization", "Bearer k3y"),
                                                ::testing::Pair("Content-Type", "application/json"),
                                                ::testing::Pair("User-Agent", "kube9-operator/0.1.0")));
  EXPECT_EQ(r.max_response_bytes, kReplyJson.max_bytes) << "every kube9-server reply is bounded";
}

TEST(ServerApiTest, HostileErrorBodiesAreNoErrorBodies) {
  EXPECT_FALSE(ParseErrorBody(std::string(1'000'000, '['), "").has_value());
  EXPECT_FALSE(ParseErrorBody(R"({"message":"m","x":)" + std::string(64, '[') + std::string(64, ']') + "}", "").has_value());
  EXPECT_TRUE(ParseErrorBody(R"({"message":"m","x":)" + std::string(63, '[') + std::string(63, ']') + "}", "").has_value());
  EXPECT_FALSE(ParseErrorBody(R"({"message":")" + std::string(kReplyJson.max_bytes, 'm') + R"("})", "").has_value());
}

TEST(ServerApiTest, AbsurdRetryAfterIsCappedNotWrapped) {
  const base::WallTime now{std::chrono::seconds(1'800'000'000)};
  for (const char* value : {"99999999999999999999999", "9223372036854775807", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
    http::Response r;
    r.headers.Add("Retry-After", value);
    EXPECT_EQ(RetryAfter(r, now), kMaxRetryAfter) << value;
  }
}

TEST(ServerApiTest, ErrorBodiesAreParsedRedactedAndSummarised) {
  auto e = ParseErrorBody(R"({"error":"unauthorized","code":401,"message":"key k3y is revoked"})", "k3y");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->error, "unauthorized");
  EXPECT_EQ(e->code, "401");
  EXPECT_EQ(e->message, "key <redacted> is revoked");
  EXPECT_EQ(Summary(e), "key <redacted> is revoked");
  EXPECT_EQ(Summary(ParseErrorBody(R"({"error":"bad","code":"X"})", "")), "bad");
  EXPECT_EQ(Summary(ParseErrorBody(R"({"code":"ONLY_CODE"})", "")), "ONLY_CODE");
  EXPECT_EQ(Summary(ParseErrorBody(R"({"message":")" + std::string(300, 'm') + R"("})", "")),
            std::string(200, 'm') + "...");
  EXPECT_FALSE(ParseErrorBody("<html>502</html>", "").has_value());
  EXPECT_FALSE(ParseErrorBody("[1]", "").has_value());
  EXPECT_EQ(Summary(std::nullopt), "");
}

// Found by tests/fuzz/server_response_fuzzer: the summary was cut at byte 200 even inside a
// character, and the broken UTF-8 went on into the status ConfigMap's error.
TEST(ServerApiTest, SummaryIsCutBetweenCharacters) {
  std::string message = std::string(199, 'm') + "\u20ac";  // the euro sign is 3 bytes: 199 to 202
  EXPECT_EQ(Summary(ParseErrorBody(R"({"message":")" + message + R"("})", "")), std::string(199, 'm') + "...");
}

// Found by tests/fuzz/server_response_fuzzer: RapidJSON 1.1 decodes a lone low surrogate escape
// into bytes that are not UTF-8, which then went on into the status and the logs.
TEST(ServerApiTest, ErrorFieldsAreWellFormedUtf8) {
  auto e = ParseErrorBody(R"({"error":"in\uDec9t","message":"x\udc00"})", "");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->error, "in\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDt");
  EXPECT_EQ(Summary(e), "x\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // A key that ends inside a character leaves the rest of it behind when redacted.
  EXPECT_EQ(ParseErrorBody("{\"error\":\"k3y\xE2\x82\xAC\"}", "k3y\xE2\x82")->error, "<redacted>\xEF\xBF\xBD");
  // A key holding U+FFFD is completed by the replacement of malformed bytes: redacted all the same.
  EXPECT_EQ(ParseErrorBody("{\"message\":\"key k\xFF!\"}", "key k\xEF\xBF\xBD")->message, "<redacted>!");
  // ... and a key ending in a malformed byte is looked for as UTF-8 too, whole characters only.
  EXPECT_EQ(ParseErrorBody("{\"message\":\"key k\xFF!\"}", "key k\xEF")->message, "<redacted>!");
  // A key ending in a lead byte matches the start of a whole character: the character goes too.
  EXPECT_EQ(ParseErrorBody("{\"message\":\"key k\xC5" "c\\u20ac!\"}", "key k\xEF\xBF\xBD" "c\xE2")->message,
            "<redacted>!");
}

TEST(ServerApiTest, RetryAfterIsCappedAtAnHour) {
  const base::WallTime now{std::chrono::seconds(1'800'000'000)};
  http::Response r;
  EXPECT_EQ(RetryAfter(r, now), std::nullopt);
  r.headers.Add("Retry-After", "120");
  EXPECT_EQ(RetryAfter(r, now), std::chrono::seconds(120));
  http::Response day;
  day.headers.Add("Retry-After", "86400");
  EXPECT_EQ(RetryAfter(day, now), kMaxRetryAfter);
}

}  // namespace
}  // namespace kube9::sinks::server_api
