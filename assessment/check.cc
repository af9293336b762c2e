#include "assessment/check.h"

#include <algorithm>

#include <fmt/format.h>

namespace kube9::assessment {

std::string_view PillarName(Pillar p) {
  switch (p) {
    case Pillar::kSecurity: return "security";
    case Pillar::kReliability: return "reliability";
    case Pillar::kPerformanceEfficiency: return "performance-efficiency";
    case Pillar::kCostOptimization: return "cost-optimization";
    case Pillar::kOperationalExcellence: return "operational-excellence";
    case Pillar::kSustainability: return "sustainability";
  }
  return "security";
}

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kPassing: return "passing";
    case Status::kFailing: return "failing";
    case Status::kWarning: return "warning";
    case Status::kSkipped: return "skipped";
    case Status::kError: return "error";
    case Status::kTimeout: return "timeout";
  }
  return "error";
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "medium";
}

void Findings::Affected(std::string_view ns, std::string_view name) {
  ++affected_;
  // The three first in `namespace/name` order rather than the stores' (hash) order: the same
  // cluster gives the same message at every run, so the status does not churn. Built in a
  // reused buffer: most affected objects are not examples, and allocate nothing.
  scratch_.assign(ns);
  if (!ns.empty()) scratch_ += '/';
  scratch_ += name;
  if (examples_.size() == 3 && scratch_ >= examples_.back()) return;
  examples_.insert(std::lower_bound(examples_.begin(), examples_.end(), scratch_), scratch_);
  if (examples_.size() > 3) examples_.pop_back();
}

Result Findings::Verdict(Status if_affected) const {
  if (affected_ == 0) return {Status::kPassing, fmt::format("0 of {}: none found", population_)};
  std::string examples;
  for (const auto& e : examples_) examples += (examples.empty() ? "" : ", ") + e;
  return {if_affected, fmt::format("{} of {} {} (e.g. {})", affected_, population_, what_, examples)};
}

Result SkippedWithout(std::string_view collector) {
  return {Status::kSkipped, fmt::format("not collected: the {} collector is disabled or not permitted", collector)};
}

}  // namespace kube9::assessment
