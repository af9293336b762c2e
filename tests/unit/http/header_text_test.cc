#include "http/header_text.h"

#include <gtest/gtest.h>

namespace kube9::http {
namespace {

TEST(HeaderTextTest, CaseIsIgnoredForAsciiLettersOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
  EXPECT_FALSE(EqualsIgnoreCase("chunked", "chunke"));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x89", "\xC3\xA9"));  // É and é: not ASCII, not folded
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));                // 0x5B and 0x7B differ by 0x20 too
  EXPECT_EQ(Lower("Content-Length: 5 ÀZ"), "content-length: 5 Àz");
}

TEST(HeaderTextTest, TrimSpacesDropsOnlyOptionalWhitespace) {
  EXPECT_EQ(TrimSpaces(" \t close \t"), "close");
  EXPECT_EQ(TrimSpaces("close\r"), "close\r");  // a CR is not whitespace in a request's field
  EXPECT_EQ(TrimSpaces(" \t "), "");
}

TEST(HeaderTextTest, TrimLineAlsoDropsTheLineEnd) {
  EXPECT_EQ(TrimLine(" 42 \r"), "42");
  EXPECT_EQ(TrimLine("42\r \n\t"), "42");
  EXPECT_EQ(TrimLine("a\rb"), "a\rb");  // only at the end
}

TEST(HeaderTextTest, HasTokenFindsAnElementOfTheList) {
  EXPECT_TRUE(HasToken("keep-alive, Close", "close"));
  EXPECT_TRUE(HasToken("close", "close"));
  EXPECT_TRUE(HasToken(" ,\tclose\t,", "close"));
  EXPECT_FALSE(HasToken("closed, unclose", "close"));
  EXPECT_FALSE(HasToken("", "close"));
  EXPECT_FALSE(HasToken("clo se", "close"));
}

}  // namespace
}  // namespace kube9::http
