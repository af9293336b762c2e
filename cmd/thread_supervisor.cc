#include "cmd/thread_supervisor.h"

namespace kube9::cmd {

ThreadSupervisor::ThreadSupervisor(exporter::OperatorMetrics& metrics, sinks::StatusModel& model,
                                   const base::Clock& clock, std::function<void()> request_shutdown)
    : metrics_(metrics), model_(model), clock_(clock), request_shutdown_(std::move(request_shutdown)) {}

void ThreadSupervisor::OnThreadStarted(const std::string& thread) { metrics_.DeclareThread(thread); }

void ThreadSupervisor::OnThreadFailure(const std::string& thread, const std::string& what, bool restarting) {
  metrics_.OnThreadFailure(thread);
  if (restarting) {
    model_.SetThreadFailure(thread, what, clock_.WallNow());
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (fatal_error_) return;  // already on the way out
    fatal_error_ = thread + " thread failed: " + what;
    model_.SetFatalError(*fatal_error_);
  }
  request_shutdown_();
}

std::optional<std::string> ThreadSupervisor::fatal_error() const {
  std::lock_guard lock(mu_);
  return fatal_error_;
}

}  // namespace kube9::cmd
