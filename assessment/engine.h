#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assessment/check.h"
#include "base/clock.h"

// Running the catalogue: each check timed and isolated (a check that throws is `error`, one
// over its time budget `timeout`), the results kept as the last run.
namespace kube9::assessment {

struct CheckRun {
  const CheckInfo* info = nullptr;
  Result result;
  std::chrono::microseconds took{0};
};

struct Totals {
  std::int64_t total = 0;      // checks run
  std::int64_t completed = 0;  // checks that gave a verdict: passing, failing, warning or skipped
  std::int64_t passed = 0, failed = 0, warning = 0;
};

struct Report {
  std::string run_id;  // "<started, RFC 3339 basic>-<sequence>", unique in a process
  base::WallTime started, completed;
  std::chrono::microseconds took{0};
  std::vector<CheckRun> checks;  // in catalogue order
  Totals totals() const;
};

// Which checks to run: every check, or those of one pillar, or the named ids.
struct Selection {
  std::optional<Pillar> pillar;
  std::vector<std::string> ids;  // empty: no restriction by id
  bool Selects(const CheckInfo& info) const;
};

// Bounds on what a result may carry (the status ConfigMap stays small whatever a check says):
// messages are one line of at most kMaxMessageBytes.
inline constexpr std::size_t kMaxMessageBytes = 300;
// A check's time budget: one that takes longer reports `timeout` (checks are one pass over
// compact stores: milliseconds at 150k pods).
inline constexpr std::chrono::milliseconds kDefaultCheckBudget{2000};

// Runs the selected checks of `checks` over `in`, timing each with `clock`.
Report Run(const std::vector<const Check*>& checks, const Selection& selection, const Inputs& in,
           const base::Clock& clock, std::chrono::milliseconds budget = kDefaultCheckBudget);

// The catalogue's checks, as pointers (for Run).
std::vector<const Check*> CatalogueChecks();

// A message made one line and cut to kMaxMessageBytes (UTF-8 safe).
std::string OneLine(std::string_view message, std::size_t max_bytes = kMaxMessageBytes);

// Parses a pillar name ("security", ...), or nullopt.
std::optional<Pillar> ParsePillar(std::string_view name);
inline constexpr Pillar kAllPillars[] = {
    Pillar::kSecurity,         Pillar::kReliability,           Pillar::kPerformanceEfficiency,
    Pillar::kCostOptimization, Pillar::kOperationalExcellence, Pillar::kSustainability};

// Per pillar counts and the 0-100 score: 100 x passing / (passing + failing + warning/2 ...)
// — see PillarScore.
struct PillarSummary {
  Pillar pillar;
  std::int64_t passing = 0, failing = 0, warning = 0, skipped = 0, error = 0, timeout = 0;
  int score = 100;  // PillarScore
};
// The score of a pillar: the share of its evaluated checks (passing, warning, failing, error,
// timeout; skipped ones left out) that pass, a warning counting half: round(100 x (passing +
// warning/2) / evaluated). 100 when nothing was evaluated.
int PillarScore(const PillarSummary& s);
std::vector<PillarSummary> SummarizePillars(const Report& report);

// The last run, shared between the thread that runs the assessment and its readers (status,
// metrics, Pro tier payloads). Thread-safe.
class LastRun {
 public:
  void Set(Report report);
  std::optional<Report> Get() const;
  // A run that could not happen at all (e.g. the stores never synced): recorded as the error
  // of the last scheduled run; the previous checks stay.
  void SetFailure(std::string error, base::WallTime at);
  std::optional<std::string> failure() const;
  std::uint64_t runs() const;

 private:
  mutable std::mutex mu_;
  std::optional<Report> report_;
  std::optional<std::string> failure_;
  std::optional<base::WallTime> failure_at_;
  std::uint64_t runs_ = 0;
};

}  // namespace kube9::assessment
