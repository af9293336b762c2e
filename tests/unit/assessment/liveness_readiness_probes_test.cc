#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(LivenessReadinessProbes, FailsWithoutReadinessAndWarnsWithoutLiveness) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("reliability.liveness-readiness-probes").status, Status::kPassing);
  c.Deployment("shop", "nolive", 2, Containers(R"({"name":"a","readinessProbe":{}})"));
  EXPECT_EQ(c.Run("reliability.liveness-readiness-probes").status, Status::kWarning);
  c.Deployment("shop", "noprobe", 2, Containers(R"({"name":"a"})"));
  Result r = c.Run("reliability.liveness-readiness-probes");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/noprobe"));
}

}  // namespace
}  // namespace kube9::assessment::testing
