#pragma once

#include <atomic>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/health.h"
#include "sinks/status/observer.h"
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
             StatusWriteObserver* metrics, base::HealthReporter* health, std::uint64_t seed = 0);

  void Run(const base::StopSignal& stop);
  // A new write interval, from any thread (kube9-server's statusUpdateIntervalSeconds, or the
  // configured one again): clamped to 5 s..240 s so the status never goes stale, and applied
  // to the wait in progress.
  void SetInterval(base::Millis interval);
  base::Millis interval() const { return base::Millis(interval_ms_.load()); }
  // After Run returns: one last write saying the operator is shutting down, bounded by `deadline`.
  bool WriteFinal(base::Millis deadline);

 private:
  bool WriteOnce(base::Millis timeout, const base::StopSignal* cancel);
  // The liveness budget follows the interval: a write may take its timeout, then a full
  // interval passes before the next.
  void RegisterHealthLoop(base::Millis interval);

  StatusModel& model_;
  StatusPublisher& publisher_;
  const base::Clock& clock_;
  std::atomic<base::Millis::rep> interval_ms_;
  StatusWriteObserver* metrics_;
  base::HealthReporter* health_;
  base::Backoff backoff_;
  std::optional<kube::ApiError> last_error_;
};

}  // namespace kube9::sinks
