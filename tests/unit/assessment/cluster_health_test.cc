#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(ClusterHealth, MapsTheHealthChecksIntoReliability) {
  Cluster c;
  c.Add(
      "nodes",
      R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000001","name":"n1"},"status":{"conditions":[{"type":"Ready","status":"False"}]}})");
  c.Add(
      "deployments",
      R"({"metadata":{"uid":"00000000-0000-0000-0000-000000000002","namespace":"shop","name":"api"},"spec":{"replicas":2},"status":{"unavailableReplicas":1}})");
  Result nodes = c.Run("reliability.nodes-not-ready");
  EXPECT_EQ(nodes.status, Status::kFailing);  // critical
  EXPECT_EQ(nodes.message, "1 of 1 nodes are not Ready");
  Result workloads = c.Run("reliability.workloads-unavailable");
  EXPECT_EQ(workloads.status, Status::kWarning);
  EXPECT_EQ(workloads.message, "1 of 1 workloads with unavailable replicas (e.g. shop/api)");
  EXPECT_EQ(c.Run("reliability.pods-crash-looping").status, Status::kPassing);
  Cluster no_jobs({"pods"});
  EXPECT_EQ(no_jobs.Run("reliability.jobs-failed").status, Status::kSkipped);
}

}  // namespace
}  // namespace kube9::assessment::testing
