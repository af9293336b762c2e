#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(OverProvisioningDetection, WarnsAndFailsOnLargeRequestsPerPodOrInTotal) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("cost-optimization.over-provisioning-detection").status, Status::kPassing);
  c.Deployment("shop", "big", 1, Containers(R"({"name":"a","resources":{"requests":{"cpu":"6"}}})"));
  EXPECT_EQ(c.Run("cost-optimization.over-provisioning-detection").status, Status::kWarning);
  // 100 replicas of 2 cores: 200 cores in total.
  c.Deployment("shop", "fleet", 100, Containers(R"({"name":"a","resources":{"requests":{"cpu":"2"}}})"));
  Result r = c.Run("cost-optimization.over-provisioning-detection");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/fleet"));
}

}  // namespace
}  // namespace kube9::assessment::testing
