#include "assessment/engine.h"

#include <atomic>
#include <cmath>

#include <fmt/format.h>

#include "assessment/catalogue.h"
#include "base/text.h"
#include "base/thread.h"

namespace kube9::assessment {

Totals Report::totals() const {
  Totals t;
  for (const auto& c : checks) {
    ++t.total;
    switch (c.result.status) {
      case Status::kPassing:
        ++t.passed;
        ++t.completed;
        break;
      case Status::kFailing:
        ++t.failed;
        ++t.completed;
        break;
      case Status::kWarning:
        ++t.warning;
        ++t.completed;
        break;
      case Status::kSkipped: ++t.completed; break;
      case Status::kError:
      case Status::kTimeout: break;
    }
  }
  return t;
}

bool Selection::Selects(const CheckInfo& info) const {
  if (pillar && info.pillar != *pillar) return false;
  if (ids.empty()) return true;
  for (const auto& id : ids) {
    if (id == info.id) return true;
  }
  return false;
}

std::string OneLine(std::string_view message, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(message.size(), max_bytes + 4));
  for (char c : message) {
    if (out.size() > max_bytes + 4) break;
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  out = base::SanitizeUtf8(out);
  if (out.size() <= max_bytes) return out;
  return base::TruncateUtf8(std::move(out), max_bytes - 3) + "...";
}

std::optional<Pillar> ParsePillar(std::string_view name) {
  for (Pillar p : kAllPillars) {
    if (PillarName(p) == name) return p;
  }
  return std::nullopt;
}

namespace {
std::string NewRunId(base::WallTime started) {
  static std::atomic<std::uint64_t> sequence{0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count();
  return fmt::format("run-{}-{}", ms, ++sequence);
}
}  // namespace

Report Run(const std::vector<const Check*>& checks, const Selection& selection, const Inputs& in,
           const base::Clock& clock, std::chrono::milliseconds budget) {
  Report report;
  report.started = clock.WallNow();
  report.run_id = NewRunId(report.started);
  const auto run_start = clock.Now();
  for (const Check* check : checks) {
    if (!selection.Selects(check->info())) continue;
    CheckRun run;
    run.info = &check->info();
    const auto start = clock.Now();
    try {
      run.result = check->Run(in);
    } catch (...) {
      // A check is a pure function over the stores: one that throws is a bug in it, reported
      // as that check's `error` rather than losing the whole run.
      run.result = {Status::kError, "check failed: " + base::DescribeCurrentException()};
    }
    run.took = std::chrono::duration_cast<std::chrono::microseconds>(clock.Now() - start);
    if (run.took > budget && run.result.status != Status::kError) {
      run.result = {
          Status::kTimeout,
          fmt::format("took {} ms, over its budget of {} ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(run.took).count(), budget.count())};
    }
    run.result.message = OneLine(run.result.message);
    report.checks.push_back(std::move(run));
  }
  report.took = std::chrono::duration_cast<std::chrono::microseconds>(clock.Now() - run_start);
  report.completed = clock.WallNow();
  return report;
}

std::vector<const Check*> CatalogueChecks() {
  std::vector<const Check*> out;
  for (const auto& c : Catalogue()) out.push_back(c.get());
  return out;
}

int PillarScore(const PillarSummary& s) {
  const std::int64_t evaluated = s.passing + s.failing + s.warning + s.error + s.timeout;
  if (evaluated == 0) return 100;
  return static_cast<int>(std::lround(100.0 * (static_cast<double>(s.passing) + s.warning / 2.0) / evaluated));
}

std::vector<PillarSummary> SummarizePillars(const Report& report) {
  std::vector<PillarSummary> out;
  for (Pillar p : kAllPillars) out.push_back(PillarSummary{p});
  for (const auto& c : report.checks) {
    PillarSummary& s = out[static_cast<std::size_t>(c.info->pillar)];
    switch (c.result.status) {
      case Status::kPassing: ++s.passing; break;
      case Status::kFailing: ++s.failing; break;
      case Status::kWarning: ++s.warning; break;
      case Status::kSkipped: ++s.skipped; break;
      case Status::kError: ++s.error; break;
      case Status::kTimeout: ++s.timeout; break;
    }
  }
  for (auto& s : out) s.score = PillarScore(s);
  return out;
}

void LastRun::Set(Report report) {
  std::lock_guard lock(mu_);
  report_ = std::move(report);
  failure_.reset();
  ++runs_;
}

std::optional<Report> LastRun::Get() const {
  std::lock_guard lock(mu_);
  return report_;
}

void LastRun::SetFailure(std::string error, base::WallTime at) {
  std::lock_guard lock(mu_);
  failure_ = OneLine(error, 200);
  failure_at_ = at;
}

std::optional<std::string> LastRun::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

std::uint64_t LastRun::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

}  // namespace kube9::assessment
