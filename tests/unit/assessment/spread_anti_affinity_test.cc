#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(SpreadAntiAffinity, WarnsOnMultiReplicaWorkloadsWithoutSpread) {
  Cluster c;
  c.Deployment("shop", "spread", 3, R"("topologySpreadConstraints":[{"maxSkew":1}],)" + Containers(kGoodContainer));
  c.Deployment("shop", "anti", 3,
               R"("affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[]}},)" +
                   Containers(kGoodContainer));
  c.Deployment("shop", "single", 1, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("reliability.spread-anti-affinity").status, Status::kPassing);
  c.Deployment("shop", "crowded", 4, Containers(kGoodContainer));
  Result r = c.Run("reliability.spread-anti-affinity");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("shop/crowded"));
}

}  // namespace
}  // namespace kube9::assessment::testing
