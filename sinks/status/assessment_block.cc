#include "sinks/status/assessment_block.h"

namespace kube9::sinks {

AssessmentBlock MakeAssessmentBlock(const assessment::LastRun& last, std::chrono::seconds interval) {
  AssessmentBlock b;
  b.scheduling_enabled = true;
  b.interval_seconds = interval.count();
  const std::optional<assessment::Report> report = last.Get();
  const std::optional<std::string> failure = last.failure();
  if (report) {
    const assessment::Totals t = report->totals();
    b.completed_at = report->completed;
    b.outcome = "success";
    b.run_state = "completed";
    b.run_id = report->run_id;
    b.total_checks = t.total;
    b.completed_checks = t.completed;
    b.passed_checks = t.passed;
    b.failed_checks = t.failed;
    b.warning_checks = t.warning;
    for (const auto& c : report->checks) {
      b.checks.push_back(
          {std::string(c.info->id), std::string(c.info->name), std::string(assessment::PillarName(c.info->pillar)),
           std::string(assessment::StatusName(c.result.status)), c.result.message, std::string(c.info->remediation)});
    }
  }
  if (failure) {
    b.outcome = "failed";
    b.run_state.reset();
    b.error = *failure;
  }
  return b;
}

}  // namespace kube9::sinks
