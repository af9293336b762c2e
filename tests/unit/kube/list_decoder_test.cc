#include "kube/list_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Decoded {
  std::vector<std::string> names;
  std::string rv, cont;
  std::optional<ApiError> error;
};

// Feeds `body` in chunks of `chunk` bytes.
Decoded Decode(std::string_view body, std::size_t chunk) {
  Decoded d;
  ListDecoder dec([&](const rapidjson::Value& item) {
    auto m = item.FindMember("metadata");
    d.names.push_back(m != item.MemberEnd() ? m->value["name"].GetString() : "?");
  });
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (auto r = dec.Feed(body.substr(i, chunk)); !r.ok()) {
      d.error = r.error();
      return d;
    }
  }
  if (auto r = dec.Finish(); !r.ok()) d.error = r.error();
  d.rv = dec.resource_version();
  d.cont = dec.continue_token();
  return d;
}

// Strings with braces, brackets, quotes and escapes, nested arrays, items before metadata.
constexpr const char* kTricky = R"json( {
  "kind" : "PodList", "apiVersion":"v1",
  "items": [
    {"metadata":{"name":"a","annotations":{"x":"}]{[\"\\"}},"spec":{"containers":[{"args":["[","]"]}]}},
    {"metadata":{"name":"b\u00e9"},"status":{"conditions":[[],[{}]]}}
  ],
  "metadata":{"resourceVersion":"77","continue":"tok\"en"}
} )json";

TEST(ListDecoderTest, EveryChunkSizeGivesTheSameResult) {
  const std::string body = kTricky;
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    Decoded d = Decode(body, chunk);
    ASSERT_FALSE(d.error) << "chunk " << chunk << ": " << d.error->message;
    ASSERT_THAT(d.names, ElementsAre("a", "bé")) << "chunk " << chunk;
    ASSERT_EQ(d.rv, "77");
    ASSERT_EQ(d.cont, "tok\"en");
  }
}

TEST(ListDecoderTest, EmptyAndNullItems) {
  Decoded empty = Decode(R"({"metadata":{"resourceVersion":"1"},"items":[]})", 3);
  EXPECT_FALSE(empty.error);
  EXPECT_TRUE(empty.names.empty());
  Decoded null_items = Decode(R"({"metadata":{"resourceVersion":"1"},"items":null})", 3);
  EXPECT_FALSE(null_items.error);
  EXPECT_EQ(null_items.rv, "1");
}

TEST(ListDecoderTest, MalformedResponsesAreDecodeErrors) {
  struct Case {
    const char* body;
    const char* why;
  };
  for (Case c : {Case{"", "empty"}, Case{"[]", "not a JSON object"}, Case{"nope", "not a JSON object"},
                 Case{R"({"metadata":{}})", "no items"}, Case{R"({"items":[]})", "no metadata"},
                 Case{R"({"metadata":{},"items":{}})", "not an array"}, Case{R"({"metadata":[],"items":[]})", "metadata is not an object"},
                 Case{R"({"metadata":{},"items":[1]})", "not an object"}, Case{R"({"metadata":{},"items":[{"a":}]})", "not valid JSON"},
                 Case{R"({"metadata":{},"items":[{"a":1})", "truncated"}, Case{R"({"metadata":{},"items":[]}})", "after its end"},
                 Case{R"({"metadata":{},"items":[]} {})", "after its end"}}) {
    Decoded d = Decode(c.body, 4);
    ASSERT_TRUE(d.error) << c.body;
    EXPECT_EQ(d.error->kind, ErrorKind::kDecode) << c.body;
    EXPECT_THAT(d.error->message, HasSubstr(c.why)) << c.body;
  }
}

TEST(ListDecoderTest, ManyItemsAreVisitedOneAtATime) {
  std::string body = R"({"metadata":{"resourceVersion":"9"},"items":[)";
  for (int i = 0; i < 2000; ++i) body += (i ? "," : "") + std::string(R"({"metadata":{"name":"p)") + std::to_string(i) + "\"}}";
  body += "]}";
  Decoded d = Decode(body, 4096);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.names.size(), 2000u);
  EXPECT_EQ(d.names.back(), "p1999");
}

}  // namespace
}  // namespace kube9::kube
