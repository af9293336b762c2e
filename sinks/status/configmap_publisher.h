#pragma once

#include <string>

#include "kube/client.h"
#include "sinks/status/status_publisher.h"

namespace kube9::sinks {

inline constexpr const char* kStatusConfigMapName = "kube9-operator-status";

// Writes the report as ConfigMap kube9-operator-status with exactly one data key, `status`,
// and the labels the extension looks for.
class ConfigMapStatusPublisher final : public StatusPublisher {
 public:
  ConfigMapStatusPublisher(kube::Client& client, std::string ns) : client_(client), ns_(std::move(ns)) {}
  base::Expected<base::Ok, kube::ApiError> Publish(const StatusReport& report, base::Millis timeout,
                                                   const base::StopSignal* cancel) override;

 private:
  kube::Client& client_;
  std::string ns_;
};

}  // namespace kube9::sinks
