#include "collectors/collector_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::collectors {
namespace {

using std::chrono::seconds;

kube::ApiError Forbidden() {
  return {kube::ErrorKind::kForbidden, 403, "pods is forbidden: User \"system:serviceaccount:x:y\" cannot list pods", {}};
}

TEST(DescribeCollectorFailuresTest, NothingWhileNoCollectorFailedForLongerThanTheThreshold) {
  EXPECT_EQ(DescribeCollectorFailures({}, seconds(45)), std::nullopt);
  EXPECT_EQ(DescribeCollectorFailures({{"pods", seconds(45), Forbidden()}}, seconds(45)), std::nullopt)
      << "exactly the threshold is not longer than it";
}

TEST(DescribeCollectorFailuresTest, NamesTheCollectorHowLongAndWhy) {
  EXPECT_EQ(DescribeCollectorFailures({{"nodes", seconds(3), Forbidden()},
                                       {"pods", std::chrono::milliseconds(125'700), Forbidden()}},
                                      seconds(45)),
            "collector pods failing for 2m5s: forbidden (HTTP 403): pods is forbidden: User "
            "\"system:serviceaccount:x:y\" cannot list pods");
}

TEST(DescribeCollectorFailuresTest, SeveralCollectorsAreNamedFirstSoThatTruncationKeepsEveryName) {
  kube::ApiError refused{kube::ErrorKind::kTransport, 0, "connection refused", {}};
  auto text = DescribeCollectorFailures({{"pods", seconds(60), Forbidden()}, {"services", seconds(50), refused}},
                                        seconds(45));
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, ::testing::StartsWith("collectors pods, services failing: pods for 1m: forbidden (HTTP 403): "));
  EXPECT_THAT(*text, ::testing::EndsWith("; services for 50s: transport: connection refused"));
}

}  // namespace
}  // namespace kube9::collectors
