#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(CapabilitiesValidation, FailsOnDangerousAddsAndWarnsWhenAllIsNotDropped) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("security.capabilities-validation").status, Status::kPassing);
  c.Deployment("shop", "keeps", 2, Containers(R"({"name":"a"})"));
  EXPECT_EQ(c.Run("security.capabilities-validation").status, Status::kWarning);
  c.Deployment(
      "net", "admin", 1,
      Containers(R"({"name":"a","securityContext":{"capabilities":{"drop":["ALL"],"add":["CAP_NET_ADMIN"]}}})"));
  Result r = c.Run("security.capabilities-validation");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("net/admin"));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("shop/keeps")));
}

}  // namespace
}  // namespace kube9::assessment::testing
