#include "cmd/web_security.h"

#include <fmt/format.h>

#include "base/log.h"
#include "http/web_config.h"

namespace kube9::cmd {

base::Expected<WebSecurity, config::Problems> LoadWebSecurity(const std::string& path, prometheus::Registry& registry,
                                                              const base::Clock& clock) {
  WebSecurity web;
  if (path.empty()) return web;
  auto prefixed = [&](const http::WebConfigProblems& problems) {
    config::Problems out;
    for (const auto& p : problems) out.push_back(fmt::format("--web.config.file {}: {}", path, p));
    return out;
  };
  auto config = http::LoadWebConfig(path);
  if (!config.ok()) return base::Unexpected(prefixed(config.error()));
  if (config->tls) {
    web.tls_metrics = std::make_unique<exporter::TlsMetrics>(registry);
    auto tls = http::TlsServerContext::Create(*config->tls, clock, web.tls_metrics.get());
    if (!tls.ok()) return base::Unexpected(prefixed(tls.error()));  // the files changed since the check
    web.tls = std::move(tls).value();
  }
  const std::size_t users = config->basic_auth_users.size();
  if (users > 0) {
    if (!config->tls) {
      log::Warn("basic auth without TLS: passwords cross the network in clear; add tls_server_config",
                {{"web_config_file", path}});
    }
    web.basic_auth = std::make_unique<http::BasicAuth>(std::move(config->basic_auth_users));
  }
  web.headers = std::move(config->headers);
  log::Info("web configuration loaded",
            {{"web_config_file", path},
             {"tls", config->tls.has_value()},
             {"client_certificates", config->tls && config->tls->client_auth != http::ClientAuth::kNoClientCert},
             {"basic_auth_users", users}});
  return web;
}

}  // namespace kube9::cmd
