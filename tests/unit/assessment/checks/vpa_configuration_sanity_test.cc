#include "assessment/checks/vpa_configuration_sanity.h"

#include "collectors/extract.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"
#include "collectors/resources/vertical_pod_autoscalers.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kDeployments;
using collectors::kHorizontalPodAutoscalers;
using collectors::kVerticalPodAutoscalers;
using ::testing::HasSubstr;

class VpaConfigurationSanityTest : public DataCheckTest {
 protected:
  static std::string Vpa(const std::string& name, const std::string& target, const std::string& extra = "") {
    return Object("a", name, R"("spec":{"targetRef":{"kind":"Deployment","name":")" + target + R"("})" + extra + "}");
  }
};

TEST_F(VpaConfigurationSanityTest, SkippedWhenTheApiIsNotServed) {
  EXPECT_EQ(Run(VpaConfigurationSanity()).status, Status::kSkipped) << "no discovery";
  Serve({"apps"});
  const Result r = Run(VpaConfigurationSanity());
  EXPECT_EQ(r.status, Status::kSkipped);
  EXPECT_THAT(r.message, HasSubstr("VPA API not served"));
  Serve({"autoscaling.k8s.io"});
  EXPECT_THAT(Run(VpaConfigurationSanity()).message, HasSubstr("verticalpodautoscalers")) << "served, collector off";
}

TEST_F(VpaConfigurationSanityTest, EachMisconfiguration) {
  Serve({"autoscaling.k8s.io"});
  Add(kDeployments, {Object("a", "web"), Object("a", "api")});
  Add(kVerticalPodAutoscalers, {Vpa("web", "web")});
  EXPECT_EQ(Run(VpaConfigurationSanity()).status, Status::kPassing);

  Add(kHorizontalPodAutoscalers, {Object("a", "web", R"("spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},
      "maxReplicas":4,"metrics":[{"type":"Resource","resource":{"name":"cpu"}}]})")});
  Result r = Run(VpaConfigurationSanity());
  EXPECT_EQ(r.status, Status::kWarning) << r.message;
  EXPECT_THAT(r.message, HasSubstr("1 update pods an HPA also scales on CPU or memory (e.g. a/web)"));

  Add(kVerticalPodAutoscalers,
      {Object("a", "untargeted", R"("spec":{})"), Vpa("orphan", "gone"),
       Vpa("inverted", "api",
           R"(,"resourcePolicy":{"containerPolicies":[{"minAllowed":{"memory":"2Gi"},"maxAllowed":{"memory":"1Gi"}}]})"),
       Vpa("recommend-only", "web", R"(,"updatePolicy":{"updateMode":"Off"})")});
  r = Run(VpaConfigurationSanity());
  EXPECT_EQ(r.status, Status::kFailing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("of 5 VerticalPodAutoscalers"));
  EXPECT_THAT(r.message, HasSubstr("1 have no targetRef (e.g. a/untargeted)"));
  EXPECT_THAT(r.message, HasSubstr("1 target a missing workload (e.g. a/orphan)"));
  EXPECT_THAT(r.message, HasSubstr("1 have minAllowed above maxAllowed (e.g. a/inverted)"));
  EXPECT_THAT(r.message, HasSubstr("1 update pods")) << "Off mode does not fight the HPA";
}

}  // namespace
}  // namespace kube9::assessment
