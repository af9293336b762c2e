#include "sinks/status/configmap_publisher.h"

namespace kube9::sinks {

base::Expected<base::Ok, kube::ApiError> ConfigMapStatusPublisher::Publish(const StatusReport& report,
                                                                           base::Millis timeout,
                                                                           const base::StopSignal* cancel) {
  static const std::map<std::string, std::string> kLabels = {
      {"app.kubernetes.io/name", "kube9-operator"},
      {"app.kubernetes.io/component", "status"},
  };
  return client_.ApplyConfigMap(ns_, kStatusConfigMapName, kLabels, {{"status", RenderStatusJson(report)}}, timeout,
                                cancel);
}

}  // namespace kube9::sinks
