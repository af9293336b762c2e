#pragma once

#include <optional>

#include "collectors/gitops_summary.h"
#include "sinks/status/status_report.h"

namespace kube9::sinks {

// A tool's counts for the `gitops` block (nullopt while the tool is not watched): states with
// at least one application, in the tools' order (Healthy, Progressing, ...; Synced, ...).
std::optional<GitOpsApplicationCounts> ApplicationCountsOf(const collectors::GitOpsSummary& summary,
                                                           collectors::GitOpsTool tool);

}  // namespace kube9::sinks
