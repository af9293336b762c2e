#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(RunAsNonRoot, FailsNamingWorkloadsWhoseContainersMayRunAsRoot) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  c.Deployment("shop", "root", 2, Containers(R"({"name":"a"})"));
  // Inherited from the pod's securityContext counts as non-root.
  c.Deployment("shop", "inherits", 2, R"("securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}])");
  c.Deployment("kube-system", "system", 1, Containers(R"({"name":"a"})"));  // left out
  Result r = c.Run("security.run-as-non-root");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("1 of 3"));
  EXPECT_THAT(r.message, HasSubstr("shop/root"));
}

// Checks read the sample's sorted copy of the workloads; without a sample, the stores: the
// same verdict either way.
TEST(RunAsNonRoot, TheSameVerdictFromTheStoresWithoutASample) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  c.Deployment("shop", "root", 2, Containers(R"({"name":"a"})"));
  const Result with_sample = c.Run("security.run-as-non-root");
  const Result without = FindCheck("security.run-as-non-root")->Run(Inputs{c.stores(), kNow, {}, nullptr});
  EXPECT_EQ(without.status, with_sample.status);
  EXPECT_EQ(without.message, with_sample.message);
}

TEST(RunAsNonRoot, PassesAndIsSkippedWithoutWorkloadCollectors) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("security.run-as-non-root").status, Status::kPassing);
  Cluster none({"pods"});
  EXPECT_EQ(none.Run("security.run-as-non-root").status, Status::kSkipped);
}

}  // namespace
}  // namespace kube9::assessment::testing
