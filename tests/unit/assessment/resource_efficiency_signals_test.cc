#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

std::string NodeWithCapacity(const char* cpu, const char* memory) {
  return std::string(
             R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000001","name":"n1"},"status":{"allocatable":{"cpu":")") +
         cpu + R"(","memory":")" + memory + R"("},"conditions":[{"type":"Ready","status":"True"}]}})";
}
std::string PodRequesting(int i, const char* cpu, const char* memory) {
  return R"({"metadata":{"uid":"00000000-0000-0000-0000-00000000010)" + std::to_string(i) +
         R"(","namespace":"shop"},"spec":{"containers":[{"resources":{"requests":{"cpu":")" + cpu + R"(","memory":")" +
         memory + R"("}}}]},"status":{"phase":"Running"}})";
}

TEST(ResourceEfficiencySignals, WarnsWhenPodsRequestUnderAFifthOfNodeCapacity) {
  Cluster c;
  c.Add("nodes", NodeWithCapacity("10", "10Gi"));
  c.Add("pods", PodRequesting(1, "1", "1Gi"));
  Result r = c.Run("sustainability.resource-efficiency-signals");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("10% of the Ready nodes' CPU and 10% of their memory"));
  c.Add("pods", PodRequesting(2, "4", "4Gi"));
  EXPECT_EQ(c.Run("sustainability.resource-efficiency-signals").status, Status::kPassing);
  Cluster no_nodes({"pods"});
  EXPECT_EQ(no_nodes.Run("sustainability.resource-efficiency-signals").status, Status::kSkipped);
}

}  // namespace
}  // namespace kube9::assessment::testing
