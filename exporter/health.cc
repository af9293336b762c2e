#include "exporter/health.h"

#include <fmt/format.h>

namespace kube9::exporter {

void HealthState::RegisterLoop(const std::string& name, base::Millis budget) {
  std::lock_guard lock(mu_);
  loops_[name] = Loop{budget, clock_.Now()};
}

void HealthState::Heartbeat(const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = loops_.find(name); it != loops_.end()) it->second.last = clock_.Now();
}

void HealthState::UnregisterLoop(const std::string& name) {
  std::lock_guard lock(mu_);
  loops_.erase(name);
}

void HealthState::SetCondition(const std::string& name, bool ok, const std::string& reason) {
  std::lock_guard lock(mu_);
  conditions_[name] = Verdict{ok, reason};
}

Verdict HealthState::Live() const {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  for (const auto& [name, loop] : loops_) {
    if (now - loop.last > loop.budget) {
      const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - loop.last).count();
      return {false, fmt::format("{} loop has not run for {}s", name, silent)};
    }
  }
  return {true, "OK"};
}

Verdict HealthState::Ready() const {
  std::lock_guard lock(mu_);
  std::string reasons;
  for (const auto& [name, v] : conditions_) {
    if (!v.ok) reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", name, v.reason);
  }
  if (conditions_.empty()) return {false, "starting"};
  if (!reasons.empty()) return {false, reasons};
  return {true, "Ready"};
}

std::vector<std::pair<std::string, Verdict>> HealthState::Conditions() const {
  std::lock_guard lock(mu_);
  return {conditions_.begin(), conditions_.end()};
}

}  // namespace kube9::exporter
