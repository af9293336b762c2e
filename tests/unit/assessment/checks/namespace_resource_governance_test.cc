#include "assessment/checks/namespace_resource_governance.h"

#include "collectors/extract.h"
#include "collectors/resources/limit_ranges.h"
#include "collectors/resources/resource_quotas.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kLimitRanges;
using collectors::kPods;
using collectors::kResourceQuotas;
using ::testing::HasSubstr;

class NamespaceResourceGovernanceTest : public DataCheckTest {};

TEST_F(NamespaceResourceGovernanceTest, SkippedWithoutQuotasOrLimitRanges) {
  Enable(kPods);
  Enable(kResourceQuotas);
  const Result r = Run(NamespaceResourceGovernance());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("limitranges"));
}

TEST_F(NamespaceResourceGovernanceTest, NamespacesWithPodsNeedAQuotaOrALimitRange) {
  Add(kPods, {Object("quota", "p1"), Object("quota", "p2"), Object("limits", "p"), Object("kube-system", "dns")});
  Add(kResourceQuotas, {Object("quota", "q", R"("spec":{"hard":{"requests.cpu":"4"}})")});
  Add(kLimitRanges, {Object("limits", "l", R"("spec":{"limits":[{"type":"Container","default":{"cpu":"1"}}]})"),
                     Object("empty", "l")});
  Result r = Run(NamespaceResourceGovernance());
  EXPECT_EQ(r.status, Status::kPassing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("0 of 2"))
      << "kube-system is the platform's; a namespace without pods is not counted";
  Add(kPods, {Object("team-b", "p")});
  r = Run(NamespaceResourceGovernance());
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message,
              HasSubstr("1 of 3 namespaces with pods have neither a ResourceQuota nor a LimitRange (e.g. team-b)"));
}

}  // namespace
}  // namespace kube9::assessment
