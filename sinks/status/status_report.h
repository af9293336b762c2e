#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

// The status ConfigMap's content: the contract with the kube9 VS Code extension
// (docs/PRODUCT.md §2). Field names, order and formats must not change.
namespace kube9::sinks {

struct CollectionStats {
  std::uint64_t total_success = 0;
  std::uint64_t total_failure = 0;
  std::uint64_t stored = 0;
  std::optional<base::WallTime> last_success;
};

// The failing health checks and the score (the `clusterHealth` block).
struct ClusterHealth {
  struct Check {
    std::string check;
    std::string severity;
    std::int64_t affected = 0;
  };
  int score = 100;
  std::vector<Check> checks;  // failing checks only, at most kMaxChecks
  static constexpr std::size_t kMaxChecks = 16;
};

// The `argocd` block (docs/PRODUCT.md §11): written only once the operator has really looked,
// since the extension hides Argo CD on detected: false and then does not look for it itself.
struct ArgoCdStatus {
  bool detected = false;
  std::string ns;                      // null in the JSON when not detected
  std::optional<std::string> version;  // null when unknown
  base::WallTime last_checked{};
  // Only when detected: whether `query argocd resource-tree get` would work now, and why not.
  bool resource_tree_capable = false;
  struct Error {
    std::string code;  // ARGOCD_TOKEN_MISSING, ARGOCD_AUTH_FAILED, ...
    std::string message;
    bool operator==(const Error&) const = default;
  };
  std::optional<Error> resource_tree_last_error;

  bool operator==(const ArgoCdStatus&) const = default;
};

// A tool's applications by health and sync (the tools' spellings), while its collectors
// watch them (docs/status-configmap.md "gitops").
struct GitOpsApplicationCounts {
  std::int64_t applications = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_health;  // states with at least one
  std::vector<std::pair<std::string, std::int64_t>> by_sync;
  std::int64_t reconcile_failing = 0;

  bool operator==(const GitOpsApplicationCounts&) const = default;
};

// The additive `gitops` block: which GitOps tools discovery found and, while they are
// watched, their applications by health and sync.
struct GitOpsStatus {
  base::WallTime last_checked{};
  bool argocd_detected = false;
  bool flux_detected = false;
  struct Group {
    std::string name;
    std::vector<std::string> versions;
    bool operator==(const Group&) const = default;
  };
  std::vector<Group> flux_groups;
  // Set from the sampler (StatusModel::SetGitOpsApplications), absent while not watched.
  std::optional<GitOpsApplicationCounts> argocd_applications;
  std::optional<GitOpsApplicationCounts> flux_applications;

  bool operator==(const GitOpsStatus&) const = default;
};

// The Well-Architected assessment's last scheduled run (the `assessment` block, PRODUCT.md
// §10), as plain fields: sinks/status/assessment_block.h fills it from assessment::LastRun.
struct AssessmentBlock {
  std::optional<base::WallTime> completed_at;
  std::string outcome = "none";  // "none" | "success" | "failed"
  std::optional<std::string> run_state, run_id;
  std::int64_t total_checks = 0, completed_checks = 0, passed_checks = 0, failed_checks = 0, warning_checks = 0;
  std::optional<std::string> error;  // at most kMaxError characters
  struct Check {
    std::string id, name, pillar, status, message, remediation;
  };
  std::vector<Check> checks;  // at most kMaxChecks
  bool scheduling_enabled = true;
  std::optional<std::int64_t> interval_seconds;
  static constexpr std::size_t kMaxChecks = 64;
  static constexpr std::size_t kMaxError = 200;
  static constexpr std::size_t kMaxText = 400;  // per message or remediation
};

struct StatusReport {
  std::string mode;  // "operated" | "enabled"
  std::string tier;  // "free" | "pro"
  std::string version;
  std::string health;  // "healthy" | "degraded" | "unhealthy"
  base::WallTime last_update;
  bool registered = false;
  bool api_key_configured = false;
  std::optional<std::string> error;  // null iff healthy; at most 500 characters
  std::string ns;
  CollectionStats stats;
  std::optional<std::string> cluster_id;
  std::optional<AssessmentBlock> assessment;
  std::optional<ArgoCdStatus> argocd;
  std::optional<ClusterHealth> cluster_health;
  std::optional<GitOpsStatus> gitops;
};

// Pretty-printed JSON with a 2-space indent, fields in contract order.
std::string RenderStatusJson(const StatusReport& report);

// What the status reflects, kept up to date by the rest of the operator. Thread-safe.
class StatusModel {
 public:
  StatusModel(std::string ns, bool api_key_configured);

  void SetShuttingDown();
  // A thread failed and the operator stops because of it: the final status names `error`.
  void SetFatalError(std::string error);
  // A thread failed and was restarted (docs/development.md "Threads"): degraded, naming it,
  // until it has gone kThreadRecovery without failing again.
  void SetThreadFailure(const std::string& thread, const std::string& what, base::WallTime at);
  static constexpr std::chrono::minutes kThreadRecovery{5};
  // Registration with kube9-server (Pro tier): the reason while not registered.
  void SetRegistration(bool registered, std::optional<std::string> cluster_id, std::string not_registered_reason);
  // Collectors failing for longer than the status rule allows (see
  // collectors::DescribeCollectorFailures), or nullopt: makes the health degraded.
  void SetCollectorProblem(std::optional<std::string> problem);
  // Grows whenever the registration state changes, collectors start or stop failing or a
  // thread starts failing, so that the change of health is written at once.
  std::uint64_t Changes() const;
  void SetCollectionStats(const CollectionStats& stats);
  void SetClusterHealth(ClusterHealth health);
  // What GitOps detection found, after its first completed look (nullopt before: the blocks
  // are left out). A change of what is detected, or of resourceTreeCapable, is written at once.
  void SetGitOps(std::optional<ArgoCdStatus> argocd, std::optional<GitOpsStatus> gitops);
  // The applications counted at the latest sample, per tool (nullopt: not watched). Shown in
  // the `gitops` block once detection has written it; written with the next periodic status.
  void SetGitOpsApplications(std::optional<GitOpsApplicationCounts> argocd,
                             std::optional<GitOpsApplicationCounts> flux);
  // The assessment block; absent from the status until set (the operator sets it at start,
  // with outcome "none", when the assessment is scheduled).
  void SetAssessment(AssessmentBlock block);

  StatusReport Current(base::WallTime now) const;

 private:
  const std::string ns_;
  const bool api_key_configured_;
  mutable std::mutex mu_;
  std::uint64_t changes_ = 0;
  bool shutting_down_ = false;
  std::optional<std::string> fatal_error_;
  struct ThreadFailure {
    std::string what;
    base::WallTime at;
  };
  std::map<std::string, ThreadFailure> thread_failures_;
  bool registered_ = false;
  std::optional<std::string> cluster_id_;
  std::string not_registered_reason_;
  CollectionStats stats_;
  std::optional<ClusterHealth> cluster_health_;
  std::optional<AssessmentBlock> assessment_;
  std::optional<std::string> collector_problem_;
  std::optional<ArgoCdStatus> argocd_;
  std::optional<GitOpsStatus> gitops_;
  std::optional<GitOpsApplicationCounts> argocd_applications_, flux_applications_;
};

}  // namespace kube9::sinks
