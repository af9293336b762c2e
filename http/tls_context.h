#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "http/web_config.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace kube9::http {

// An OpenSSL server context built from the web config's TLS settings: certificate chain,
// key, protocol versions, ciphers, curves, and the client-certificate policy (verification
// against the client CA, allowed SANs). Every problem is listed, each naming its key.
base::Expected<std::shared_ptr<SSL_CTX>, WebConfigProblems> BuildSslContext(const TlsSettings& settings);

// Whether OpenSSL knows a cipher suite by its IANA name (the names Go and exporter-toolkit use),
// and a curve by Go's name.
bool IsKnownCipherSuite(std::string_view iana_name);
bool IsKnownCurve(std::string_view go_name);

// Told about reloads of the certificate files and the certificate served (metrics count the
// reloads and show when the certificate expires).
class TlsReloadObserver {
 public:
  virtual ~TlsReloadObserver() = default;
  virtual void OnTlsReload(bool success) = 0;
  // The served certificate's notAfter: at the start and after each successful reload.
  virtual void OnTlsCertificate(base::WallTime not_after) = 0;
};

// The server's TLS context, following its files: when the certificate, key or client CA file
// changes (cert-manager and the kubelet rotate them in place), the next connection after the
// check gets a context built from the new files. Files are looked at most once a second
// (inode, size, modification time); a change that does not load (a half-written file, a key
// that does not match) keeps the previous context, is logged and counted, and is retried
// when the files change again. Thread-safe.
class TlsServerContext {
 public:
  // Builds the first context; fails with every problem.
  static base::Expected<std::unique_ptr<TlsServerContext>, WebConfigProblems> Create(
      TlsSettings settings, const base::Clock& clock, TlsReloadObserver* observer = nullptr);

  // The context for a new connection: what the HTTP server's tls_context hook returns.
  std::shared_ptr<SSL_CTX> Current();

  // Current() as the server's hook. The hook must not outlive this object.
  std::function<std::shared_ptr<SSL_CTX>()> Hook() {
    return [this] { return Current(); };
  }

 private:
  // What identifies a file's content without reading it.
  struct Stamp {
    int error = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::vector<Stamp> StampFiles() const;
  void ReportCertificate() const;

  TlsServerContext(TlsSettings settings, const base::Clock& clock, TlsReloadObserver* observer)
      : settings_(std::move(settings)), clock_(clock), observer_(observer) {}

  const TlsSettings settings_;
  const base::Clock& clock_;
  TlsReloadObserver* const observer_;

  std::mutex mu_;
  std::shared_ptr<SSL_CTX> current_;
  std::vector<Stamp> stamps_;  // of the files last loaded, or last attempted
  base::SteadyTime last_check_{};
};

}  // namespace kube9::http
