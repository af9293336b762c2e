#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(ResourceRequestLimitRatios, WarnsWhenALimitExceedsFourTimesItsRequest) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));  // 2x
  c.Deployment("shop", "exact", 2,
               Containers(R"({"name":"a","resources":{"requests":{"memory":"1Gi"},"limits":{"memory":"4Gi"}}})"));
  EXPECT_EQ(c.Run("cost-optimization.resource-request-limit-ratios").status, Status::kPassing);
  c.Deployment("shop", "wide", 2,
               Containers(R"({"name":"a","resources":{"requests":{"cpu":"100m"},"limits":{"cpu":"1"}}})"));
  Result r = c.Run("cost-optimization.resource-request-limit-ratios");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("shop/wide"));
}

}  // namespace
}  // namespace kube9::assessment::testing
