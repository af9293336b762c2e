#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/health.h"

namespace kube9::exporter {

struct Verdict {
  bool ok = false;
  std::string reason;  // why not, or "OK"/"Ready"
};

// What /healthz and /readyz answer. Loops report heartbeats (liveness); components set named
// readiness conditions. Thread-safe.
class HealthState final : public base::HealthReporter {
 public:
  explicit HealthState(const base::Clock& clock) : clock_(clock) {}

  // A loop that must beat at least every `budget`; a silent loop makes /healthz fail, since
  // restarting the process is then the fix.
  void RegisterLoop(const std::string& name, base::Millis budget) override;
  void Heartbeat(const std::string& name) override;
  // A loop that ended on purpose (shutdown) stops counting.
  void UnregisterLoop(const std::string& name) override;

  void SetCondition(const std::string& name, bool ok, const std::string& reason = "") override;

  Verdict Live() const;
  Verdict Ready() const;
  // Each readiness condition and its state, for the landing page.
  std::vector<std::pair<std::string, Verdict>> Conditions() const;

 private:
  struct Loop {
    base::Millis budget;
    base::SteadyTime last;
  };
  const base::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Loop> loops_;
  std::map<std::string, Verdict> conditions_;
};

}  // namespace kube9::exporter
