#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "http/tls_context.h"

namespace kube9::exporter {

// Metrics of the HTTP server's TLS certificate, registered only when the web config turns TLS
// on: reloads of the certificate files by result, and when the served certificate expires
// (an alert can catch a renewal that never arrived). Thread-safe.
class TlsMetrics final : public http::TlsReloadObserver {
 public:
  explicit TlsMetrics(prometheus::Registry& registry);

  void OnTlsReload(bool success) override;
  void OnTlsCertificate(base::WallTime not_after) override;

 private:
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Gauge& not_after_;
};

}  // namespace kube9::exporter
