#include "sinks/status/status_loop.h"

#include <algorithm>
#include <random>

#include "base/log.h"
#include "base/time_format.h"

namespace kube9::sinks {
namespace {
constexpr base::Millis kWriteTimeout{10'000};
constexpr base::Millis kChangePoll{500};
constexpr base::Millis kMinInterval{5'000};
constexpr base::Millis kMaxInterval{240'000};  // the extension calls a status older than 5 min stale
}

StatusLoop::StatusLoop(StatusModel& model, StatusPublisher& publisher, const base::Clock& clock,
                       base::Millis interval, StatusWriteObserver* metrics, base::HealthReporter* health,
                       std::uint64_t seed)
    : model_(model),
      publisher_(publisher),
      clock_(clock),
      interval_ms_(interval.count()),
      metrics_(metrics),
      health_(health),
      backoff_(base::BackoffPolicy{base::Millis(1000), std::min(interval, base::Millis(30'000)), 2.0, 0.5},
               seed != 0 ? seed : std::random_device{}()) {
  if (health_) {
    RegisterHealthLoop(interval);
    health_->SetCondition("status", false, "status ConfigMap not written yet");
  }
}

void StatusLoop::RegisterHealthLoop(base::Millis interval) {
  // Generous: a write may take its timeout, then a full interval passes before the next.
  health_->RegisterLoop(kLoopName, 3 * interval + 3 * kWriteTimeout);
}

void StatusLoop::SetInterval(base::Millis interval) {
  interval = std::clamp(interval, kMinInterval, kMaxInterval);
  const auto previous = base::Millis(interval_ms_.exchange(interval.count()));
  if (previous != interval) {
    log::Info("status interval changed",
              {{"interval", base::FormatDuration(interval)}, {"previous", base::FormatDuration(previous)}});
  }
}

bool StatusLoop::WriteOnce(base::Millis timeout, const base::StopSignal* cancel) {
  const StatusReport report = model_.Current(clock_.WallNow());
  if (cancel && cancel->stopped()) return false;
  auto result = publisher_.Publish(report, timeout, cancel);
  if (!result.ok() && cancel && cancel->stopped()) return false;  // abandoned for shutdown
  if (metrics_) metrics_->OnStatusWrite(result.ok(), report.last_update);
  if (result.ok()) {
    if (last_error_) log::Info("status ConfigMap written again", {{"namespace", report.ns}});
    else log::Debug("status ConfigMap written", {{"namespace", report.ns}, {"health", report.health}});
    last_error_.reset();
    if (health_) health_->SetCondition("status", true, "written");
    return true;
  }
  const kube::ApiError& err = result.error();
  std::string reason = err.ToString();
  if (err.kind == kube::ErrorKind::kNotFound) reason = "namespace " + report.ns + " not found: " + err.message;
  if (err.kind == kube::ErrorKind::kForbidden) reason = "not allowed to write ConfigMaps in " + report.ns + ": " + err.message;
  log::Warn("cannot write status ConfigMap", {{"namespace", report.ns}, {"error", reason}});
  last_error_ = err;
  if (health_) health_->SetCondition("status", false, "status ConfigMap cannot be written: " + reason);
  return false;
}

void StatusLoop::Run(const base::StopSignal& stop) {
  base::Millis budgeted = interval();  // the interval the liveness budget was registered for
  while (!stop.stopped()) {
    const auto started = clock_.Now();
    const std::uint64_t changes = model_.Changes();
    const bool written = WriteOnce(kWriteTimeout, &stop);
    base::SteadyTime wake;
    if (written) {
      backoff_.Reset();
      wake = started + interval();  // from the write's start: the schedule does not drift
    } else {
      base::Millis delay = backoff_.Next();
      if (last_error_ && last_error_->retry_after) delay = std::max(delay, *last_error_->retry_after);
      wake = clock_.Now() + std::min(delay, interval());
    }
    if (health_) health_->Heartbeat(kLoopName);
    // Sleep in short slices: a change of health (registered, rejected, collectors failing or
    // recovered) is written at once rather than up to an interval later, since the extension
    // decides its features on it; a new interval applies to the wait in progress.
    bool stopped = false;
    while (clock_.Now() < wake && !(stopped = clock_.SleepFor(
                                        std::min(kChangePoll, std::chrono::duration_cast<base::Millis>(wake - clock_.Now())),
                                        stop))) {
      if (written && model_.Changes() != changes) break;
      if (const auto now_interval = interval(); now_interval != budgeted) {
        budgeted = now_interval;
        if (health_) RegisterHealthLoop(budgeted);
        if (written) wake = started + budgeted;
      }
    }
    if (stopped) break;
  }
  if (health_) health_->UnregisterLoop(kLoopName);
}

bool StatusLoop::WriteFinal(base::Millis deadline) {
  model_.SetShuttingDown();
  const bool ok = WriteOnce(deadline, nullptr);
  if (ok) log::Info("final status written", {{"health", "unhealthy"}});
  return ok;
}

}  // namespace kube9::sinks
