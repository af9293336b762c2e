#include "assessment/scheduler.h"

#include "base/log.h"

namespace kube9::assessment {

ScheduledAssessment::ScheduledAssessment(const collectors::ClusterStores& stores, const base::Clock& clock,
                                         base::Millis interval, SelfFacts self, LastRun& last,
                                         std::function<void(const Report&)> on_run, base::Millis unsynced_grace)
    : stores_(stores),
      clock_(clock),
      interval_(interval),
      unsynced_grace_(unsynced_grace),
      self_(std::move(self)),
      last_(last),
      on_run_(std::move(on_run)) {}

void ScheduledAssessment::SetDiscovered(std::optional<collectors::ApiGroups> groups,
                                        collectors::OptionalStores optional) {
  std::string coverage = groups ? "groups:" : "groups unknown";
  if (groups) {
    for (const auto& g : groups->served) coverage += " " + g;
  }
  coverage += "; collected:";
  for (const auto& name : optional.Names()) coverage += " " + name;
  api_groups_ = std::move(groups);
  optional_ = std::move(optional);
  coverage_ = std::move(coverage);
}

bool ScheduledAssessment::OnSample(const collectors::ClusterAggregates& sample,
                                   const std::vector<std::string>& unsynced) {
  const base::SteadyTime now = clock_.Now();
  if (!first_sample_) first_sample_ = now;
  if (!unsynced.empty() && now - *first_sample_ < unsynced_grace_) return false;  // a partial picture
  const bool due = !last_start_ || now - *last_start_ >= interval_ || (last_run_partial_ && unsynced.empty()) ||
                   (last_coverage_ != coverage_ && unsynced.empty());
  if (!due) return false;
  last_start_ = now;
  last_run_partial_ = !unsynced.empty();
  last_coverage_ = coverage_;
  Inputs in{stores_, clock_.WallNow(), self_, &sample};
  in.unsynced = unsynced;
  in.api_groups = api_groups_ ? &*api_groups_ : nullptr;
  in.optional = &optional_;
  in.gitops = gitops_;
  Report report = Run(checks_, {}, in, clock_);
  const Totals t = report.totals();
  log::Info("assessment run",
            {{"run_id", report.run_id},
             {"checks", t.total},
             {"passing", t.passed},
             {"failing", t.failed},
             {"warning", t.warning},
             {"unsynced_collectors", static_cast<std::int64_t>(unsynced.size())},
             {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(report.took).count()}});
  last_.Set(report);
  if (on_run_) on_run_(report);
  return true;
}

}  // namespace kube9::assessment
