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
  std::size_t skipped = 0, largest_skipped = 0;
  std::string skip_reason;
};

// Feeds `body` in chunks of `chunk` bytes.
Decoded Decode(std::string_view body, std::size_t chunk, base::JsonLimits limits = kObjectJson) {
  Decoded d;
  ListDecoder dec(
      [&](const rapidjson::Value& item) {
        auto m = item.FindMember("metadata");
        d.names.push_back(m != item.MemberEnd() ? m->value["name"].GetString() : "?");
      },
      limits);
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (auto r = dec.Feed(body.substr(i, chunk)); !r.ok()) {
      d.error = r.error();
      return d;
    }
  }
  if (auto r = dec.Finish(); !r.ok()) d.error = r.error();
  d.rv = dec.resource_version();
  d.cont = dec.continue_token();
  d.skipped = dec.skipped();
  d.largest_skipped = dec.largest_skipped_bytes();
  d.skip_reason = dec.skip_reason();
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

std::string Item(const std::string& name, const std::string& filler = "") {
  return R"({"metadata":{"name":")" + name + R"("},"data":")" + filler + R"("})";
}

std::string Page(const std::vector<std::string>& items) {
  std::string body = R"({"kind":"List","items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) body += (i ? "," : "") + items[i];
  return body + R"(],"metadata":{"resourceVersion":"42"}})";
}

// One oversized object must not fail the page (a relist would meet it again, forever): it is
// skipped, counted with its size, and the items around it are decoded.
TEST(ListDecoderTest, AnItemOverTheSizeLimitIsSkippedAndTheRestDecoded) {
  const base::JsonLimits limits{200, 64};
  const std::string big = Item("big", std::string(1000, 'x'));
  for (std::size_t chunk : {1, 7, 64, 4096}) {
    Decoded d = Decode(Page({Item("a"), big, Item("b"), Item("exact", std::string(200 - Item("exact").size(), 'y'))}),
                       chunk, limits);
    ASSERT_FALSE(d.error) << chunk << ": " << d.error->message;
    EXPECT_THAT(d.names, ElementsAre("a", "b", "exact")) << chunk;
    EXPECT_EQ(d.rv, "42");
    EXPECT_EQ(d.skipped, 1u);
    EXPECT_EQ(d.largest_skipped, big.size());
    EXPECT_EQ(d.skip_reason, "is larger than 200 bytes");
  }
}

TEST(ListDecoderTest, AnItemNestedTooDeeplyIsSkipped) {
  const base::JsonLimits limits{1 << 20, 8};
  const std::string deep = R"({"metadata":{"name":"deep"},"x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  const std::string ok = R"({"metadata":{"name":"ok"},"x":)" + std::string(6, '[') + std::string(6, ']') + "}";
  Decoded d = Decode(Page({deep, ok}), 5, limits);
  ASSERT_FALSE(d.error) << d.error->message;
  EXPECT_THAT(d.names, ElementsAre("ok"));
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_EQ(d.skip_reason, "nests deeper than 8 levels");
}

// The real limit: a 9 MiB object among small ones, fed as the network would. The decoder
// never holds more than the limit.
TEST(ListDecoderTest, ANineMebibyteObjectIsSkippedUnderTheObjectLimit) {
  const std::string big = Item("big", std::string(9 << 20, 'x'));
  Decoded d = Decode(Page({Item("a"), big, Item("b")}), 16 << 10, kObjectJson);
  ASSERT_FALSE(d.error) << d.error->message;
  EXPECT_THAT(d.names, ElementsAre("a", "b"));
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_EQ(d.largest_skipped, big.size());
  EXPECT_EQ(d.skip_reason, "is larger than 8 MiB");
}

// 10 MiB of `[` as an item: skipped by the decoder's own count, no recursion anywhere.
TEST(ListDecoderTest, AnItemOfOpeningBracketsIsSkippedThenTheTruncatedPageFails) {
  Decoded d = Decode(R"({"metadata":{},"items":[)" + std::string(10 << 20, '['), 64 << 10, kObjectJson);
  ASSERT_TRUE(d.error);
  EXPECT_THAT(d.error->message, HasSubstr("truncated"));
}

// The list's own metadata cannot be skipped (it holds the resourceVersion): the page fails.
TEST(ListDecoderTest, OversizedListMetadataIsADecodeError) {
  Decoded d = Decode(R"({"metadata":{"continue":")" + std::string(500, 'c') + R"("},"items":[]})", 64,
                     base::JsonLimits{200, 8});
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->kind, ErrorKind::kDecode);
  EXPECT_EQ(d.error->message, "LIST metadata is larger than 200 bytes");
}

}  // namespace
}  // namespace kube9::kube
