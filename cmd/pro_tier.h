#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/expected.h"
#include "base/thread.h"
#include "config/config.h"
#include "exporter/pro_metrics.h"
#include "http/openssl_transport.h"
#include "sinks/collections/scheduler.h"
#include "sinks/registration/registrar.h"
#include "sinks/upload/spool.h"
#include "sinks/upload/uploader.h"

namespace kube9::cmd {

// The Pro tier, wired together: the API key feeds the registrar, whose state drives the status,
// the uploader and metrics-batch; collections go through the disk spool to kube9-server.
// Exists only when an API key is configured. Threads: "registration", "upload" and the uploader's
// workers, each restarted after a failure.
class ProTier final : public sinks::collections::PayloadSink {
 public:
  using OnRegistration = std::function<void(const sinks::registration::Registration&)>;

  static base::Expected<std::unique_ptr<ProTier>, std::string> Create(const config::Config& cfg,
                                                                      const base::Clock& clock,
                                                                      exporter::ProMetrics& metrics,
                                                                      sinks::registration::Registrar::Inputs inputs,
                                                                      OnRegistration on_registration);
  ~ProTier() override;

  // PayloadSink: gzip, spool, wake the uploader.
  base::Expected<base::Ok, std::string> Store(sinks::collections::CollectionType type,
                                              const std::string& collection_id, const std::string& json) override;
  std::size_t Stored() const override;

  void Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures);
  void Join();

 private:
  ProTier(const base::Clock& clock, sinks::registration::ApiKeySource key, std::unique_ptr<sinks::upload::Spool> spool,
          http::TlsTrust trust);

  const base::Clock& clock_;
  sinks::registration::ApiKeySource key_;
  std::unique_ptr<sinks::upload::Spool> spool_;
  http::OpenSslTransport transport_;
  std::unique_ptr<sinks::registration::Registrar> registrar_;
  std::unique_ptr<sinks::upload::Uploader> uploader_;
  std::thread registration_thread_, upload_thread_;
};

}  // namespace kube9::cmd
