#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http/transport.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace kube9::http {

// Trust for the server's certificate. Verification of the peer and host name is always on;
// there is deliberately no way to turn it off. Neither set: the system's CA bundle.
struct TlsTrust {
  std::string ca_file;  // PEM file
  std::string ca_pem;   // PEM data (kubeconfig certificate-authority-data)
};

// The proxy variables, read as libcurl 7.88 (which this transport replaced) read them, so that
// a deployment's settings keep their meaning: https:// URLs use `https_proxy`, else
// `HTTPS_PROXY`, else `all_proxy`/`ALL_PROXY`; plain http:// URLs use `http_proxy` in lower
// case only (the upper-case name is ignored, the "httpoxy" defence), else `all_proxy`/`ALL_PROXY`;
// `no_proxy`, else `NO_PROXY`, lists the hosts reached directly. Only http:// proxies.
struct ProxySettings {
  std::string https_proxy;
  std::string http_proxy;
  std::string no_proxy;
  static ProxySettings FromEnvironment();
};

// Whether `host` (a name, or an IP literal without brackets) is covered by a NO_PROXY list:
// comma-separated entries, "*" for every host; a name entry (a leading dot ignored) matches
// that name and its subdomains, case-insensitively; an IP entry, optionally with a /bits prefix
// length, matches IP literals in it. Loopback is not special.
bool NoProxyCovers(std::string_view no_proxy, std::string_view host);

// HTTP/1.1 over TCP, with TLS from OpenSSL, for the operator's few kinds of exchange (requests,
// LIST pages and watch streams to the Kubernetes API; kube9-server; Argo CD). It replaced
// libcurl, whose Debian build loads some 25 libraries the operator never uses (GnuTLS, Kerberos,
// LDAP, SSH, RTMP, HTTP/2...) and keeps an OpenSSL context and HTTP/2 buffers per connection:
// about 6 MiB of the operator's resident memory (docs/benchmarks.md "Resident memory").
//
// One OpenSSL context per transport (the CAs parsed once); connections are kept alive and
// reused from a small pool, and an idle connection holds no TLS buffers. Thread-safe.
class OpenSslTransport final : public Transport {
 public:
  OpenSslTransport(TlsTrust trust, std::string user_agent, ProxySettings proxy = ProxySettings::FromEnvironment());
  ~OpenSslTransport() override;
  OpenSslTransport(const OpenSslTransport&) = delete;
  OpenSslTransport& operator=(const OpenSslTransport&) = delete;

  base::Expected<Response, TransportError> Send(const Request& request) override;
  base::Expected<int, TransportError> Stream(const Request& request, StreamHandler& handler,
                                             const base::StopSignal& stop) override;

  // Implementation details, public for the file's helper functions only.
  class Connection;
  struct Exchange;

 private:
  base::Expected<int, TransportError> Run(const Request& request, Exchange& ex);
  base::Expected<SSL_CTX*, TransportError> Context();
  std::unique_ptr<Connection> Acquire(const std::string& key);
  void Release(std::unique_ptr<Connection> conn);

  TlsTrust trust_;
  std::string user_agent_;
  ProxySettings proxy_;
  std::mutex mu_;
  SSL_CTX* ctx_ = nullptr;  // made on the first https:// exchange
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace kube9::http
