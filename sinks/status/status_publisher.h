#pragma once

#include "base/expected.h"
#include "kube/api_error.h"
#include "sinks/status/status_report.h"

namespace kube9::sinks {

// Where a status report goes. Production: the status ConfigMap; tests: a recorder.
class StatusPublisher {
 public:
  virtual ~StatusPublisher() = default;
  virtual base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& report, base::Millis timeout,
                                                           const base::StopSignal* cancel) = 0;
};

}  // namespace kube9::sinks
