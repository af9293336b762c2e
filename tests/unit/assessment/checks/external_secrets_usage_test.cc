#include "assessment/checks/external_secrets_usage.h"

#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using ::testing::HasSubstr;

class ExternalSecretsUsageTest : public DataCheckTest {};

TEST_F(ExternalSecretsUsageTest, SkippedWithoutDiscovery) {
  EXPECT_EQ(Run(ExternalSecretsUsage()).status, Status::kSkipped);
  EXPECT_EQ(ExternalSecretsUsage().info().id, "security.external-secrets-usage");
}

TEST_F(ExternalSecretsUsageTest, WarnsWithoutAManagerAndPassesWithEach) {
  Serve({"apps", "autoscaling"});
  EXPECT_EQ(Run(ExternalSecretsUsage()).status, Status::kWarning);
  for (const char* group : {"external-secrets.io", "secrets-store.csi.x-k8s.io", "bitnami.com"}) {
    discovered_.served = {"apps", group};
    const Result r = Run(ExternalSecretsUsage());
    EXPECT_EQ(r.status, Status::kPassing) << group;
    EXPECT_THAT(r.message, HasSubstr(group));
  }
}

}  // namespace
}  // namespace kube9::assessment
