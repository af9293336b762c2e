#include "kube/discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/client.h"
#include "testing/fake_transport.h"

namespace kube9::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// GET /apis as kube-apiserver 1.34 answers it (abridged), with Argo CD and Flux installed.
constexpr const char* kApis = R"({
  "kind": "APIGroupList", "apiVersion": "v1",
  "groups": [
    {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
     "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
    {"name": "argoproj.io", "versions": [{"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}],
     "preferredVersion": {"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}},
    {"name": "kustomize.toolkit.fluxcd.io",
     "versions": [{"groupVersion": "kustomize.toolkit.fluxcd.io/v1", "version": "v1"},
                  {"groupVersion": "kustomize.toolkit.fluxcd.io/v1beta2", "version": "v1beta2"}],
     "preferredVersion": {"groupVersion": "kustomize.toolkit.fluxcd.io/v1", "version": "v1"}},
    {"versions": []}
  ]
})";

constexpr const char* kArgoprojV1alpha1 = R"({
  "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "argoproj.io/v1alpha1",
  "resources": [
    {"name": "applications", "singularName": "application", "namespaced": true, "kind": "Application",
     "verbs": ["delete", "get", "list", "watch"], "shortNames": ["app", "apps"]},
    {"name": "applications/status", "singularName": "", "namespaced": true, "kind": "Application", "verbs": ["get"]},
    {"name": "appprojects", "namespaced": true, "kind": "AppProject", "verbs": ["get"]}
  ]
})";

TEST(DiscoveryTest, GroupListGivesEachNamedGroupWithItsVersions) {
  auto groups = ParseApiGroupList(kApis);
  ASSERT_TRUE(groups.ok()) << groups.error();
  ASSERT_EQ(groups->size(), 3u) << "a group without a name is skipped";
  EXPECT_EQ((*groups)[1].name, "argoproj.io");
  EXPECT_THAT((*groups)[1].versions, ElementsAre("v1alpha1"));
  EXPECT_EQ((*groups)[2].name, "kustomize.toolkit.fluxcd.io");
  EXPECT_THAT((*groups)[2].versions, ElementsAre("v1", "v1beta2"));
  EXPECT_EQ((*groups)[2].preferred_version, "v1");
}

TEST(DiscoveryTest, ResourceListGivesPluralsWithoutSubresources) {
  auto resources = ParseApiResourceList(kArgoprojV1alpha1);
  ASSERT_TRUE(resources.ok()) << resources.error();
  EXPECT_THAT(*resources, ElementsAre("applications", "appprojects"));
}

TEST(DiscoveryTest, AnEmptyListMayComeWithoutItsArray) {
  EXPECT_TRUE(ParseApiGroupList(R"({"kind":"APIGroupList"})")->empty());
  EXPECT_TRUE(ParseApiResourceList(R"({"kind":"APIResourceList","resources":null})")->empty());
}

TEST(DiscoveryTest, WhatIsNotADiscoveryDocumentIsAnError) {
  EXPECT_THAT(ParseApiGroupList("[]").error(), HasSubstr("is not a JSON object"));
  EXPECT_THAT(ParseApiGroupList(R"({"groups":{}})").error(), HasSubstr("\"groups\" that is not an array"));
  EXPECT_THAT(ParseApiResourceList("{").error(), HasSubstr("is not valid JSON"));
  EXPECT_THAT(ParseApiResourceList(std::string(40, '[')).error(), HasSubstr("nests deeper than 16"));
  // Entries of the wrong shape are skipped, not trusted.
  auto odd = ParseApiGroupList(R"({"groups":[1, {"name": 5}, {"name": "x", "versions": [1, {"version": 2}]}]})");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_TRUE((*odd)[0].versions.empty());
}

TEST(DiscoveryTest, RequestsGoToTheDiscoveryPathsAndBadRepliesAreDecodeErrors) {
  testing::FakeTransport transport;
  base::FakeClock clock;
  ClusterAccess access;
  access.server = "https://127.0.0.1:6443";
  access.credentials = std::make_shared<StaticCredentials>(Credential{"tok3n", "", ""});
  Client client(access, transport, clock);
  transport.Reply(200, kApis);
  transport.Reply(200, kArgoprojV1alpha1);
  transport.Reply(200, "not json");
  transport.Reply(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");
  ASSERT_TRUE(ServedGroups(client, nullptr).ok());
  ASSERT_TRUE(ServedResources(client, "argoproj.io", "v1alpha1", nullptr).ok());
  auto bad = ServedGroups(client, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kDecode);
  EXPECT_THAT(bad.error().message, HasSubstr("/apis is not valid JSON"));
  auto gone = ServedResources(client, "argoproj.io", "v1alpha1", nullptr);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].url, "https://127.0.0.1:6443/apis");
  EXPECT_EQ(requests[1].url, "https://127.0.0.1:6443/apis/argoproj.io/v1alpha1");
  EXPECT_EQ(requests[0].max_response_bytes, kDiscoveryJson.max_bytes);
}

class ApiDiscoveryTest : public ::testing::Test {
 protected:
  ApiDiscoveryTest() {
    ClusterAccess access;
    access.server = "https://127.0.0.1:6443";
    access.credentials = std::make_shared<StaticCredentials>(Credential{"tok3n", "", ""});
    client_ = std::make_unique<Client>(access, transport_, clock_);
    discovery_ = std::make_unique<ApiDiscovery>(*client_, clock_);
    discovery_->ListResourcesOf("argoproj.io");
    discovery_->OnChange([this](const DiscoverySnapshot& s) { changes_.push_back(s); });
  }
  testing::FakeTransport transport_;
  base::FakeClock clock_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<ApiDiscovery> discovery_;
  std::vector<DiscoverySnapshot> changes_;
};

TEST_F(ApiDiscoveryTest, ListsResourcesOnlyOfTheGroupsAskedForAndTellsListenersOfChangesOnly) {
  EXPECT_FALSE(discovery_->Snapshot().looked) << "nothing known before the first discovery";
  transport_.Reply(200, kApis);
  transport_.Reply(200, kArgoprojV1alpha1);
  ASSERT_TRUE(discovery_->Refresh(nullptr).ok());
  DiscoverySnapshot s = discovery_->Snapshot();
  EXPECT_TRUE(s.looked);
  EXPECT_EQ(s.last_checked, clock_.WallNow());
  EXPECT_TRUE(s.ServesGroupVersion("kustomize.toolkit.fluxcd.io", "v1beta2"));
  EXPECT_FALSE(s.ServesGroupVersion("kustomize.toolkit.fluxcd.io", "v2"));
  EXPECT_TRUE(s.ServesResource("argoproj.io", "v1alpha1", "applications"));
  EXPECT_FALSE(s.ServesResource("argoproj.io", "v1alpha1", "applications/status"));
  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u) << "flux's groups are not listed: their group/version says enough";
  EXPECT_EQ(requests[1].url, "https://127.0.0.1:6443/apis/argoproj.io/v1alpha1");
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].generation, 1u);

  clock_.Advance(std::chrono::minutes(3));
  transport_.Reply(200, kApis);
  transport_.Reply(200, kArgoprojV1alpha1);
  ASSERT_TRUE(discovery_->Refresh(nullptr).ok());
  EXPECT_EQ(changes_.size(), 1u) << "the same again is no change";
  EXPECT_EQ(discovery_->Snapshot().generation, 1u);
  EXPECT_EQ(discovery_->Snapshot().last_checked, clock_.WallNow());

  // VPA installed: a group appears.
  std::string with_vpa = kApis;
  with_vpa.insert(with_vpa.find("{\"versions\": []}"),
                  R"({"name": "autoscaling.k8s.io", "versions": [{"version": "v1"}], "preferredVersion": {"version": "v1"}},)");
  transport_.Reply(200, with_vpa);
  transport_.Reply(200, kArgoprojV1alpha1);
  ASSERT_TRUE(discovery_->Refresh(nullptr).ok());
  ASSERT_EQ(changes_.size(), 2u);
  EXPECT_EQ(changes_[1].generation, 2u);
  EXPECT_TRUE(changes_[1].ServesGroupVersion("autoscaling.k8s.io", "v1"));
}

TEST_F(ApiDiscoveryTest, AFailedDiscoveryKeepsWhatTheLastOneFoundAndAVersionGoneMeanwhileIsNotServed) {
  transport_.Reply(200, kApis);
  transport_.Reply(200, kArgoprojV1alpha1);
  ASSERT_TRUE(discovery_->Refresh(nullptr).ok());
  transport_.Reply(503, R"({"kind":"Status","code":503})");
  ASSERT_FALSE(discovery_->Refresh(nullptr).ok());
  DiscoverySnapshot s = discovery_->Snapshot();
  EXPECT_TRUE(s.ServesResource("argoproj.io", "v1alpha1", "applications")) << "an outage is not a removal";
  EXPECT_FALSE(s.last_error.empty());
  EXPECT_EQ(changes_.size(), 1u);

  transport_.Reply(200, kApis);
  transport_.Reply(404, R"({"kind":"Status","code":404,"reason":"NotFound"})");  // the CRD being deleted
  ASSERT_TRUE(discovery_->Refresh(nullptr).ok());
  s = discovery_->Snapshot();
  EXPECT_TRUE(s.last_error.empty());
  EXPECT_FALSE(s.ServesResource("argoproj.io", "v1alpha1", "applications"));
  EXPECT_EQ(changes_.size(), 2u);
}

}  // namespace
}  // namespace kube9::kube
