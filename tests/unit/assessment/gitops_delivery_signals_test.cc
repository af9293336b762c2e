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

}  // namespace
}  // namespace kube9::assessment::testing
