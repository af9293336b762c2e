#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/time_format.h"
#include "collectors/gitops_summary.h"
#include "collectors/resources/argocd_applications.h"
#include "collectors/resources/flux_helmreleases.h"
#include "collectors/resources/flux_kustomizations.h"
#include "exporter/gitops_metrics.h"
#include "exporter/text_format.h"

namespace kube9::collectors {
namespace {

using std::chrono::minutes;

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

base::WallTime At(const char* rfc3339) { return *base::ParseRfc3339(rfc3339); }

std::string ArgoApp(const std::string& uid, const std::string& status) {
  return R"({"metadata":{"name":"guestbook","namespace":"argocd","uid":")" + uid + R"("},"status":)" + status + "}";
}

std::string FluxObject(const std::string& uid, const std::string& ready, const std::string& extra = "",
                       int generation = 2, int observed = 2) {
  return R"({"metadata":{"name":"apps","namespace":"flux-system","uid":")" + uid + R"(","generation":)" +
         std::to_string(generation) + R"(},"status":{"observedGeneration":)" + std::to_string(observed) + extra +
         R"(,"conditions":[{"type":"Reconciling","status":"False"},)" + ready + "]}}";
}

std::string Ready(const char* status, const char* reason, const char* since = "2026-12-05T10:00:00Z") {
  return std::string(R"({"type":"Ready","status":")") + status + R"(","reason":")" + reason +
         R"(","lastTransitionTime":")" + since + R"("})";
}

TEST(ArgoCdApplicationTest, HealthSyncAndAFailedOperationAsArgoCdReportsThem) {
  auto doc = Parse(ArgoApp("a1", R"({"health":{"status":"Degraded","lastTransitionTime":"2026-12-05T09:00:00Z"},
      "sync":{"status":"OutOfSync","revision":"abc"},"reconciledAt":"2026-12-05T10:00:00Z",
      "operationState":{"phase":"Failed","finishedAt":"2026-12-05T09:59:00Z"}})"));
  auto app = ExtractArgoCdApplication(doc);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->ns, "argocd");
  EXPECT_EQ(app->health, AppHealth::kDegraded);
  EXPECT_EQ(app->sync, AppSync::kOutOfSync);
  EXPECT_TRUE(app->reconcile_failed);
  EXPECT_EQ(app->health_since, At("2026-12-05T09:00:00Z"));
  EXPECT_EQ(app->sync_since, std::nullopt) << "Argo CD records no sync transition time";
  EXPECT_NE(app->id, 0u);
}

TEST(ArgoCdApplicationTest, ErrorPhaseFailsAndASucceededOrRunningOneDoesNot) {
  for (const auto& [phase, failed] : std::vector<std::pair<std::string, bool>>{
           {"Error", true}, {"Succeeded", false}, {"Running", false}, {"Terminating", false}}) {
    auto doc = Parse(ArgoApp("a1", R"({"operationState":{"phase":")" + phase + R"("}})"));
    EXPECT_EQ(ExtractArgoCdApplication(doc)->reconcile_failed, failed) << phase;
  }
}

TEST(ArgoCdApplicationTest, NoStatusOrAnUnknownWordIsUnknownAndNoMetadataIsSkipped) {
  auto fresh = Parse(R"({"metadata":{"name":"new","namespace":"team-a","uid":"u"}})");
  auto app = ExtractArgoCdApplication(fresh);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->health, AppHealth::kUnknown);
  EXPECT_EQ(app->sync, AppSync::kUnknown);
  EXPECT_FALSE(app->reconcile_failed);
  auto odd = Parse(ArgoApp("a2", R"({"health":{"status":"Exploded"},"sync":{"status":42}})"));
  EXPECT_EQ(ExtractArgoCdApplication(odd)->health, AppHealth::kUnknown);
  EXPECT_EQ(ExtractArgoCdApplication(odd)->sync, AppSync::kUnknown);
  for (const char* name : {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}) {
    EXPECT_EQ(AppHealthName(AppHealthFromName(name)), name);
  }
  auto none = Parse(R"({"kind":"Application"})");
  EXPECT_EQ(ExtractArgoCdApplication(none), std::nullopt);
}

TEST(FluxObjectTest, ReadyTrueIsHealthyAndSyncedAtTheAppliedRevision) {
  auto doc = Parse(FluxObject("k1", Ready("True", "ReconciliationSucceeded"),
                              R"(,"lastAppliedRevision":"main@sha1:abc","lastAttemptedRevision":"main@sha1:abc")"));
  auto k = kFluxKustomizations.extract(doc);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->ns, "flux-system");
  EXPECT_EQ(k->health, AppHealth::kHealthy);
  EXPECT_EQ(k->sync, AppSync::kSynced);
  EXPECT_FALSE(k->reconcile_failed);
  EXPECT_EQ(k->health_since, At("2026-12-05T10:00:00Z"));
}

TEST(FluxObjectTest, ReadyFalseWithAFailureReasonIsDegradedOutOfSyncAndFailing) {
  auto doc = Parse(FluxObject("k1", Ready("False", "BuildFailed"),
                              R"(,"lastAppliedRevision":"main@sha1:abc","lastAttemptedRevision":"main@sha1:def")"));
  auto k = kFluxKustomizations.extract(doc);
  EXPECT_EQ(k->health, AppHealth::kDegraded);
  EXPECT_EQ(k->sync, AppSync::kOutOfSync);
  EXPECT_TRUE(k->reconcile_failed);
  auto upgrade = Parse(FluxObject("h1", Ready("False", "UpgradeFailed")));
  EXPECT_TRUE(kFluxHelmReleases.extract(upgrade)->reconcile_failed);
}

TEST(FluxObjectTest, WaitingForADependencyIsDegradedButNotAFailedReconciliation) {
  auto doc = Parse(FluxObject("h1", Ready("False", "DependencyNotReady")));
  auto h = kFluxHelmReleases.extract(doc);
  EXPECT_EQ(h->health, AppHealth::kDegraded);
  EXPECT_FALSE(h->reconcile_failed);
}

TEST(FluxObjectTest, ReconcilingIsProgressingWithSyncUnknown) {
  auto unknown = Parse(FluxObject("k1", Ready("Unknown", "Progressing")));
  EXPECT_EQ(kFluxKustomizations.extract(unknown)->health, AppHealth::kProgressing);
  EXPECT_EQ(kFluxKustomizations.extract(unknown)->sync, AppSync::kUnknown);
  // Ready True for an older spec: the new one is not applied yet.
  auto stale = Parse(FluxObject("k1", Ready("True", "ReconciliationSucceeded"), "", 3, 2));
  EXPECT_EQ(kFluxKustomizations.extract(stale)->sync, AppSync::kUnknown);
  auto bare = Parse(R"({"metadata":{"name":"x","namespace":"y","uid":"z"}})");
  EXPECT_EQ(kFluxHelmReleases.extract(bare)->health, AppHealth::kProgressing);
}

// A store filled with records as the collectors would.
std::shared_ptr<Store<ApplicationInfo>> StoreOf(const Resource<ApplicationInfo>& r,
                                                const std::vector<std::string>& objects) {
  auto store = std::make_shared<Store<ApplicationInfo>>(r.extract);
  store->OnSyncStart();
  for (const auto& o : objects) store->OnListed(Parse(o));
  store->OnSynced();
  return store;
}

TEST(GitOpsSummaryTest, CountsByToolNamespaceHealthAndSyncAndNothingForAToolNotWatched) {
  auto argo =
      StoreOf(kArgoCdApplications, {ArgoApp("a1", R"({"health":{"status":"Healthy"},"sync":{"status":"Synced"}})"),
                                    ArgoApp("a2", R"({"health":{"status":"Healthy"},"sync":{"status":"Synced"}})"),
                                    ArgoApp("a3", R"({"health":{"status":"Degraded"},"sync":{"status":"OutOfSync"},
                                        "operationState":{"phase":"Failed"}})")});
  GitOpsSummarizer summarizer;
  const auto now = At("2026-12-05T10:00:00Z");
  GitOpsSummary s = summarizer.Summarize({{GitOpsTool::kArgoCd, argo}, {GitOpsTool::kFlux, nullptr}}, now);
  ASSERT_TRUE(s.tool(GitOpsTool::kArgoCd));
  EXPECT_FALSE(s.tool(GitOpsTool::kFlux)) << "not watched is not zero applications";
  const ToolApplications& a = *s.tool(GitOpsTool::kArgoCd);
  EXPECT_EQ(a.total, 3);
  EXPECT_EQ(a.by_health[static_cast<std::size_t>(AppHealth::kHealthy)], 2);
  EXPECT_EQ(a.by_sync[static_cast<std::size_t>(AppSync::kOutOfSync)], 1);
  EXPECT_EQ(a.reconcile_failing, 1);
  const NamespaceApplications& ns = a.namespaces.at("argocd");
  EXPECT_EQ(
      ns.by_health_sync[static_cast<std::size_t>(AppHealth::kHealthy)][static_cast<std::size_t>(AppSync::kSynced)], 2);
  auto signals = ReadDeliverySignals(s);
  ASSERT_TRUE(signals);
  EXPECT_EQ(signals->applications, 3);
  EXPECT_EQ(signals->healthy, 2);
  EXPECT_EQ(signals->synced, 2);
  EXPECT_EQ(ReadDeliverySignals(GitOpsSummary{}), std::nullopt);
}

TEST(GitOpsSummaryTest, AStateWithoutATransitionTimeAgesFromWhenItWasFirstSeenAndStartsOverWhenItChanges) {
  GitOpsSummarizer summarizer;
  auto t0 = At("2026-12-05T10:00:00Z");
  auto degraded = StoreOf(kArgoCdApplications,
                          {ArgoApp("a1", R"({"health":{"status":"Degraded"},"sync":{"status":"OutOfSync"}})")});
  auto summarize = [&](auto store, base::WallTime at) {
    return summarizer.Summarize({{GitOpsTool::kArgoCd, store}}, at).tool(GitOpsTool::kArgoCd)->namespaces.at("argocd");
  };
  const auto deg = static_cast<std::size_t>(AppHealth::kDegraded);
  EXPECT_EQ(summarize(degraded, t0).unhealthy_for[deg], (AgeCounts{0, 0, 0, 0}));
  EXPECT_EQ(summarize(degraded, t0 + minutes(16)).unhealthy_for[deg], (AgeCounts{1, 1, 0, 0}));
  auto at31 = summarize(degraded, t0 + minutes(31));
  EXPECT_EQ(at31.out_of_sync_for, (AgeCounts{1, 1, 1, 0}));
  // Degraded -> Progressing: a new state starts at zero.
  auto progressing = StoreOf(kArgoCdApplications,
                             {ArgoApp("a1", R"({"health":{"status":"Progressing"},"sync":{"status":"OutOfSync"}})")});
  auto later = summarize(progressing, t0 + minutes(32));
  EXPECT_EQ(later.unhealthy_for[static_cast<std::size_t>(AppHealth::kProgressing)], (AgeCounts{0, 0, 0, 0}));
  EXPECT_EQ(later.unhealthy_for[deg], (AgeCounts{0, 0, 0, 0}));
  EXPECT_EQ(later.out_of_sync_for, (AgeCounts{1, 1, 1, 0})) << "still out of sync since t0";
}

TEST(GitOpsSummaryTest, TheObjectsOwnTransitionTimeWinsSoARestartDoesNotResetTheAge) {
  GitOpsSummarizer summarizer;
  auto flux =
      StoreOf(kFluxKustomizations, {FluxObject("k1", Ready("False", "HealthCheckFailed", "2026-12-05T08:00:00Z"))});
  auto s = summarizer.Summarize({{GitOpsTool::kFlux, flux}}, At("2026-12-05T10:00:00Z"));
  const auto& ns = s.tool(GitOpsTool::kFlux)->namespaces.at("flux-system");
  EXPECT_EQ(ns.unhealthy_for[static_cast<std::size_t>(AppHealth::kDegraded)], (AgeCounts{1, 1, 1, 1}));
  EXPECT_EQ(ns.out_of_sync_for, (AgeCounts{1, 1, 1, 1}));
  EXPECT_EQ(ns.reconcile_failing, 1);
}

TEST(GitOpsSummaryTest, KustomizationsAndHelmReleasesAreBothFlux) {
  GitOpsSummarizer summarizer;
  auto ks = StoreOf(kFluxKustomizations, {FluxObject("k1", Ready("True", "ReconciliationSucceeded"))});
  auto hr = StoreOf(kFluxHelmReleases, {FluxObject("h1", Ready("True", "UpgradeSucceeded"))});
  auto s = summarizer.Summarize({{GitOpsTool::kFlux, ks}, {GitOpsTool::kFlux, hr}}, At("2026-12-05T10:00:00Z"));
  EXPECT_EQ(s.tool(GitOpsTool::kFlux)->total, 2);
}

TEST(GitOpsMetricsTest, CountsPerStateThresholdsForStatesPresentAndNoFamilyForAToolNotWatched) {
  GitOpsSummarizer summarizer;
  auto argo = StoreOf(kArgoCdApplications,
                      {ArgoApp("a1", R"({"health":{"status":"Healthy"},"sync":{"status":"Synced"}})"),
                       ArgoApp("a2", R"({"health":{"status":"Degraded","lastTransitionTime":"2026-12-05T09:40:00Z"},
                                        "sync":{"status":"OutOfSync"},"operationState":{"phase":"Error"}})")});
  std::string text;
  exporter::AppendTextFormat(
      exporter::GitOpsMetrics::Render(summarizer.Summarize({{GitOpsTool::kArgoCd, argo}}, At("2026-12-05T10:00:00Z"))),
      text);
  EXPECT_THAT(text,
              ::testing::HasSubstr(
                  R"(kube9_gitops_applications{tool="argocd",namespace="argocd",health="Healthy",sync="Synced"} 1)"));
  EXPECT_THAT(
      text, ::testing::HasSubstr(
                R"(kube9_gitops_applications{tool="argocd",namespace="argocd",health="Degraded",sync="OutOfSync"} 1)"));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr(R"(health="Healthy",sync="OutOfSync")")))
      << "no zero combinations";
  EXPECT_THAT(
      text,
      ::testing::HasSubstr(
          R"(kube9_gitops_applications_unhealthy{tool="argocd",namespace="argocd",health="Degraded",for="15m"} 1)"));
  EXPECT_THAT(
      text,
      ::testing::HasSubstr(
          R"(kube9_gitops_applications_unhealthy{tool="argocd",namespace="argocd",health="Degraded",for="30m"} 0)"));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr(R"(health="Healthy",for=)"))) << "Healthy is not unhealthy";
  EXPECT_THAT(text, ::testing::HasSubstr(
                        R"(kube9_gitops_applications_out_of_sync{tool="argocd",namespace="argocd",for="5m"} 0)"));
  EXPECT_THAT(
      text, ::testing::HasSubstr(R"(kube9_gitops_applications_reconcile_failing{tool="argocd",namespace="argocd"} 1)"));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr(R"(tool="flux")")));
  EXPECT_TRUE(exporter::GitOpsMetrics::Render(GitOpsSummary{}).empty()) << "no tool watched: no family";
}

}  // namespace
}  // namespace kube9::collectors
