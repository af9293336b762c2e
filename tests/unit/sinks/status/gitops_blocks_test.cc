#include "sinks/status/gitops_blocks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "sinks/status/gitops_applications.h"

namespace kube9::sinks {
namespace {

const base::WallTime kNow{std::chrono::milliseconds(1795774800123)};
const base::WallTime kChecked{std::chrono::milliseconds(1795774790456)};

gitops::GitOpsSnapshot Looked(bool argocd) {
  gitops::GitOpsSnapshot s;
  s.looked = true;
  s.last_checked = kChecked;
  s.argocd.detected = argocd;
  if (argocd) {
    s.argocd.ns = "argocd";
    s.argocd.version = "v2.13.1";
    s.argocd.api_versions = {"v1alpha1"};
  }
  return s;
}

rapidjson::Document Render(const StatusModel& model) {
  rapidjson::Document doc;
  doc.Parse(RenderStatusJson(model.Current(kNow)).c_str());
  EXPECT_FALSE(doc.HasParseError());
  return doc;
}

// §11: detected: false hides Argo CD in the extension with no fallback, so before the first
// completed look there is no block at all (the extension then looks for Argo CD itself).
TEST(GitOpsBlocksTest, NothingIsWrittenBeforeTheFirstCompletedLook) {
  gitops::GitOpsSnapshot never;
  never.last_error = "the API server is unreachable";
  const GitOpsBlocks blocks = BlocksFromDetection(never, std::nullopt);
  EXPECT_FALSE(blocks.argocd);
  EXPECT_FALSE(blocks.gitops);
  StatusModel model("ops", false);
  model.SetGitOps(blocks.argocd, blocks.gitops);
  const auto doc = Render(model);
  EXPECT_FALSE(doc.HasMember("argocd"));
  EXPECT_FALSE(doc.HasMember("gitops"));
}

TEST(GitOpsBlocksTest, NotDetectedIsExactlyTheFourFieldsWithNulls) {
  StatusModel model("ops", false);
  const GitOpsBlocks blocks = BlocksFromDetection(Looked(false), std::nullopt);
  model.SetGitOps(blocks.argocd, blocks.gitops);
  const std::string json = RenderStatusJson(model.Current(kNow));
  EXPECT_THAT(json, ::testing::HasSubstr("  \"argocd\": {\n"
                                         "    \"detected\": false,\n"
                                         "    \"namespace\": null,\n"
                                         "    \"version\": null,\n"
                                         "    \"lastChecked\": \"2026-11-27T10:19:50.456Z\"\n"
                                         "  }"));
}

TEST(GitOpsBlocksTest, DetectedCarriesTheProbeAnswer) {
  StatusModel model("ops", false);
  auto blocks = BlocksFromDetection(Looked(true), gitops::ResourceTreeProbe{true, std::nullopt});
  model.SetGitOps(blocks.argocd, blocks.gitops);
  const std::string json = RenderStatusJson(model.Current(kNow));
  EXPECT_THAT(json, ::testing::HasSubstr("  \"argocd\": {\n"
                                         "    \"detected\": true,\n"
                                         "    \"namespace\": \"argocd\",\n"
                                         "    \"version\": \"v2.13.1\",\n"
                                         "    \"lastChecked\": \"2026-11-27T10:19:50.456Z\",\n"
                                         "    \"resourceTreeCapable\": true,\n"
                                         "    \"resourceTreeLastError\": null\n"
                                         "  }"));

  blocks = BlocksFromDetection(
      Looked(true), gitops::ResourceTreeProbe{false, gitops::ArgoCdError{gitops::ArgoCdErrorCode::kTokenMissing,
                                                                         "no Argo CD token configured"}});
  model.SetGitOps(blocks.argocd, blocks.gitops);
  auto doc = Render(model);
  const auto& a = doc["argocd"];
  EXPECT_FALSE(a["resourceTreeCapable"].GetBool());
  EXPECT_STREQ(a["resourceTreeLastError"]["code"].GetString(), "ARGOCD_TOKEN_MISSING");
  EXPECT_STREQ(a["resourceTreeLastError"]["message"].GetString(), "no Argo CD token configured");
  EXPECT_EQ(a["resourceTreeLastError"].MemberCount(), 2u);
}

TEST(GitOpsBlocksTest, ArgoCdBlockComesAfterTheContractFieldsAndGitOpsLast) {
  StatusModel model("ops", true);
  model.SetRegistration(true, "cls_1", "");
  model.SetClusterHealth(ClusterHealth{});
  auto s = Looked(true);
  s.flux.detected = true;
  s.flux.groups = {{"kustomize.toolkit.fluxcd.io", {"v1", "v1beta2"}, "v1"}};
  const auto blocks = BlocksFromDetection(s, std::nullopt);
  model.SetGitOps(blocks.argocd, blocks.gitops);
  const auto doc = Render(model);
  std::vector<std::string> keys;
  for (const auto& m : doc.GetObject()) keys.emplace_back(m.name.GetString());
  const std::vector<std::string> tail(keys.end() - 4, keys.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"clusterId", "argocd", "clusterHealth", "gitops"}));
  EXPECT_FALSE(doc["argocd"]["resourceTreeCapable"].GetBool()) << "not probed yet: not capable";
  EXPECT_TRUE(doc["argocd"]["resourceTreeLastError"].IsNull());
  const auto& g = doc["gitops"];
  EXPECT_STREQ(g["lastChecked"].GetString(), "2026-11-27T10:19:50.456Z");
  EXPECT_TRUE(g["argocd"]["detected"].GetBool());
  EXPECT_TRUE(g["flux"]["detected"].GetBool());
  ASSERT_EQ(g["flux"]["groups"].Size(), 1u);
  EXPECT_STREQ(g["flux"]["groups"][0]["name"].GetString(), "kustomize.toolkit.fluxcd.io");
  EXPECT_EQ(g["flux"]["groups"][0]["versions"].Size(), 2u);
}

// The extension decides its Argo CD features on the block: a change is written at once, the
// passing of time (lastChecked) is not.
TEST(GitOpsBlocksTest, AChangeOfWhatIsDetectedIsWrittenAtOnce) {
  StatusModel model("ops", false);
  auto changes = model.Changes();
  auto set = [&](const gitops::GitOpsSnapshot& s, std::optional<gitops::ResourceTreeProbe> p) {
    const auto b = BlocksFromDetection(s, p);
    model.SetGitOps(b.argocd, b.gitops);
  };
  set(Looked(false), std::nullopt);
  EXPECT_EQ(model.Changes(), changes) << "the first look waits for the next periodic write";
  auto later = Looked(false);
  later.last_checked = kNow;
  set(later, std::nullopt);
  EXPECT_EQ(model.Changes(), changes) << "only lastChecked moved";
  set(Looked(true), gitops::ResourceTreeProbe{false, std::nullopt});
  EXPECT_GT(model.Changes(), changes) << "Argo CD installed";
  changes = model.Changes();
  set(Looked(true), gitops::ResourceTreeProbe{true, std::nullopt});
  EXPECT_GT(model.Changes(), changes) << "the resource tree became reachable";
}

TEST(GitOpsBlocksTest, ALongProbeMessageIsCappedAndTheStatusStaysSmall) {
  StatusModel model("ops", false);
  auto s = Looked(true);
  s.flux.detected = true;
  for (const char* name : {"kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"}) {
    s.flux.groups.push_back({name, std::vector<std::string>(50, "v1beta1000"), "v1"});
  }
  const auto b = BlocksFromDetection(
      s, gitops::ResourceTreeProbe{false,
                                   gitops::ArgoCdError{gitops::ArgoCdErrorCode::kInternal, std::string(5000, 'x')}});
  model.SetGitOps(b.argocd, b.gitops);
  const auto doc = Render(model);
  EXPECT_EQ(doc["argocd"]["resourceTreeLastError"]["message"].GetStringLength(), 500u);
  EXPECT_EQ(doc["gitops"]["flux"]["groups"][0]["versions"].Size(), 8u);
  EXPECT_LT(RenderStatusJson(model.Current(kNow)).size(), 4096u);
}

// --- the applications of each watched tool (the application collectors) ----------------------

using collectors::AppHealth;
using collectors::AppSync;
using collectors::GitOpsTool;

collectors::GitOpsSummary ArgoCdOnly() {
  collectors::GitOpsSummary s;
  auto& a = s.tools[static_cast<std::size_t>(GitOpsTool::kArgoCd)].emplace();
  a.total = 3;
  a.by_health[static_cast<std::size_t>(AppHealth::kHealthy)] = 2;
  a.by_health[static_cast<std::size_t>(AppHealth::kDegraded)] = 1;
  a.by_sync[static_cast<std::size_t>(AppSync::kSynced)] = 2;
  a.by_sync[static_cast<std::size_t>(AppSync::kOutOfSync)] = 1;
  a.reconcile_failing = 1;
  return s;
}

TEST(GitOpsApplicationsStatusTest, AWatchedToolCountsItsApplicationsByHealthAndSync) {
  StatusModel model("kube9-system", false);
  GitOpsStatus detected;
  detected.argocd_detected = true;
  detected.flux_detected = false;
  model.SetGitOps(std::nullopt, detected);
  const auto summary = ArgoCdOnly();
  model.SetGitOpsApplications(ApplicationCountsOf(summary, GitOpsTool::kArgoCd),
                              ApplicationCountsOf(summary, GitOpsTool::kFlux));
  auto doc = Render(model);
  ASSERT_TRUE(doc.HasMember("gitops"));
  const auto& argo = doc["gitops"]["argocd"];
  EXPECT_TRUE(argo["detected"].GetBool());
  EXPECT_EQ(argo["applications"].GetInt64(), 3);
  EXPECT_EQ(argo["byHealth"]["Healthy"].GetInt64(), 2);
  EXPECT_EQ(argo["byHealth"]["Degraded"].GetInt64(), 1);
  EXPECT_FALSE(argo["byHealth"].HasMember("Missing")) << "only states with applications";
  EXPECT_EQ(argo["bySync"]["OutOfSync"].GetInt64(), 1);
  EXPECT_EQ(argo["reconcileFailing"].GetInt64(), 1);
  EXPECT_FALSE(doc["gitops"]["flux"].HasMember("applications")) << "Flux is not watched: no count, not zero";
}

TEST(GitOpsApplicationsStatusTest, NoGitOpsBlockBeforeDetectionHasLookedEvenWithCounts) {
  StatusModel model("kube9-system", false);
  const auto summary = ArgoCdOnly();
  model.SetGitOpsApplications(ApplicationCountsOf(summary, GitOpsTool::kArgoCd), std::nullopt);
  EXPECT_FALSE(Render(model).HasMember("gitops"));
}

}  // namespace
}  // namespace kube9::sinks
