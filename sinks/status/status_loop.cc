#include "sinks/status/status_loop.h"

#include <algorithm>
#include <random>

#include "base/log.h"

namespace kube9::sinks {
namespace {
constexpr base::Millis kWriteTimeout{10'000};
constexpr base::Millis kChangePoll{500};
}

StatusLoop::StatusLoop(StatusModel& model, StatusPublisher& publisher, const base::Clock& clock,
                       base::Millis interval, exporter::OperatorMetrics* metrics, exporter::HealthState* health,
                       std::uint64_t seed)
    : model_(model),
      publisher_(publisher),
      clock_(clock),
      interval_(interval),
      metrics_(metrics),
      health_(health),
      backoff_(base::BackoffPolicy{base::Millis(1000), std::min(interval, base::Millis(30'000)), 2.0, 0.5},
               seed != 0 ? seed : std::random_device{}()) {
  if (health_) {
    // Generous: a write may take its timeout, then a full interval passes before the next.
    health_->RegisterLoop(kLoopName, 3 * interval_ + 3 * kWriteTimeout);
    health_->SetCondition("status", false, "status ConfigMap not written yet");
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
  while (!stop.stopped()) {
    const auto started = clock_.Now();
    const std::uint64_t changes = model_.Changes();
    base::Millis delay;
    const bool written = WriteOnce(kWriteTimeout, &stop);
    if (written) {
      backoff_.Reset();
      const auto spent = std::chrono::duration_cast<base::Millis>(clock_.Now() - started);
      delay = std::max(base::Millis(0), interval_ - spent);
    } else {
      delay = backoff_.Next();
      if (last_error_ && last_error_->retry_after) delay = std::max(delay, *last_error_->retry_after);
      delay = std::min(delay, interval_);
    }
    if (health_) health_->Heartbeat(kLoopName);
    // Sleep in short slices: a change of health (registered, rejected, collectors failing or
    // recovered) is written at once rather than up to an interval later, since the extension
    // decides its features on it.
    const auto wake = clock_.Now() + delay;
    bool stopped = false;
    while (clock_.Now() < wake && !(stopped = clock_.SleepFor(
                                        std::min(kChangePoll, std::chrono::duration_cast<base::Millis>(wake - clock_.Now())),
                                        stop))) {
      if (written && model_.Changes() != changes) break;
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
