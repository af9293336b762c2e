#include "assessment/checks/pod_disruption_budgets.h"

#include "collectors/extract.h"
#include "collectors/resources/pod_disruption_budgets.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kDeployments;
using collectors::kPodDisruptionBudgets;
using collectors::kStatefulSets;
using ::testing::HasSubstr;

class PodDisruptionBudgetsTest : public DataCheckTest {
 protected:
  static std::string Workload(const std::string& ns, const std::string& name, int replicas, const std::string& app) {
    return Object(ns, name,
                  R"("spec":{"replicas":)" + std::to_string(replicas) +
                      R"(,"template":{"metadata":{"labels":{"app":")" + app + R"(","pod-template-hash":"x"}}}})");
  }
  static std::string Pdb(const std::string& ns, const std::string& name, const std::string& app,
                         const std::string& budget) {
    return Object(ns, name, R"("spec":{)" + budget + R"(,"selector":{"matchLabels":{"app":")" + app + R"("}}})");
  }
};

TEST_F(PodDisruptionBudgetsTest, SkippedWithoutPdbs) {
  Enable(kDeployments);
  Enable(kStatefulSets);
  const Result r = Run(PodDisruptionBudgets());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("poddisruptionbudgets"));
  EXPECT_EQ(PodDisruptionBudgets().info().pillar, Pillar::kReliability);
}

TEST_F(PodDisruptionBudgetsTest, ReplicatedWorkloadsNeedAMatchingBudgetThatAllowsADisruption) {
  Add(kDeployments, {Workload("a", "web", 3, "web"), Workload("a", "single", 1, "single")});
  Add(kStatefulSets, {Workload("a", "db", 3, "db")});
  Add(kPodDisruptionBudgets,
      {Pdb("a", "web", "web", R"("maxUnavailable":1)"), Pdb("a", "db", "db", R"("minAvailable":2)"),
       Pdb("b", "web", "web", R"("maxUnavailable":0)")});
  Result r = Run(PodDisruptionBudgets());
  EXPECT_EQ(r.status, Status::kPassing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("0 of 2")) << "single-replica workloads are not counted";

  // In another namespace the same labels are not covered by a's budget.
  Add(kDeployments, {Workload("c", "web", 2, "web")});
  r = Run(PodDisruptionBudgets());
  EXPECT_EQ(r.status, Status::kWarning) << r.message;
  EXPECT_THAT(r.message, HasSubstr("1 have no PodDisruptionBudget (e.g. c/web)"));

  // A budget that can never allow an eviction blocks drains: failing.
  Add(kDeployments, {Workload("b", "web", 2, "web")});
  Add(kStatefulSets, {Workload("a", "queue", 3, "queue")});
  Add(kPodDisruptionBudgets, {Pdb("a", "queue", "queue", R"("minAvailable":3)")});
  r = Run(PodDisruptionBudgets());
  EXPECT_EQ(r.status, Status::kFailing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("2 have only PodDisruptionBudgets that allow no disruption"));
  EXPECT_THAT(r.message, HasSubstr("b/web"));
  EXPECT_THAT(r.message, HasSubstr("a/queue"));
}

}  // namespace
}  // namespace kube9::assessment
