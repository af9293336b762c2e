#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(ResourceLimits, FailsWithoutMemoryLimitAndWarnsWithoutCpuLimit) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("reliability.resource-limits").status, Status::kPassing);
  c.Deployment("shop", "nocpu", 2, Containers(R"({"name":"a","resources":{"limits":{"memory":"1Gi"}}})"));
  EXPECT_EQ(c.Run("reliability.resource-limits").status, Status::kWarning);
  c.Deployment("shop", "nomem", 2, Containers(R"({"name":"a","resources":{"limits":{"cpu":"1"}}})"));
  Result r = c.Run("reliability.resource-limits");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/nomem"));
}

}  // namespace
}  // namespace kube9::assessment::testing
