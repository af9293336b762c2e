#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(WorkloadConsolidationSignals, WarnsWhenMostOfManyDeploymentsRunOneReplica) {
  Cluster c;
  for (int i = 0; i < 7; ++i) c.Deployment("shop", "single-" + std::to_string(i), 1, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("sustainability.workload-consolidation-signals").status, Status::kPassing);  // too few
  c.Deployment("shop", "wide", 3, Containers(kGoodContainer));
  Result r = c.Run("sustainability.workload-consolidation-signals");  // 7 of 8
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("7 of 8"));
  for (int i = 0; i < 6; ++i) c.Deployment("shop", "ha-" + std::to_string(i), 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("sustainability.workload-consolidation-signals").status, Status::kPassing);  // 7 of 14
}

}  // namespace
}  // namespace kube9::assessment::testing
