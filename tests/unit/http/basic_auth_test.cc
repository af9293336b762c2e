#include "http/basic_auth.h"

#include <gtest/gtest.h>

namespace kube9::http {
namespace {

std::string Basic(std::string_view user_password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < user_password.size(); i += 3) {
    const unsigned n = (unsigned(static_cast<unsigned char>(user_password[i])) << 16) |
                       (unsigned(static_cast<unsigned char>(user_password[i + 1])) << 8) |
                       unsigned(static_cast<unsigned char>(user_password[i + 2]));
    for (int s : {18, 12, 6, 0}) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  if (i < user_password.size()) {
    unsigned n = unsigned(static_cast<unsigned char>(user_password[i])) << 16;
    if (i + 1 < user_password.size()) n |= unsigned(static_cast<unsigned char>(user_password[i + 1])) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < user_password.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return "Basic " + out;
}

TEST(BcryptTest, VerifiesWhatItHashed) {
  const std::string hash = HashBcrypt("correct horse", 4);
  ASSERT_EQ(hash.substr(0, 7), "$2b$04$");
  EXPECT_TRUE(VerifyBcrypt("correct horse", hash));
  EXPECT_FALSE(VerifyBcrypt("correct horsE", hash));
  EXPECT_FALSE(VerifyBcrypt("", hash));
  EXPECT_FALSE(VerifyBcrypt(std::string("correct horse\0x", 15), hash)) << "a NUL would end the password early";
}

TEST(BcryptTest, VerifiesHashesOfOtherTools) {
  // htpasswd -nbBC 4 "" secret ($2y$), Python bcrypt ($2b$), and the same salt as $2a$.
  const std::string hash = HashBcrypt("secret", 4);
  EXPECT_TRUE(VerifyBcrypt("secret", "$2y$" + hash.substr(4)));
  EXPECT_TRUE(VerifyBcrypt("secret", "$2a$" + hash.substr(4)));
  EXPECT_FALSE(VerifyBcrypt("secret", "$2b$04$" + std::string(53, '.'))) << "a well-formed hash of something else";
  EXPECT_FALSE(VerifyBcrypt("secret", "not a hash"));
}

class BasicAuthTest : public ::testing::Test {
 protected:
  BasicAuthTest() : auth_({{"prometheus", HashBcrypt("s3cret:with colon", 4)}, {"grafana", HashBcrypt("g", 4)}}) {}
  BasicAuth auth_;
};

TEST_F(BasicAuthTest, AcceptsAConfiguredUserWithItsPassword) {
  EXPECT_TRUE(auth_.Check(Basic("prometheus:s3cret:with colon"))) << "the password may contain ':'";
  EXPECT_TRUE(auth_.Check(Basic("grafana:g")));
  EXPECT_TRUE(auth_.Check("basic  " + Basic("grafana:g").substr(6))) << "scheme is case-insensitive";
}

TEST_F(BasicAuthTest, RefusesEverythingElse) {
  EXPECT_FALSE(auth_.Check(Basic("prometheus:wrong")));
  EXPECT_FALSE(auth_.Check(Basic("grafana:s3cret:with colon"))) << "another user's password";
  EXPECT_FALSE(auth_.Check(Basic("nobody:g")));
  EXPECT_FALSE(auth_.Check(Basic("prometheus")));
  EXPECT_FALSE(auth_.Check(""));
  EXPECT_FALSE(auth_.Check("Bearer abc"));
  EXPECT_FALSE(auth_.Check("Basic !!!!"));
  EXPECT_FALSE(auth_.Check("Basic"));
  EXPECT_FALSE(auth_.Check("Basic Z3JhZmFuYTpn="));  // not a multiple of 4
}

TEST_F(BasicAuthTest, SuccessesAreCachedFailuresAreNot) {
  ASSERT_TRUE(auth_.Check(Basic("grafana:g")));
  EXPECT_EQ(auth_.bcrypt_runs(), 1u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(auth_.Check(Basic("grafana:g")));
  EXPECT_EQ(auth_.bcrypt_runs(), 1u) << "a scraper's repeated credentials cost bcrypt once";
  ASSERT_FALSE(auth_.Check(Basic("grafana:h")));
  ASSERT_FALSE(auth_.Check(Basic("grafana:h")));
  EXPECT_EQ(auth_.bcrypt_runs(), 3u) << "wrong passwords are verified every time";
  ASSERT_FALSE(auth_.Check(Basic("nobody:g")));
  EXPECT_EQ(auth_.bcrypt_runs(), 4u) << "an unknown user costs a bcrypt too (no user enumeration by timing)";
}

TEST(BasicAuthCacheTest, IsBounded) {
  BasicAuth auth({{"a", HashBcrypt("1", 4)}, {"b", HashBcrypt("2", 4)}, {"c", HashBcrypt("3", 4)}},
                 /*cache_entries=*/2);
  ASSERT_TRUE(auth.Check(Basic("a:1")));
  ASSERT_TRUE(auth.Check(Basic("b:2")));
  ASSERT_TRUE(auth.Check(Basic("a:1")));
  EXPECT_EQ(auth.bcrypt_runs(), 2u);
  ASSERT_TRUE(auth.Check(Basic("c:3")));  // full: starts over with c only
  ASSERT_TRUE(auth.Check(Basic("a:1")));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
}

}  // namespace
}  // namespace kube9::http
