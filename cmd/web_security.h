#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/registry.h>

#include "base/clock.h"
#include "base/expected.h"
#include "config/config.h"
#include "exporter/tls_metrics.h"
#include "http/basic_auth.h"
#include "http/tls_context.h"

namespace kube9::cmd {

// What --web.config.file turns on for the HTTP port, built once at start: the TLS context
// (certificate files followed as they rotate, reloads counted), basic auth and extra headers.
// Everything is empty without the flag: plain HTTP, no authentication.
struct WebSecurity {
  std::unique_ptr<exporter::TlsMetrics> tls_metrics;  // before `tls`, which reports to it
  std::unique_ptr<http::TlsServerContext> tls;
  std::unique_ptr<http::BasicAuth> basic_auth;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Loads and checks the file named by --web.config.file; every problem is listed, each
// prefixed with the flag and the file.
base::Expected<WebSecurity, config::Problems> LoadWebSecurity(const std::string& path, prometheus::Registry& registry,
                                                              const base::Clock& clock);

}  // namespace kube9::cmd
