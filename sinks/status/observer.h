#pragma once

#include "base/clock.h"

namespace kube9::sinks {

// Told about every status write (exporter::OperatorMetrics counts them). Called on the
// status loop's thread.
class StatusWriteObserver {
 public:
  virtual ~StatusWriteObserver() = default;
  virtual void OnStatusWrite(bool success, base::WallTime when) = 0;
};

}  // namespace kube9::sinks
