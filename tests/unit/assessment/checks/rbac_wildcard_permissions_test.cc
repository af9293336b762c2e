#include "assessment/checks/rbac_wildcard_permissions.h"

#include "collectors/resources/roles.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kClusterRoles;
using collectors::kRoles;
using ::testing::HasSubstr;

class RbacWildcardPermissionsTest : public DataCheckTest {};

TEST_F(RbacWildcardPermissionsTest, InfoNamesThePillarAndId) {
  const CheckInfo& info = RbacWildcardPermissions().info();
  EXPECT_EQ(info.id, "security.rbac-wildcard-permissions");
  EXPECT_EQ(info.pillar, Pillar::kSecurity);
  EXPECT_EQ(info.severity, Severity::kHigh);
  EXPECT_FALSE(info.remediation.empty());
}

TEST_F(RbacWildcardPermissionsTest, SkippedWithoutEitherRoleCollector) {
  Enable(kRoles);
  const Result r = Run(RbacWildcardPermissions());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("clusterroles"));
}

TEST_F(RbacWildcardPermissionsTest, SkippedWhenTheListIsDeniedNotPassingOnAnEmptyStore) {
  Enable(kRoles);
  Enable(kClusterRoles);
  unsynced_ = {"clusterroles"};  // enabled, but its LIST got 403
  const Result r = Run(RbacWildcardPermissions());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("clusterroles collector is disabled or not permitted"));
}

TEST_F(RbacWildcardPermissionsTest, BuiltinRolesAndNarrowRolesPass) {
  Add(kClusterRoles,
      {R"({"metadata":{"name":"cluster-admin","labels":{"kubernetes.io/bootstrapping":"rbac-defaults"}},
                           "rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]})",
       Object("", "system:controller:x", R"("rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}])"),
       Object("", "reader", R"("rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}])")});
  Enable(kRoles);
  const Result r = Run(RbacWildcardPermissions());
  EXPECT_EQ(r.status, Status::kPassing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("0 of 1"));
}

TEST_F(RbacWildcardPermissionsTest, FullWildcardFailsANarrowerOneWarns) {
  Enable(kClusterRoles);
  Add(kRoles,
      {Object("a", "deployer", R"("rules":[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["*"]}])")});
  Result r = Run(RbacWildcardPermissions());
  EXPECT_EQ(r.status, Status::kWarning) << r.message;
  EXPECT_THAT(r.message, HasSubstr("a/deployer"));
  Add(kClusterRoles, {Object("", "ops", R"("rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}])")});
  r = Run(RbacWildcardPermissions());
  EXPECT_EQ(r.status, Status::kFailing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("of 2 Roles and ClusterRoles"));
  EXPECT_THAT(r.message, HasSubstr("1 grant every verb on every resource (e.g. ops)"));
}

}  // namespace
}  // namespace kube9::assessment
