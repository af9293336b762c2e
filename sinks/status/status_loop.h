#pragma once

#include "base/backoff.h"
#include "base/clock.h"
#include "exporter/health.h"
#include "exporter/operator_metrics.h"
#include "sinks/status/status_publisher.h"
#include "sinks/status/status_report.h"

namespace kube9::sinks {

// Writes the status at start and then every `interval`, measured from the previous write's
// start so that the schedule does not drift. A failed write (API down, namespace missing,
// RBAC) is retried with jittered backoff, never slower than the interval, and shows on
// /readyz until a write succeeds again. Run() on one dedicated thread.
class StatusLoop {
 public:
  static constexpr const char* kLoopName = "status";

  StatusLoop(StatusModel& model, StatusPublisher& publisher, const base::Clock& clock, base::Millis interval,
             exporter::OperatorMetrics* metrics, exporter::HealthState* health, std::uint64_t seed = 0);

  void Run(const base::StopSignal& stop);
  // After Run returns: one last write saying the operator is shutting down, bounded by `deadline`.
  bool WriteFinal(base::Millis deadline);

 private:
  bool WriteOnce(base::Millis timeout, const base::StopSignal* cancel);

  StatusModel& model_;
  StatusPublisher& publisher_;
  const base::Clock& clock_;
  base::Millis interval_;
  exporter::OperatorMetrics* metrics_;
  exporter::HealthState* health_;
  base::Backoff backoff_;
  std::optional<kube::ApiError> last_error_;
};

}  // namespace kube9::sinks
