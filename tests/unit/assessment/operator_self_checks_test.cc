#include <gmock/gmock.h>

#include "fixture.h"

namespace kube9::assessment::testing {
namespace {

using ::testing::HasSubstr;

// The checks of the operator's own Deployment (operational-excellence), over the chart's
// shape of it.
constexpr std::string_view kOperatorLabels = R"(,"labels":{"app.kubernetes.io/name":"kube9-operator"})";
const std::string kChartPodSpec =
    R"("serviceAccountName":"kube9-operator","containers":[{"name":"operator","args":["--log.level=info"],)"
    R"("env":[{"name":"POD_NAMESPACE","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}}],)"
    R"("ports":[{"name":"http","containerPort":8080}],"livenessProbe":{},"readinessProbe":{}}])";

constexpr std::string_view kOperatorChecks[] = {
    "operational-excellence.kube9-operator-health-probes", "operational-excellence.metrics-exposure",
    "operational-excellence.logging-configuration", "operational-excellence.audit-signals",
    "operational-excellence.deployment-strategy"};

TEST(OperatorSelfChecks, PassOnTheChartsDeployment) {
  Cluster c;
  c.Deployment("kube9-system", "kube9-operator", 1, kChartPodSpec, R"(,"strategy":{"type":"Recreate"})",
               kOperatorLabels);
  for (auto id : kOperatorChecks) EXPECT_EQ(c.Run(id).status, Status::kPassing) << id << ": " << c.Run(id).message;
}

TEST(OperatorSelfChecks, SkippedWithoutTheOperatorsDeployment) {
  Cluster c;
  c.Deployment("shop", "api", 2, Containers(kGoodContainer));
  for (auto id : kOperatorChecks) EXPECT_EQ(c.Run(id).status, Status::kSkipped) << id;
}

TEST(OperatorSelfChecks, FailOrWarnOnABadlyConfiguredOperator) {
  Cluster c;
  c.Deployment("ops", "k9", 2, R"("containers":[{"name":"operator","env":[{"name":"LOG_LEVEL","value":"debug"}]}])", "",
               kOperatorLabels);
  EXPECT_EQ(c.Run("operational-excellence.kube9-operator-health-probes").status, Status::kFailing);
  EXPECT_EQ(c.Run("operational-excellence.metrics-exposure").status, Status::kFailing);
  EXPECT_EQ(c.Run("operational-excellence.logging-configuration").status, Status::kWarning);
  EXPECT_EQ(c.Run("operational-excellence.audit-signals").status, Status::kFailing);
  Result r = c.Run("operational-excellence.deployment-strategy");
  EXPECT_EQ(r.status, Status::kFailing);
  EXPECT_THAT(r.message, HasSubstr("ops/k9"));
}

TEST(OperatorSelfChecks, TheRunningOperatorsOwnFactsWarn) {
  Cluster c;
  c.Deployment("kube9-system", "kube9-operator", 1, kChartPodSpec, R"(,"strategy":{"type":"Recreate"})",
               kOperatorLabels);
  EXPECT_EQ(c.Run("operational-excellence.logging-configuration", SelfFacts{true, true, "logfmt"}).status,
            Status::kWarning);
  EXPECT_EQ(c.Run("operational-excellence.metrics-exposure", SelfFacts{false, true, "json"}).status, Status::kWarning);
}

}  // namespace
}  // namespace kube9::assessment::testing
