#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(NodeAffinityAndPlacement, FailsOnNodeNameAndWarnsOnCrowdedSelection) {
  Cluster c;
  c.Deployment("shop", "api", 3,
               R"("nodeSelector":{"pool":"web"},"topologySpreadConstraints":[{}],)" + Containers(kGoodContainer));
  EXPECT_EQ(c.Run("performance-efficiency.node-affinity-and-placement").status, Status::kPassing);
  c.Deployment("shop", "crowd", 3, R"("nodeSelector":{"pool":"web"},)" + Containers(kGoodContainer));
  EXPECT_EQ(c.Run("performance-efficiency.node-affinity-and-placement").status, Status::kWarning);
  c.Deployment("shop", "pinned", 1, R"("nodeName":"node-1",)" + Containers(kGoodContainer));
  Result r = c.Run("performance-efficiency.node-affinity-and-placement");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/pinned"));
}

}  // namespace
}  // namespace kube9::assessment::testing
