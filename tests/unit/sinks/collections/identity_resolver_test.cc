#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/credentials.h"
#include "kube/limits.h"
#include "sinks/collections/identity.h"
#include "testing/fake_transport.h"

namespace kube9::sinks::collections {
namespace {

class IdentityResolverTest : public ::testing::Test {
 protected:
  IdentityResolverTest() {
    kube::ClusterAccess access;
    access.server = "https://10.96.0.1:443";
    access.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{"tok3n", "", ""});
    client_ = std::make_unique<kube::Client>(access, transport_, clock_);
  }
  testing::FakeTransport transport_;
  base::FakeClock clock_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(IdentityResolverTest, UsesTheKubeSystemUidAndAsksOnce) {
  transport_.Reply(200, R"({"kind":"Namespace","metadata":{"name":"kube-system","uid":"1b2c-uid"}})");
  IdentityResolver resolver(*client_);
  auto id = resolver.Get();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->identifier(), ClusterIdentity("1b2c-uid").identifier());
  EXPECT_EQ(id->NamespaceId("default"), ClusterIdentity("1b2c-uid").NamespaceId("default"));
  ASSERT_TRUE(resolver.Get().has_value());
  EXPECT_EQ(transport_.requests().size(), 1u);  // cached
  EXPECT_EQ(transport_.requests()[0].url, "https://10.96.0.1:443/api/v1/namespaces/kube-system");
}

TEST_F(IdentityResolverTest, ForbiddenFallsBackToTheUrlWithAnUnguessableNamespaceKey) {
  transport_.Reply(403, R"({"kind":"Status","reason":"Forbidden","message":"forbidden"})");
  IdentityResolver resolver(*client_);
  auto id = resolver.Get();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->identifier(), ClusterIdentity("https://10.96.0.1:443").identifier());
  // Someone who guesses the URL must not be able to compute the namespace ids.
  EXPECT_NE(id->NamespaceId("default"), ClusterIdentity("https://10.96.0.1:443").NamespaceId("default"));
}

TEST_F(IdentityResolverTest, TransientErrorsLeaveItUnknownAndAreNotRetriedAtOnce) {
  transport_.FailTransport();
  IdentityResolver resolver(*client_);
  EXPECT_FALSE(resolver.Get().has_value());
  EXPECT_FALSE(resolver.Get().has_value());
  EXPECT_EQ(transport_.requests().size(), 1u);  // the second call did not ask the API server
}

// A hostile reply is no crash: a nesting bomb reads as a namespace without a UID, a reply over
// the object limit as a failed read, tried again later.
TEST_F(IdentityResolverTest, HostileRepliesAreSurvived) {
  transport_.Reply(200, R"({"metadata":{"uid":"u","x":)" + std::string(1'000'000, '[') + "}}");
  IdentityResolver bombed(*client_);
  auto id = bombed.Get();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->identifier(), ClusterIdentity("https://10.96.0.1:443").identifier());
  transport_.Reply(200, R"({"metadata":{"uid":")" + std::string(kube::kObjectJson.max_bytes, 'u') + R"("}})");
  IdentityResolver flooded(*client_);
  EXPECT_FALSE(flooded.Get().has_value());
}

}  // namespace
}  // namespace kube9::sinks::collections
