#include "base/text.h"

#include <gtest/gtest.h>

namespace kube9::base {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST(TruncateUtf8Test, CutsBetweenCharacters) {
  EXPECT_EQ(TruncateUtf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(TruncateUtf8("abc", 5), "abc");
}

TEST(SanitizeUtf8Test, WellFormedTextIsUnchanged) {
  const std::string text = "plain, \xC3\xA9t\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \x7F and \xF4\x8F\xBF\xBF";
  EXPECT_EQ(SanitizeUtf8(text), text);
  EXPECT_EQ(SanitizeUtf8(""), "");
}

// Found by tests/fuzz/server_response_fuzzer: RapidJSON 1.1 decodes the escape "\uDEC9" (a lone
// low surrogate) into the bytes ED BB 89, which are not UTF-8.
TEST(SanitizeUtf8Test, EveryMalformedByteBecomesAReplacementCharacter) {
  EXPECT_EQ(SanitizeUtf8("a\xED\xBB\x89z"), "a" + kReplacement + kReplacement + kReplacement + "z");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), kReplacement + kReplacement);                                 // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xE0\x80\xAF"), kReplacement + kReplacement + kReplacement);              // overlong
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80"), std::string() + kReplacement + kReplacement + kReplacement +
                                                  kReplacement);  // past U+10FFFF
  EXPECT_EQ(SanitizeUtf8("\x80x"), kReplacement + "x");            // stray continuation byte
  EXPECT_EQ(SanitizeUtf8("x\xE2\x82"), "x" + kReplacement + kReplacement);  // truncated at the end
  EXPECT_EQ(SanitizeUtf8("\xFFok"), kReplacement + "ok");
}

}  // namespace
}  // namespace kube9::base

namespace kube9::base {
namespace {

TEST(SplitList, NonEmptyItemsOfACommaSeparatedList) {
  EXPECT_EQ(SplitList("a,b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitList(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitList("").empty());
}

}  // namespace
}  // namespace kube9::base
