#pragma once

#include <chrono>
#include <optional>

#include "assessment/engine.h"
#include "sinks/status/status_report.h"

namespace kube9::sinks {

// The status's `assessment` block from the last scheduled run: before any run, zero totals
// and outcome "none"; after a run that could not happen (`failure`), outcome "failed" with the
// error, the previous checks kept.
AssessmentBlock MakeAssessmentBlock(const assessment::LastRun& last, std::chrono::seconds interval);

}  // namespace kube9::sinks
