#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(ReplicaCounts, WarnsOnSingleReplicaDeploymentsAndStatefulSets) {
  Cluster c;
  c.Deployment("shop", "api", 3, Containers(kGoodContainer));
  c.Deployment("shop", "paused", 0, Containers(kGoodContainer));              // scaled to zero: left out
  c.Workload("daemonsets", "infra", "agent", 1, Containers(kGoodContainer));  // not replicated: left out
  EXPECT_EQ(c.Run("reliability.replica-counts").status, Status::kPassing);
  c.Workload("statefulsets", "data", "db", 1, Containers(kGoodContainer));
  Result r = c.Run("reliability.replica-counts");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("1 of 2"));
  EXPECT_THAT(r.message, HasSubstr("data/db"));
}

}  // namespace
}  // namespace kube9::assessment::testing
