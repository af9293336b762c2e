#include "assessment/checks/hpa_configuration_sanity.h"

#include "collectors/extract.h"
#include "collectors/resources/horizontal_pod_autoscalers.h"
#include "data_check_fixture.h"

namespace kube9::assessment {
namespace {

using collectors::kDeployments;
using collectors::kHorizontalPodAutoscalers;
using ::testing::HasSubstr;

class HpaConfigurationSanityTest : public DataCheckTest {
 protected:
  static std::string Hpa(const std::string& name, const std::string& target, int min, int max, bool metrics = true) {
    return Object("a", name,
                  R"("spec":{"scaleTargetRef":{"kind":"Deployment","name":")" + target + R"("},"minReplicas":)" +
                      std::to_string(min) + R"(,"maxReplicas":)" + std::to_string(max) +
                      (metrics ? R"(,"metrics":[{"type":"Resource","resource":{"name":"cpu"}}])" : "") + "}");
  }
};

TEST_F(HpaConfigurationSanityTest, SkippedWithoutHpas) {
  EXPECT_EQ(Run(HpaConfigurationSanity()).status, Status::kSkipped);
  EXPECT_EQ(HpaConfigurationSanity().info().id, "performance-efficiency.hpa-configuration-sanity");
}

TEST_F(HpaConfigurationSanityTest, EachMisconfiguration) {
  Add(kDeployments, {Object("a", "web"), Object("a", "api")});
  Add(kHorizontalPodAutoscalers, {Hpa("web", "web", 2, 10)});
  EXPECT_EQ(Run(HpaConfigurationSanity()).status, Status::kPassing);

  Add(kHorizontalPodAutoscalers, {Hpa("fixed", "api", 3, 3), Hpa("blind", "api", 1, 3, false)});
  Result r = Run(HpaConfigurationSanity());
  EXPECT_EQ(r.status, Status::kWarning) << r.message;
  EXPECT_THAT(r.message, HasSubstr("1 have minReplicas equal to maxReplicas (never scale) (e.g. a/fixed)"));
  EXPECT_THAT(r.message, HasSubstr("1 have no metrics (e.g. a/blind)"));

  Add(kHorizontalPodAutoscalers, {Hpa("inverted", "web", 5, 2), Hpa("orphan", "gone", 1, 3)});
  r = Run(HpaConfigurationSanity());
  EXPECT_EQ(r.status, Status::kFailing) << r.message;
  EXPECT_THAT(r.message, HasSubstr("of 5 HorizontalPodAutoscalers"));
  EXPECT_THAT(r.message, HasSubstr("1 have minReplicas above maxReplicas (e.g. a/inverted)"));
  EXPECT_THAT(r.message, HasSubstr("1 target a missing workload (e.g. a/orphan)"));
}

TEST_F(HpaConfigurationSanityTest, TargetsAreNotJudgedMissingWhenTheirCollectorIsOff) {
  Add(kHorizontalPodAutoscalers, {Hpa("web", "web", 1, 3)});
  EXPECT_EQ(Run(HpaConfigurationSanity()).status, Status::kPassing);
}

}  // namespace
}  // namespace kube9::assessment
