#include "exporter/assessment_metrics.h"

#include <chrono>

namespace kube9::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

MetricFamily NewFamily(const char* name, const char* help,
                       prometheus::MetricType type = prometheus::MetricType::Gauge) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void Add(MetricFamily& f, std::vector<std::pair<std::string_view, std::string_view>> labels, double value) {
  ClientMetric m;
  for (auto [k, v] : labels) m.label.push_back(ClientMetric::Label{std::string(k), std::string(v)});
  if (f.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

}  // namespace

AssessmentMetrics::AssessmentMetrics()
    : families_(std::make_shared<const std::vector<MetricFamily>>(Render(nullptr, 0))) {}

std::vector<MetricFamily> AssessmentMetrics::Render(const assessment::Report* report, std::uint64_t runs) {
  using assessment::Status;
  std::vector<MetricFamily> out;
  MetricFamily total = NewFamily("kube9_assessment_runs_total", "Assessment runs completed since the operator started.",
                                 prometheus::MetricType::Counter);
  Add(total, {}, static_cast<double>(runs));
  out.push_back(std::move(total));
  if (report == nullptr) return out;

  MetricFamily status = NewFamily("kube9_assessment_check_status",
                                  "1 for each check's status in the last assessment run (one series per check).");
  MetricFamily info =
      NewFamily("kube9_assessment_check_info", "The catalogue: each check's pillar and severity, always 1.");
  for (const auto& c : report->checks) {
    Add(status,
        {{"check", c.info->id},
         {"pillar", assessment::PillarName(c.info->pillar)},
         {"status", assessment::StatusName(c.result.status)}},
        1);
    Add(info,
        {{"check", c.info->id},
         {"pillar", assessment::PillarName(c.info->pillar)},
         {"severity", assessment::SeverityName(c.info->severity)}},
        1);
  }
  MetricFamily score = NewFamily("kube9_assessment_pillar_score",
                                 "0-100: the share of a pillar's evaluated checks passing, a warning counting half.");
  MetricFamily checks = NewFamily("kube9_assessment_pillar_checks", "Checks of each pillar by status in the last run.");
  for (const auto& p : assessment::SummarizePillars(*report)) {
    const std::string_view pillar = assessment::PillarName(p.pillar);
    Add(score, {{"pillar", pillar}}, p.score);
    const std::pair<Status, std::int64_t> counts[] = {{Status::kPassing, p.passing}, {Status::kFailing, p.failing},
                                                      {Status::kWarning, p.warning}, {Status::kSkipped, p.skipped},
                                                      {Status::kError, p.error},     {Status::kTimeout, p.timeout}};
    for (auto [s, n] : counts)
      Add(checks, {{"pillar", pillar}, {"status", assessment::StatusName(s)}}, static_cast<double>(n));
  }
  MetricFamily duration = NewFamily("kube9_assessment_run_duration_seconds", "How long the last assessment run took.");
  Add(duration, {}, std::chrono::duration<double>(report->took).count());
  MetricFamily last =
      NewFamily("kube9_assessment_last_run_timestamp_seconds", "When the last assessment run completed (Unix time).");
  Add(last, {}, std::chrono::duration<double>(report->completed.time_since_epoch()).count());
  for (auto* f : {&status, &info, &score, &checks, &duration, &last}) out.push_back(std::move(*f));
  return out;
}

void AssessmentMetrics::Update(const assessment::Report& report) {
  std::lock_guard lock(mu_);
  ++runs_;
  families_ = std::make_shared<const std::vector<MetricFamily>>(Render(&report, runs_));
}

std::vector<MetricFamily> AssessmentMetrics::Collect() const {
  std::shared_ptr<const std::vector<MetricFamily>> families;
  {
    std::lock_guard lock(mu_);
    families = families_;
  }
  return *families;
}

}  // namespace kube9::exporter
