#include "sinks/status/gitops_applications.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace kube9::sinks {
namespace {

using collectors::AppHealth;
using collectors::AppSync;
using collectors::GitOpsTool;

const base::WallTime kNow{std::chrono::milliseconds(1795774800123)};

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

rapidjson::Document Render(const StatusModel& model) {
  rapidjson::Document doc;
  doc.Parse(RenderStatusJson(model.Current(kNow)).c_str());
  EXPECT_FALSE(doc.HasParseError());
  return doc;
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
