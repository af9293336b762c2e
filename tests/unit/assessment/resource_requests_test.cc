#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(ResourceRequests, FailsWhenAContainerLacksCpuOrMemoryRequests) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("reliability.resource-requests").status, Status::kPassing);
  c.Deployment("shop", "half", 2,
               Containers(std::string(kGoodContainer) + R"(,{"name":"b","resources":{"requests":{"cpu":"1"}}})"));
  Result r = c.Run("reliability.resource-requests");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("shop/half"));
}

}  // namespace
}  // namespace kube9::assessment::testing
