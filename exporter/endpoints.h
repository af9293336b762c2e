#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>

#include "exporter/health.h"
#include "exporter/operator_metrics.h"

namespace kube9::exporter {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the landing page shows besides health.
struct LandingInfo {
  std::string mode;
  std::string tier;
  std::string health;
  std::string ns;
};

// The HTTP endpoints, independent of the server that carries them: GET /metrics,
// /healthz, /readyz and /. Called from the HTTP server's worker threads.
class Endpoints {
 public:
  Endpoints(std::string telemetry_path, std::vector<const prometheus::Collectable*> collectables,
            const HealthState& health, OperatorMetrics& metrics, std::function<LandingInfo()> landing);

  HttpReply Handle(std::string_view method, std::string_view path, std::string_view accept_encoding) const;

 private:
  HttpReply Metrics(std::string_view accept_encoding) const;
  HttpReply Landing() const;

  std::string telemetry_path_;
  std::vector<const prometheus::Collectable*> collectables_;
  const HealthState& health_;
  OperatorMetrics& metrics_;
  std::function<LandingInfo()> landing_;
};

// True when an Accept-Encoding header value allows gzip (and does not refuse it with q=0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace kube9::exporter
