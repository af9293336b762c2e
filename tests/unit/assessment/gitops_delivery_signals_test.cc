#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

TEST(GitopsDeliverySignals, WarnsWhenNoWorkloadIsManagedByArgoCdOrFlux) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  Result r = c.Run("operational-excellence.gitops-delivery-signals");
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("shop/api"));
  c.Deployment("shop", "argo", 2, Containers(kGoodContainer), "",
               R"(,"labels":{"argocd.argoproj.io/instance":"shop"})");
  c.Deployment("shop", "flux", 2, Containers(kGoodContainer), "",
               R"(,"labels":{"kustomize.toolkit.fluxcd.io/name":"shop"})");
  r = c.Run("operational-excellence.gitops-delivery-signals");
  EXPECT_EQ(r.status, Status::kPassing);
  EXPECT_THAT(r.message, HasSubstr("2 of 3 workloads managed by GitOps (Argo CD 1, Flux 1)"));
}

TEST(GitopsDeliverySignals, WatchedApplicationsThatAreNotHealthyOrSyncedWarn) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer), "",
               R"(,"labels":{"argocd.argoproj.io/instance":"shop"})");
  const Check* check = FindCheck("operational-excellence.gitops-delivery-signals");
  ASSERT_NE(check, nullptr);
  auto run = [&](std::optional<collectors::DeliverySignals> gitops) {
    Inputs in{c.stores(), kNow, {}};
    in.gitops = gitops;
    return check->Run(in);
  };
  Result r = run(collectors::DeliverySignals{3, 3, 3});
  EXPECT_EQ(r.status, Status::kPassing);
  EXPECT_THAT(r.message, HasSubstr("GitOps applications: 3 of 3 Healthy, 3 of 3 Synced"));
  r = run(collectors::DeliverySignals{3, 2, 3});
  EXPECT_EQ(r.status, Status::kWarning) << "a Degraded application: Git is not what runs";
  EXPECT_THAT(r.message, HasSubstr("2 of 3 Healthy"));
  r = run(collectors::DeliverySignals{3, 3, 1});
  EXPECT_EQ(r.status, Status::kWarning);
  EXPECT_THAT(r.message, HasSubstr("1 of 3 Synced"));
  r = run(std::nullopt);
  EXPECT_EQ(r.status, Status::kPassing) << "no tool watched: judged on the workloads' marks alone";
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("GitOps applications")));
}

TEST(GitopsDeliverySignals, WatchedApplicationsCountAsGitOpsUseEvenWithoutMarkedWorkloads) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  const Check* check = FindCheck("operational-excellence.gitops-delivery-signals");
  ASSERT_NE(check, nullptr);
  Inputs in{c.stores(), kNow, {}};
  in.gitops = collectors::DeliverySignals{2, 2, 2};
  const Result r = check->Run(in);
  EXPECT_EQ(r.status, Status::kPassing);
  EXPECT_THAT(r.message, HasSubstr("0 of 1 workloads managed by GitOps"));
}

}  // namespace
}  // namespace kube9::assessment::testing
