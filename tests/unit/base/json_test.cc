#include "base/json.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/bytes.h"

namespace kube9::base {
namespace {

using ::testing::HasSubstr;

constexpr JsonLimits kSmall{1 << 20, 64};

TEST(JsonTest, ParsesWithinTheLimits) {
  rapidjson::Document doc;
  ASSERT_TRUE(ParseJson(doc, R"({"a":[1,{"b":"[[[[\"{{"}],"c":null})", kSmall).ok());
  EXPECT_EQ(doc["a"][1]["b"].GetString(), std::string("[[[[\"{{"));
}

TEST(JsonTest, DepthCountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_EQ(JsonDepth("1", 64), 0);
  EXPECT_EQ(JsonDepth(R"({"a":[{}]})", 64), 3);
  EXPECT_EQ(JsonDepth(R"(["[[[[\"\\[[", {"k\\\"[": []}])", 64), 3);
  EXPECT_EQ(JsonDepth(std::string(100, '[') + std::string(100, ']'), 64), 65);  // stops early
}

TEST(JsonTest, ExactlyTheDepthLimitIsAcceptedOneMoreIsRefused) {
  rapidjson::Document doc;
  EXPECT_TRUE(ParseJson(doc, std::string(64, '[') + std::string(64, ']'), kSmall).ok());
  auto deeper = ParseJson(doc, std::string(65, '[') + std::string(65, ']'), kSmall);
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.error(), "nests deeper than 64 levels");
}

TEST(JsonTest, TooLargeIsRefusedBeforeParsing) {
  rapidjson::Document doc;
  auto r = ParseJson(doc, std::string((1 << 20) + 1, ' '), kSmall);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "is larger than 1 MiB (1048577 bytes)");
}

TEST(JsonTest, InvalidJsonSaysWhereAndTrailingDataIsAnError) {
  rapidjson::Document doc;
  auto r = ParseJson(doc, "{\"a\":}", kSmall);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("is not valid JSON ("));
  EXPECT_THAT(r.error(), HasSubstr("at offset 5"));
  EXPECT_FALSE(ParseJson(doc, "{} {}", kSmall).ok());
  EXPECT_FALSE(ParseJson(doc, "", kSmall).ok());
}

// The issue's finding: a reply of 1,000,000 `[` crashed the operator. 10 MiB of them (within
// a generous size limit) is refused by the pre-scan, quickly.
TEST(JsonTest, TenMebibytesOfOpeningBracketsAreRefusedQuickly) {
  const std::string bomb(10 << 20, '[');
  rapidjson::Document doc;
  const auto start = std::chrono::steady_clock::now();
  auto r = ParseJson(doc, bomb, JsonLimits{16 << 20, 512});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "nests deeper than 512 levels");
  EXPECT_LT(took, std::chrono::seconds(1));  // about 10 ms optimised; generous for sanitizers
}

// Even with no depth limit to speak of, the parse itself does not recurse: RapidJSON's
// iterative mode keeps its stack on the heap.
TEST(JsonTest, TheParserItselfSurvivesAMillionLevels) {
  const int n = 1'000'000;
  rapidjson::Document doc;
  auto unclosed = ParseJson(doc, std::string(n, '['), JsonLimits{16 << 20, 2 * n});
  ASSERT_FALSE(unclosed.ok());
  EXPECT_THAT(unclosed.error(), HasSubstr("is not valid JSON"));
  EXPECT_TRUE(ParseJson(doc, std::string(n, '[') + std::string(n, ']'), JsonLimits{16 << 20, 2 * n}).ok());
}

// A reply passed on as it came (the Argo CD resource tree): one object, whole, valid UTF-8.
TEST(JsonTest, ValidateJsonObjectAcceptsExactlyOneObject) {
  EXPECT_TRUE(ValidateJsonObject(R"( {"nodes":[{"kind":"Pod","health":{"status":"Healthy"}}]} )"
                                 "\n",
                                 kSmall)
                  .ok());
  EXPECT_EQ(ValidateJsonObject("[1]", kSmall).error(), "is not a JSON object");
  EXPECT_EQ(ValidateJsonObject("", kSmall).error(), "is not a JSON object");
  EXPECT_EQ(ValidateJsonObject("null", kSmall).error(), "is not a JSON object");
  EXPECT_THAT(ValidateJsonObject("{} {}", kSmall).error(), HasSubstr("is not valid JSON"));
  EXPECT_THAT(ValidateJsonObject("{\"a\":", kSmall).error(), HasSubstr("is not valid JSON"));
  EXPECT_THAT(ValidateJsonObject("{\"a\":\"\xff\"}", kSmall).error(), HasSubstr("is not valid JSON"));
  EXPECT_THAT(ValidateJsonObject(std::string(65, '{'), kSmall).error(), HasSubstr("nests deeper than 64"));
  EXPECT_THAT(ValidateJsonObject("{\"a\":\"" + std::string(1 << 20, 'x') + "\"}", kSmall).error(),
              HasSubstr("is larger than 1 MiB"));
}

TEST(JsonTest, JsonLineIsOneCompactObjectInFieldOrder) {
  EXPECT_EQ(JsonLine({{"ok", false}, {"code", "TIMEOUT"}, {"message", "said \"no\"\n"}}),
            "{\"ok\":false,\"code\":\"TIMEOUT\",\"message\":\"said \\\"no\\\"\\n\"}\n");
  EXPECT_EQ(JsonLine({{"m", "\xff"}}), "{\"m\":\"\xef\xbf\xbd\"}\n") << "made well-formed UTF-8";
}

TEST(BytesTest, FormatsExactUnitsElseBytes) {
  EXPECT_EQ(FormatBytes(1 << 20), "1 MiB");
  EXPECT_EQ(FormatBytes(64 << 10), "64 KiB");
  EXPECT_EQ(FormatBytes(4ull << 30), "4 GiB");
  EXPECT_EQ(FormatBytes(1000), "1000 bytes");
  EXPECT_EQ(FormatBytes((1 << 20) + 1), "1048577 bytes");
}

}  // namespace
}  // namespace kube9::base
