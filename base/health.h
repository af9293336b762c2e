#pragma once

#include <string>

#include "base/clock.h"

namespace kube9::base {

// Where a component reports its own health: liveness heartbeats of its loop and named
// readiness conditions. Implemented by exporter::HealthState (/healthz, /readyz); components
// below the exporter depend on this instead. Thread-safe in every implementation.
class HealthReporter {
 public:
  virtual ~HealthReporter() = default;
  // A loop that must beat at least every `budget`; a silent loop makes /healthz fail.
  virtual void RegisterLoop(const std::string& name, base::Millis budget) = 0;
  virtual void Heartbeat(const std::string& name) = 0;
  // A loop that ended on purpose (shutdown) stops counting.
  virtual void UnregisterLoop(const std::string& name) = 0;
  virtual void SetCondition(const std::string& name, bool ok, const std::string& reason = "") = 0;
};

}  // namespace kube9::base
