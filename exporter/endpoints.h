#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>

#include "collectors/ksm/registry.h"
#include "exporter/health.h"
#include "http/basic_auth.h"
#include "http/server.h"
#include "exporter/operator_metrics.h"

namespace kube9::exporter {

using HttpReply = http::ServerReply;

// What the landing page shows besides health.
struct LandingInfo {
  std::string mode;
  std::string tier;
  std::string health;
  std::string ns;
  std::string events;  // the events history: where it records, or why it is off
};

// The HTTP endpoints, independent of the server that carries them: GET /metrics,
// /healthz, /readyz and /. Called from the HTTP server's threads.
class Endpoints : public http::RequestHandler {
 public:
  // A plain reply with the per-object families goes out in pieces of about this size (a gzip
  // one in the compressor's). Fewer, larger writes cost the kernel less per byte: 256 KiB took
  // 11-12 % off the 1k-pod scrape and 9-16 % of its CPU at 1k and 10k pods against 64 KiB, and
  // 512 KiB and up were slower again (docs/benchmarks.md). A scrape holds at most
  // SendAhead::kDepth + 2 such buffers, 1.1 MiB.
  static constexpr std::size_t kPlainPiece = 256 * 1024;

  Endpoints(std::string telemetry_path, std::vector<const prometheus::Collectable*> collectables,
            const HealthState& health, OperatorMetrics& metrics, std::function<LandingInfo()> landing);

  bool IsCheap(const http::ServerRequest& request) const override;
  HttpReply Handle(const http::ServerRequest& request) const override;

  // When set, every request but the probes needs the credentials of one of its users (401
  // otherwise): kubelet probes cannot send any, and /healthz and /readyz reveal nothing.
  // Called before the server starts.
  void RequireBasicAuth(const http::BasicAuth* auth) { basic_auth_ = auth; }
  // Headers added to every reply (the web config's http_server_config.headers). Called
  // before the server starts.
  void AddHeaders(std::vector<std::pair<std::string, std::string>> headers) { extra_headers_ = std::move(headers); }
  // The kube-state-metrics-compatible families, written after the others on /metrics (off:
  // null). Called before the server starts. `gzip`: whether a reply with the families is
  // gzipped when the client asks (--enable-gzip-encoding); without them it always is.
  void AddKsmFamilies(const collectors::ksm::KsmStores* ksm, bool gzip) {
    ksm_ = ksm;
    ksm_gzip_ = gzip;
  }

 private:
  HttpReply Route(const http::ServerRequest& request) const;
  bool Authorized(const http::ServerRequest& request) const;
  HttpReply Metrics(std::string_view accept_encoding) const;
  // The body of /metrics with per-object families, into a streamed reply.
  void StreamMetrics(http::BodyWriter& out, std::string_view aggregates, bool gzip) const;
  HttpReply Landing() const;

  std::string telemetry_path_;
  std::vector<const prometheus::Collectable*> collectables_;
  const HealthState& health_;
  OperatorMetrics& metrics_;
  std::function<LandingInfo()> landing_;
  const http::BasicAuth* basic_auth_ = nullptr;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  const collectors::ksm::KsmStores* ksm_ = nullptr;
  bool ksm_gzip_ = false;
};

// True when an Accept-Encoding header value allows gzip (and does not refuse it with q=0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace kube9::exporter
