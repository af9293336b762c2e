#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(PrivilegedContainers, FailsOnPrivilegedAndWarnsOnHostNamespaces) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  c.Workload("daemonsets", "infra", "agent", 0, R"("hostNetwork":true,"containers":[{"name":"a"}])");
  EXPECT_EQ(c.Run("security.privileged-containers").status, Status::kWarning);
  c.Deployment("shop", "priv", 1, Containers(R"({"name":"a","securityContext":{"privileged":true}})"));
  Result r = c.Run("security.privileged-containers");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/priv"));
}

}  // namespace
}  // namespace kube9::assessment::testing
