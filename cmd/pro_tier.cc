#include "cmd/pro_tier.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include "base/file.h"
#include "base/gzip.h"
#include "base/log.h"
#include "base/version.h"
#include "sinks/collections/identity.h"

namespace kube9::cmd {
namespace {

// Where distributions keep the system's CA bundle (Debian and distroless first).
constexpr const char* kSystemCaBundles[] = {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                            "/etc/ssl/cert.pem"};

// True when `pem` holds at least one certificate and every PEM block in it decodes as one.
bool AllCertificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return false;
  int certificates = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++certificates;
  }
  // Reading stops with "no start line" at the end of the input; anything else is a bad block.
  const unsigned long error = ERR_peek_last_error();
  const bool clean = ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  BIO_free(bio);
  return certificates > 0 && clean;
}

// A CA bundle is a few hundred KiB (Debian's holds ~140 certificates in 220 KiB); a bigger
// file is a mistake, not a bundle.
constexpr std::size_t kMaxCaBundleBytes = 4u << 20;

// The CAs trusted for kube9-server: the system's, plus --server-ca-file when given.
base::Expected<http::TlsTrust, std::string> ServerTrust(const std::string& extra_ca_file) {
  http::TlsTrust trust;
  if (extra_ca_file.empty()) return trust;  // the transport's default: the system bundle
  auto extra = base::ReadFile(extra_ca_file, kMaxCaBundleBytes);
  if (!extra.ok() || !AllCertificates(*extra)) {
    return base::Unexpected("--server-ca-file " + extra_ca_file + " cannot be read as a PEM certificate");
  }
  std::optional<std::string> system;
  for (const char* path : kSystemCaBundles) {
    if (auto bundle = base::ReadFile(path, kMaxCaBundleBytes); bundle.ok()) {
      system = std::move(bundle).value();
      break;
    }
  }
  if (!system) log::Warn("no system CA bundle found: kube9-server is verified with --server-ca-file alone");
  trust.ca_pem = system.value_or("") + "\n" + *extra;
  return trust;
}

}  // namespace

base::Expected<std::unique_ptr<ProTier>, std::string> ProTier::Create(const config::Config& cfg,
                                                                      const base::Clock& clock,
                                                                      exporter::ProMetrics& metrics,
                                                                      sinks::registration::Registrar::Inputs inputs,
                                                                      OnRegistration on_registration) {
  auto trust = ServerTrust(cfg.server_ca_file);
  if (!trust.ok()) return base::Unexpected(trust.error());
  auto spool = sinks::upload::Spool::Open(cfg.spool_path, cfg.spool_max_bytes, &metrics);
  if (!spool.ok()) return base::Unexpected("the upload spool: " + spool.error());
  auto key = cfg.api_key_file.empty() ? sinks::registration::ApiKeySource::FromValue(cfg.api_key)
                                      : sinks::registration::ApiKeySource::FromFile(cfg.api_key_file);
  std::unique_ptr<ProTier> pro(new ProTier(clock, std::move(key), std::move(spool).value(), std::move(trust).value()));
  const std::string user_agent = std::string("kube9-operator/") + base::kVersion;

  sinks::registration::Registrar::Options ro;
  ro.server_url = cfg.server_url;
  ro.user_agent = user_agent;
  ro.operator_version = base::kVersion;
  ro.reregistration_interval = cfg.reregistration_interval;
  ProTier* self = pro.get();
  pro->registrar_ = std::make_unique<sinks::registration::Registrar>(
      pro->transport_, clock, pro->key_, std::move(inputs), ro,
      [self, on_registration = std::move(on_registration)](const sinks::registration::Registration& r) {
        self->uploader_->SetEnabled(r.registered());
        on_registration(r);
      },
      &metrics);

  sinks::upload::UploaderOptions uo;
  uo.server_url = cfg.server_url;
  uo.user_agent = user_agent;
  uo.concurrency = cfg.upload_concurrency;
  uo.backoff.max = cfg.upload_max_backoff;
  uo.backoff.initial = std::min(uo.backoff.initial, cfg.upload_max_backoff);
  uo.on_rejected = [self](int status, const std::string& key) { self->registrar_->KeyRejected(status, key); };
  pro->uploader_ = std::make_unique<sinks::upload::Uploader>(
      *pro->spool_, pro->transport_, clock, uo, [self] { return self->key_.Current(); },
      [](std::string_view parent, int half) {
        return "coll_" + sinks::collections::Sha256Hex(std::string(parent) + "/" + std::to_string(half)).substr(0, 32);
      },
      &metrics);
  log::Info("Pro tier: an API key is configured",
            {{"server_url", cfg.server_url},
             {"api_key_source", cfg.api_key_file.empty() ? "environment variable API_KEY" : cfg.api_key_file},
             {"spool", cfg.spool_path},
             {"spool_items", pro->spool_->items()},
             {"spool_bytes", pro->spool_->bytes()}});
  return pro;
}

ProTier::ProTier(const base::Clock& clock, sinks::registration::ApiKeySource key,
                 std::unique_ptr<sinks::upload::Spool> spool, http::TlsTrust trust)
    : clock_(clock),
      key_(std::move(key)),
      spool_(std::move(spool)),
      transport_(std::move(trust), std::string("kube9-operator/") + base::kVersion) {}

ProTier::~ProTier() { Join(); }

base::Expected<base::Ok, std::string> ProTier::Store(sinks::collections::CollectionType type,
                                                     const std::string& collection_id, const std::string& json) {
  auto put = spool_->Put(sinks::collections::TypeName(type), collection_id, base::GzipCompress(json, 6));
  if (!put.ok()) return base::Unexpected(put.error());
  uploader_->Wake();
  return base::Ok{};
}

std::size_t ProTier::Stored() const { return spool_->items(); }

void ProTier::Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures) {
  registration_thread_ =
      base::StartRestartingThread("registration", [this, &stop] { registrar_->Run(stop); }, failures, clock_, stop);
  upload_thread_ = base::StartRestartingThread(
      "upload", [this, &stop, &failures] { uploader_->Run(stop, failures); }, failures, clock_, stop);
}

void ProTier::Join() {
  if (registration_thread_.joinable()) registration_thread_.join();
  if (upload_thread_.joinable()) upload_thread_.join();
}

}  // namespace kube9::cmd
