#include "sinks/status/status_report.h"

#include <tuple>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "base/text.h"
#include "base/time_format.h"
#include "base/version.h"

namespace kube9::sinks {
namespace {
constexpr std::size_t kMaxError = 500;
// The status stays small (§2: 64 KiB with every block): a group serves a handful of versions.
constexpr std::size_t kMaxGroupVersions = 8;
}  // namespace

std::string RenderStatusJson(const StatusReport& r) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  auto key = [&w](const char* k) { w.Key(k); };
  // Well-formed UTF-8 whatever the fields hold (the error and clusterId quote servers): JSON is UTF-8.
  auto str = [&w](const std::string& s) {
    const std::string text = base::SanitizeUtf8(s);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  key("mode");
  str(r.mode);
  key("tier");
  str(r.tier);
  key("version");
  str(r.version);
  key("health");
  str(r.health);
  key("lastUpdate");
  str(base::FormatRfc3339Millis(r.last_update));
  key("registered");
  w.Bool(r.registered);
  key("apiKeyConfigured");
  w.Bool(r.api_key_configured);
  key("error");
  if (r.error)
    str(base::TruncateUtf8(base::SanitizeUtf8(*r.error), kMaxError));
  else
    w.Null();
  key("namespace");
  str(r.ns);
  key("collectionStats");
  w.StartObject();
  key("totalSuccessCount");
  w.Uint64(r.stats.total_success);
  key("totalFailureCount");
  w.Uint64(r.stats.total_failure);
  key("collectionsStoredCount");
  w.Uint64(r.stats.stored);
  key("lastSuccessTime");
  if (r.stats.last_success)
    str(base::FormatRfc3339Millis(*r.stats.last_success));
  else
    w.Null();
  w.EndObject();
  if (r.cluster_id) {
    key("clusterId");
    str(*r.cluster_id);
  }
  if (r.assessment) {
    const AssessmentBlock& a = *r.assessment;
    auto bounded = [&](const std::string& text, std::size_t max) {
      str(base::TruncateUtf8(base::SanitizeUtf8(text), max));
    };
    key("assessment");
    w.StartObject();
    key("lastScheduledCompletedAt");
    if (a.completed_at) str(base::FormatRfc3339Millis(*a.completed_at));
    else w.Null();
    key("lastScheduledOutcome"); str(a.outcome);
    key("lastScheduledRunState");
    if (a.run_state) str(*a.run_state);
    else w.Null();
    key("lastScheduledRunId");
    if (a.run_id) str(*a.run_id);
    else w.Null();
    key("lastScheduledTotals");
    w.StartObject();
    key("totalChecks"); w.Int64(a.total_checks);
    key("completedChecks"); w.Int64(a.completed_checks);
    key("passedChecks"); w.Int64(a.passed_checks);
    key("failedChecks"); w.Int64(a.failed_checks);
    key("warningChecks"); w.Int64(a.warning_checks);
    w.EndObject();
    key("lastScheduledError");
    if (a.error) bounded(*a.error, AssessmentBlock::kMaxError);
    else w.Null();
    key("lastScheduledChecks");
    w.StartArray();
    for (std::size_t i = 0; i < a.checks.size() && i < AssessmentBlock::kMaxChecks; ++i) {
      const auto& c = a.checks[i];
      w.StartObject();
      key("checkId"); str(c.id);
      key("checkName"); str(c.name);
      key("pillar"); str(c.pillar);
      key("status"); str(c.status);
      key("message"); bounded(c.message, AssessmentBlock::kMaxText);
      key("remediation"); bounded(c.remediation, AssessmentBlock::kMaxText);
      w.EndObject();
    }
    w.EndArray();
    key("schedulingEnabled"); w.Bool(a.scheduling_enabled);
    key("scheduleIntervalSeconds");
    if (a.interval_seconds) w.Int64(*a.interval_seconds);
    else w.Null();
    key("scheduledAssessmentMode"); str("full");
    key("scheduledAssessmentPillar"); w.Null();
    w.EndObject();
  }
  if (r.argocd) {
    const ArgoCdStatus& a = *r.argocd;
    key("argocd");
    w.StartObject();
    key("detected");
    w.Bool(a.detected);
    key("namespace");
    if (a.detected)
      str(a.ns);
    else
      w.Null();
    key("version");
    if (a.detected && a.version)
      str(*a.version);
    else
      w.Null();
    key("lastChecked");
    str(base::FormatRfc3339Millis(a.last_checked));
    if (a.detected) {
      key("resourceTreeCapable");
      w.Bool(a.resource_tree_capable);
      key("resourceTreeLastError");
      if (a.resource_tree_last_error) {
        w.StartObject();
        key("code");
        str(a.resource_tree_last_error->code);
        key("message");
        str(base::TruncateUtf8(base::SanitizeUtf8(a.resource_tree_last_error->message), kMaxError));
        w.EndObject();
      } else {
        w.Null();
      }
    }
    w.EndObject();
  }
  if (r.cluster_health) {
    key("clusterHealth");
    w.StartObject();
    key("score");
    w.Int(r.cluster_health->score);
    key("checks");
    w.StartArray();
    for (std::size_t i = 0; i < r.cluster_health->checks.size() && i < ClusterHealth::kMaxChecks; ++i) {
      const auto& c = r.cluster_health->checks[i];
      w.StartObject();
      key("check");
      str(c.check);
      key("severity");
      str(c.severity);
      key("affected");
      w.Int64(c.affected);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (r.gitops) {
    const GitOpsStatus& g = *r.gitops;
    key("gitops");
    w.StartObject();
    key("lastChecked");
    str(base::FormatRfc3339Millis(g.last_checked));
    // The counts of a watched tool; a bounded number of keys (the tools' closed sets of states).
    auto applications = [&](const std::optional<GitOpsApplicationCounts>& c) {
      if (!c) return;
      key("applications");
      w.Int64(c->applications);
      for (const auto& [name, states] : {std::pair{"byHealth", &c->by_health}, std::pair{"bySync", &c->by_sync}}) {
        key(name);
        w.StartObject();
        for (const auto& [state, count] : *states) {
          str(state);
          w.Int64(count);
        }
        w.EndObject();
      }
      key("reconcileFailing");
      w.Int64(c->reconcile_failing);
    };
    key("argocd");
    w.StartObject();
    key("detected");
    w.Bool(g.argocd_detected);
    applications(g.argocd_applications);
    w.EndObject();
    key("flux");
    w.StartObject();
    key("detected");
    w.Bool(g.flux_detected);
    key("groups");
    w.StartArray();
    for (const auto& group : g.flux_groups) {
      w.StartObject();
      key("name");
      str(group.name);
      key("versions");
      w.StartArray();
      for (std::size_t i = 0; i < group.versions.size() && i < kMaxGroupVersions; ++i) str(group.versions[i]);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    applications(g.flux_applications);
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

StatusModel::StatusModel(std::string ns, bool api_key_configured)
    : ns_(std::move(ns)),
      api_key_configured_(api_key_configured),
      not_registered_reason_("not yet registered with kube9-server") {}

void StatusModel::SetShuttingDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
}

void StatusModel::SetFatalError(std::string error) {
  std::lock_guard lock(mu_);
  if (!fatal_error_) fatal_error_ = std::move(error);
}

void StatusModel::SetThreadFailure(const std::string& thread, const std::string& what, base::WallTime at) {
  std::lock_guard lock(mu_);
  auto it = thread_failures_.find(thread);
  // A thread that starts failing changes the health: written at once. Failing again does not.
  if (it == thread_failures_.end() || at - it->second.at >= kThreadRecovery) ++changes_;
  thread_failures_[thread] = ThreadFailure{what, at};
}

void StatusModel::SetRegistration(bool registered, std::optional<std::string> cluster_id,
                                  std::string not_registered_reason) {
  std::lock_guard lock(mu_);
  if (registered_ == registered && cluster_id_ == cluster_id && not_registered_reason_ == not_registered_reason) return;
  registered_ = registered;
  cluster_id_ = std::move(cluster_id);
  not_registered_reason_ = std::move(not_registered_reason);
  ++changes_;
}

void StatusModel::SetCollectorProblem(std::optional<std::string> problem) {
  std::lock_guard lock(mu_);
  // Only a change of health counts: the text's "failing for ..." grows at every sample.
  if (problem.has_value() != collector_problem_.has_value()) ++changes_;
  collector_problem_ = std::move(problem);
}

std::uint64_t StatusModel::Changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

void StatusModel::SetClusterHealth(ClusterHealth health) {
  std::lock_guard lock(mu_);
  cluster_health_ = std::move(health);
}

void StatusModel::SetAssessment(AssessmentBlock block) {
  std::lock_guard lock(mu_);
  assessment_ = std::move(block);
}

void StatusModel::SetGitOps(std::optional<ArgoCdStatus> argocd, std::optional<GitOpsStatus> gitops) {
  std::lock_guard lock(mu_);
  // What the extension decides its Argo CD features on is written at once; lastChecked alone
  // waits for the next write.
  auto features = [](const std::optional<ArgoCdStatus>& a) {
    return a ? std::optional(std::tuple(a->detected, a->ns, a->version, a->resource_tree_capable)) : std::nullopt;
  };
  auto tools = [](const std::optional<GitOpsStatus>& g) {
    return g ? std::optional(std::tuple(g->argocd_detected, g->flux_detected, g->flux_groups)) : std::nullopt;
  };
  // The first look waits for the next periodic write: until then the block is absent, which
  // the extension reads as "not looked for" and handles itself, and the start-up writes keep
  // their rhythm.
  const bool first = !argocd_ && !gitops_;
  if (!first && (features(argocd) != features(argocd_) || tools(gitops) != tools(gitops_))) ++changes_;
  argocd_ = std::move(argocd);
  gitops_ = std::move(gitops);
}

void StatusModel::SetGitOpsApplications(std::optional<GitOpsApplicationCounts> argocd,
                                        std::optional<GitOpsApplicationCounts> flux) {
  std::lock_guard lock(mu_);
  argocd_applications_ = std::move(argocd);
  flux_applications_ = std::move(flux);
}

void StatusModel::SetCollectionStats(const CollectionStats& stats) {
  std::lock_guard lock(mu_);
  stats_ = stats;
}

StatusReport StatusModel::Current(base::WallTime now) const {
  std::lock_guard lock(mu_);
  StatusReport r;
  r.mode = api_key_configured_ ? "enabled" : "operated";
  r.tier = registered_ ? "pro" : "free";
  r.version = base::kVersion;
  r.last_update = now;
  r.registered = registered_;
  r.api_key_configured = api_key_configured_;
  r.ns = ns_;
  r.stats = stats_;
  r.cluster_health = cluster_health_;
  r.argocd = argocd_;
  r.gitops = gitops_;
  if (r.gitops) {
    r.gitops->argocd_applications = argocd_applications_;
    r.gitops->flux_applications = flux_applications_;
  }
  r.assessment = assessment_;
  if (registered_) r.cluster_id = cluster_id_;
  std::string failed_threads;
  for (const auto& [thread, failure] : thread_failures_) {
    if (now - failure.at >= kThreadRecovery) continue;
    failed_threads +=
        (failed_threads.empty() ? "" : "; ") + thread + " thread failed and was restarted: " + failure.what;
  }
  if (shutting_down_) {
    r.health = "unhealthy";
    r.error = fatal_error_ ? "Shutting down: " + *fatal_error_ : "Shutting down";
  } else if ((api_key_configured_ && !registered_) || collector_problem_ || !failed_threads.empty()) {
    // Every reason that holds, registration first (the extension's features depend on it).
    r.health = "degraded";
    std::string error = api_key_configured_ && !registered_ ? not_registered_reason_ : "";
    if (collector_problem_) error += (error.empty() ? "" : "; ") + *collector_problem_;
    if (!failed_threads.empty()) error += (error.empty() ? "" : "; ") + failed_threads;
    r.error = std::move(error);
  } else {
    r.health = "healthy";
  }
  return r;
}

}  // namespace kube9::sinks
