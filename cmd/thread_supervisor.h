#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/thread.h"
#include "exporter/operator_metrics.h"
#include "sinks/status/status_report.h"

namespace kube9::cmd {

// What a thread failure does to the operator (docs/development.md "Threads"). Every failure is
// counted in kube9_operator_thread_failures_total{thread}. A restarted loop shows in the status
// as degraded until it stays up; a thread that is not restarted (the status loop, which writes
// the final status) makes the operator shut down through the normal path, with the error in the
// final status and a non-zero exit code.
class ThreadSupervisor final : public base::ThreadFailureHandler {
 public:
  ThreadSupervisor(exporter::OperatorMetrics& metrics, sinks::StatusModel& model, const base::Clock& clock,
                   std::function<void()> request_shutdown);

  void OnThreadStarted(const std::string& thread) override;
  void OnThreadFailure(const std::string& thread, const std::string& what, bool restarting) override;

  // Why the operator stops on its own, once a thread that is not restarted failed.
  std::optional<std::string> fatal_error() const;

 private:
  exporter::OperatorMetrics& metrics_;
  sinks::StatusModel& model_;
  const base::Clock& clock_;
  std::function<void()> request_shutdown_;
  mutable std::mutex mu_;
  std::optional<std::string> fatal_error_;
};

}  // namespace kube9::cmd
