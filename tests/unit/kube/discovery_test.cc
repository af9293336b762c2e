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

}  // namespace
}  // namespace kube9::kube
