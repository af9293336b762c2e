#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

std::string Node(int i, std::string_view labels) {
  return R"({"metadata":{"uid":"00000000-0000-0000-0000-00000000000)" + std::to_string(i) + R"(","name":"n)" +
         std::to_string(i) + R"(","labels":{)" + std::string(labels) + "}}}";
}

TEST(SpotInstanceUsage, WarnsWithoutSpotNodesAndWhenNothingUsesThem) {
  Cluster c;
  c.Add("nodes", Node(1, ""));
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("cost-optimization.spot-instance-usage").status, Status::kWarning);
  c.Add("nodes", Node(2, R"("karpenter.sh/capacity-type":"spot")"));
  Result r = c.Run("cost-optimization.spot-instance-usage");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("1 of 2 nodes are spot"));
  c.Deployment("shop", "batch", 2,
               R"("tolerations":[{"key":"karpenter.sh/capacity-type"}],)" + Containers(kGoodContainer));
  EXPECT_EQ(c.Run("cost-optimization.spot-instance-usage").status, Status::kPassing);
  Cluster no_nodes({"deployments"});
  EXPECT_EQ(no_nodes.Run("cost-optimization.spot-instance-usage").status, Status::kSkipped);
}

}  // namespace
}  // namespace kube9::assessment::testing
