#include "gitops/detection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/client.h"
#include "testing/fake_transport.h"

namespace kube9::gitops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Apis(const std::vector<std::string>& groups) {
  std::string out =
      R"({"kind":"APIGroupList","groups":[{"name":"apps","versions":[{"version":"v1"}],"preferredVersion":{"version":"v1"}})";
  for (const auto& g : groups) out += "," + g;
  return out + "]}";
}
const std::string kArgoproj =
    R"({"name":"argoproj.io","versions":[{"version":"v1alpha1"}],"preferredVersion":{"version":"v1alpha1"}})";
const std::string kFluxKustomize =
    R"({"name":"kustomize.toolkit.fluxcd.io","versions":[{"version":"v1"},{"version":"v1beta2"}],"preferredVersion":{"version":"v1"}})";
const std::string kFluxHelm =
    R"({"name":"helm.toolkit.fluxcd.io","versions":[{"version":"v2"}],"preferredVersion":{"version":"v2"}})";
const std::string kApplications =
    R"({"kind":"APIResourceList","resources":[{"name":"applications"},{"name":"applications/status"},{"name":"appprojects"}]})";
// Argo Workflows shares the group: argoproj.io served without applications is not Argo CD.
const std::string kWorkflowsOnly = R"({"kind":"APIResourceList","resources":[{"name":"workflows"}]})";
const std::string kServerDeployment = R"({"kind":"DeploymentList","metadata":{"resourceVersion":"7"},"items":[
  {"metadata":{"name":"argocd-server","namespace":"gitops","labels":{"app.kubernetes.io/version":"v2.13.1"}},
   "spec":{"template":{"spec":{"containers":[{"name":"argocd-server","image":"quay.io/argoproj/argocd:v2.13.1"}]}}}}]})";
const std::string kNoDeployment = R"({"kind":"DeploymentList","metadata":{"resourceVersion":"7"},"items":[]})";

class DetectorTest : public ::testing::Test {
 protected:
  DetectorTest() {
    kube::ClusterAccess access;
    access.server = "https://127.0.0.1:6443";
    access.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{"tok3n", "", ""});
    client_ = std::make_unique<kube::Client>(access, transport_, clock_);
    discovery_ = std::make_unique<kube::ApiDiscovery>(*client_, clock_);
    detector_ = std::make_unique<Detector>(*discovery_, *client_, clock_, "gitops");
    detector_->OnChange([this](const GitOpsSnapshot& s) { changes_.push_back(s); });
  }
  testing::FakeTransport transport_;
  base::FakeClock clock_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::ApiDiscovery> discovery_;
  std::unique_ptr<Detector> detector_;
  std::vector<GitOpsSnapshot> changes_;
};

TEST_F(DetectorTest, NothingIsKnownBeforeTheFirstLook) {
  const auto s = detector_->Snapshot();
  EXPECT_FALSE(s.looked);
  EXPECT_EQ(s.generation, 0u);
}

TEST_F(DetectorTest, ArgoCdIsDetectedWhenApplicationsAreServedAndItsVersionComesFromTheServerDeployment) {
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(200, kApplications);
  transport_.Reply(200, kServerDeployment);
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  const auto s = detector_->Snapshot();
  EXPECT_TRUE(s.looked);
  EXPECT_EQ(s.last_checked, clock_.WallNow());
  EXPECT_TRUE(s.argocd.detected);
  EXPECT_EQ(s.argocd.ns, "gitops");
  EXPECT_EQ(s.argocd.version, "v2.13.1");
  EXPECT_THAT(s.argocd.api_versions, ElementsAre("v1alpha1"));
  EXPECT_FALSE(s.flux.detected);
  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].url, "https://127.0.0.1:6443/apis");
  EXPECT_EQ(requests[1].url, "https://127.0.0.1:6443/apis/argoproj.io/v1alpha1");
  // One Deployment by name through a LIST: the operator's existing grant, no GET.
  EXPECT_THAT(requests[2].url, HasSubstr("/apis/apps/v1/namespaces/gitops/deployments?limit=1"));
  EXPECT_THAT(requests[2].url, HasSubstr("fieldSelector=metadata.name%3Dargocd-server"));
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].generation, 1u);
}

TEST_F(DetectorTest, ArgoWorkflowsAloneIsNotArgoCd) {
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(200, kWorkflowsOnly);
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  const auto s = detector_->Snapshot();
  EXPECT_TRUE(s.looked);
  EXPECT_FALSE(s.argocd.detected);
  EXPECT_EQ(s.argocd.ns, "");
  EXPECT_EQ(transport_.requests().size(), 2u) << "no Deployment read without Argo CD";
}

TEST_F(DetectorTest, WithoutTheServerDeploymentArgoCdIsDetectedWithNoVersion) {
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(200, kApplications);
  transport_.Reply(200, kNoDeployment);
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  EXPECT_TRUE(detector_->Snapshot().argocd.detected);
  EXPECT_FALSE(detector_->Snapshot().argocd.version);
  // Nor does a refused LIST fail the look.
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(200, kApplications);
  transport_.Reply(403, R"({"kind":"Status","code":403,"reason":"Forbidden","message":"no"})");
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  EXPECT_TRUE(detector_->Snapshot().argocd.detected);
}

TEST_F(DetectorTest, FluxIsDetectedByItsToolkitGroupsWithTheirVersions) {
  transport_.Reply(200, Apis({kFluxHelm, kFluxKustomize}));
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  const auto s = detector_->Snapshot();
  EXPECT_TRUE(s.flux.detected);
  ASSERT_EQ(s.flux.groups.size(), 2u);
  EXPECT_EQ(s.flux.groups[0].name, "kustomize.toolkit.fluxcd.io");
  EXPECT_THAT(s.flux.groups[0].versions, ElementsAre("v1", "v1beta2"));
  EXPECT_EQ(s.flux.groups[1].name, "helm.toolkit.fluxcd.io");
  EXPECT_FALSE(s.argocd.detected);
}

// An API server that cannot be asked is not a cluster without Argo CD.
TEST_F(DetectorTest, AFailedLookKeepsWhatTheLastOneFound) {
  transport_.Reply(200, Apis({kArgoproj, kFluxHelm}));
  transport_.Reply(200, kApplications);
  transport_.Reply(200, kServerDeployment);
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  const auto checked = detector_->Snapshot().last_checked;
  clock_.Advance(std::chrono::minutes(3));
  transport_.Reply(503, R"({"kind":"Status","code":503,"message":"etcd down"})");
  ASSERT_FALSE(detector_->Refresh(nullptr).ok());
  auto s = detector_->Snapshot();
  EXPECT_TRUE(s.argocd.detected);
  EXPECT_TRUE(s.flux.detected);
  EXPECT_EQ(s.last_checked, checked) << "lastChecked is the last completed look";
  EXPECT_THAT(s.last_error, HasSubstr("etcd down"));
  // The group is there but its resources cannot be read: a failed look too.
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.FailTransport();
  ASSERT_FALSE(detector_->Refresh(nullptr).ok());
  EXPECT_TRUE(detector_->Snapshot().argocd.detected);
  EXPECT_EQ(changes_.size(), 1u);
}

TEST_F(DetectorTest, InstallAndRemovalChangeTheGenerationAndTellTheListeners) {
  transport_.Reply(200, Apis({}));
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  transport_.Reply(200, Apis({}));
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  EXPECT_EQ(detector_->Snapshot().generation, 1u) << "nothing changed";
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(200, kApplications);
  transport_.Reply(200, kServerDeployment);
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  EXPECT_EQ(detector_->Snapshot().generation, 2u);
  transport_.Reply(200, Apis({}));
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  const auto s = detector_->Snapshot();
  EXPECT_EQ(s.generation, 3u);
  EXPECT_FALSE(s.argocd.detected);
  ASSERT_EQ(changes_.size(), 3u);
  EXPECT_FALSE(changes_[0].argocd.detected);
  EXPECT_TRUE(changes_[1].argocd.detected);
  EXPECT_FALSE(changes_[2].argocd.detected);
}

TEST_F(DetectorTest, AVersionGoneBetweenTheTwoRequestsIsNotServed) {
  transport_.Reply(200, Apis({kArgoproj}));
  transport_.Reply(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");
  ASSERT_TRUE(detector_->Refresh(nullptr).ok());
  EXPECT_FALSE(detector_->Snapshot().argocd.detected);
}

rapidjson::Document Doc(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  return d;
}

TEST(ArgoCdVersionTest, TheLabelWinsThenTheServerContainersImageTag) {
  EXPECT_EQ(ArgoCdVersionFromDeployment(Doc(R"({"metadata":{"labels":{"app.kubernetes.io/version":"v2.9.3"}}})")),
            "v2.9.3");
  EXPECT_EQ(ArgoCdVersionFromDeployment(Doc(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","image":"envoy:1.2"},{"name":"argocd-server","image":"quay.io/argoproj/argocd:v2.13.1"}]}}}})")),
            "v2.13.1");
  EXPECT_EQ(ArgoCdVersionFromDeployment(Doc(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"server","image":"registry:5000/argocd:v3.0.0@sha256:abc"}]}}}})")),
            "v3.0.0")
      << "the first container when none is called argocd-server; a digest is not a version";
  EXPECT_FALSE(ArgoCdVersionFromDeployment(Doc(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"argocd-server","image":"registry:5000/argocd@sha256:abc"}]}}}})")));
  EXPECT_FALSE(ArgoCdVersionFromDeployment(Doc(R"({"metadata":{"labels":{"app.kubernetes.io/version":"v1 <b>"}}})")))
      << "not a version: left out rather than written into the status";
  EXPECT_FALSE(ArgoCdVersionFromDeployment(
      Doc(R"({"metadata":{"labels":{"app.kubernetes.io/version":")" + std::string(65, '1') + R"("}}})")));
  EXPECT_FALSE(ArgoCdVersionFromDeployment(Doc(R"({"spec":{"template":{"spec":{"containers":[]}}}})")));
  EXPECT_FALSE(ArgoCdVersionFromDeployment(Doc("[]")));
}

TEST(ArgoCdVersionTest, ImageTagIgnoresARegistryPort) {
  EXPECT_EQ(ImageTag("argocd:v2"), "v2");
  EXPECT_EQ(ImageTag("registry:5000/argoproj/argocd"), "");
  EXPECT_EQ(ImageTag("registry:5000/argoproj/argocd:latest"), "latest");
}

}  // namespace
}  // namespace kube9::gitops
