#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(BackupDrSignals, WarnsOnPersistentDataWithoutABackupTool) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  EXPECT_EQ(c.Run("reliability.backup-dr-signals").status, Status::kPassing);  // nothing to back up
  c.Workload("statefulsets", "data", "db", 3, Containers(kGoodContainer), R"(,"volumeClaimTemplates":[{}])");
  Result r = c.Run("reliability.backup-dr-signals");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("data/db"));
  c.Deployment("velero", "velero", 1, Containers(kGoodContainer), "",
               R"(,"labels":{"app.kubernetes.io/name":"velero"})");
  r = c.Run("reliability.backup-dr-signals");
  EXPECT_EQ(r.status, Status::kPassing);
  EXPECT_THAT(r.message, HasSubstr("Velero"));
}

}  // namespace
}  // namespace kube9::assessment::testing
