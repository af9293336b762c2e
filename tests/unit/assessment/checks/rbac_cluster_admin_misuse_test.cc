#include "assessment/checks/rbac_cluster_admin_misuse.h"

#include "collectors/resources/role_bindings.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kClusterRoleBindings;
using collectors::kRoleBindings;
using ::testing::HasSubstr;

class RbacClusterAdminMisuseTest : public DataCheckTest {};

std::string Binding(const std::string& ns, const std::string& name, const std::string& role_kind,
                    const std::string& subject) {
  return Object(ns, name,
                R"("roleRef":{"kind":")" + role_kind + R"(","name":"cluster-admin"},"subjects":[)" + subject + "]");
}

TEST_F(RbacClusterAdminMisuseTest, Info) {
  EXPECT_EQ(RbacClusterAdminMisuse().info().id, "security.rbac-cluster-admin-misuse");
  EXPECT_EQ(RbacClusterAdminMisuse().info().severity, Severity::kCritical);
}

TEST_F(RbacClusterAdminMisuseTest, SkippedWithoutBindings) {
  Enable(kClusterRoleBindings);
  EXPECT_EQ(Run(RbacClusterAdminMisuse()).status, Status::kSkipped);
}

TEST_F(RbacClusterAdminMisuseTest, SystemSubjectsPassAServiceAccountFails) {
  Add(kClusterRoleBindings,
      {Binding("", "cluster-admin", "ClusterRole", R"({"kind":"Group","name":"system:masters"})")});
  Enable(kRoleBindings);
  EXPECT_EQ(Run(RbacClusterAdminMisuse()).status, Status::kPassing);
  Add(kRoleBindings, {Binding("team", "team-admin", "ClusterRole", R"({"kind":"User","name":"alice"})")});
  Result r = Run(RbacClusterAdminMisuse());
  EXPECT_EQ(r.status, Status::kWarning) << "in one namespace: " << r.message;
  EXPECT_THAT(r.message, HasSubstr("team/team-admin"));
  Add(kClusterRoleBindings,
      {Binding("", "ci-admin", "ClusterRole", R"({"kind":"ServiceAccount","name":"ci","namespace":"ci"})")});
  r = Run(RbacClusterAdminMisuse());
  EXPECT_EQ(r.status, Status::kFailing) << r.message;
  EXPECT_THAT(
      r.message,
      HasSubstr("of 3 bindings: 1 ClusterRoleBindings give cluster-admin to non-system subjects (e.g. ci-admin)"));
}

}  // namespace
}  // namespace kube9::assessment
