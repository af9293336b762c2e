#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(HardcodedSecrets, FailsOnCredentialNamedEnvWithLiteralValueNeverKeepingIt) {
  Cluster c;
  c.Deployment(
      "shop", "ref", 1,
      Containers(R"({"name":"a","env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}},)"
                 R"({"name":"API_KEY_FILE","value":"/etc/key"},{"name":"LOG_LEVEL","value":"info"}]})"));
  EXPECT_EQ(c.Run("security.hardcoded-secrets").status, Status::kPassing);
  c.Deployment("shop", "leaky", 1,
               Containers(R"({"name":"a","env":[{"name":"db_password","value":"SECRETMARK-hunter2"}]})"));
  Result r = c.Run("security.hardcoded-secrets");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/leaky"));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("SECRETMARK")));
}

}  // namespace
}  // namespace kube9::assessment::testing
