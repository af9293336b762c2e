#include "assessment/checks/secrets_in_configmaps.h"

#include "collectors/resources/configmaps.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kConfigMaps;
using ::testing::HasSubstr;

class SecretsInConfigMapsTest : public DataCheckTest {};

TEST_F(SecretsInConfigMapsTest, SkippedUnlessOptedIn) {
  const Result r = Run(SecretsInConfigMaps());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("opt-in"));
  EXPECT_EQ(SecretsInConfigMaps().info().id, "security.secrets-in-configmaps");
}

TEST_F(SecretsInConfigMapsTest, SkippedWhenOptedInButNotPermitted) {
  Enable(kConfigMaps);
  unsynced_ = {"configmaps"};
  const Result r = Run(SecretsInConfigMaps());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("not permitted"));
}

TEST_F(SecretsInConfigMapsTest, AKeyNamedLikeACredentialWarnsAndTheValueIsNeverInTheMessage) {
  Add(kConfigMaps, {Object("a", "settings", R"("data":{"log.level":"debug"})")});
  EXPECT_EQ(Run(SecretsInConfigMaps()).status, Status::kPassing);
  Add(kConfigMaps, {Object("a", "db", R"("data":{"DB_PASSWORD":"marker-7f3a9"})")});
  const Result r = Run(SecretsInConfigMaps());
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("1 of 2"));
  EXPECT_THAT(r.message, HasSubstr("a/db"));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("marker-7f3a9")));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("DB_PASSWORD")));
}

}  // namespace
}  // namespace kube9::assessment
