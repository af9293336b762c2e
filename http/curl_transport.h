#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.h"

typedef void CURL;

namespace kube9::http {

// Trust for the server's certificate. Verification of the peer and host name is always on;
// there is deliberately no way to turn it off.
struct TlsTrust {
  std::string ca_file;  // PEM file
  std::string ca_pem;   // PEM data (kubeconfig certificate-authority-data)
};

// libcurl with OpenSSL. Keeps a small pool of easy handles so that connections are reused
// (keep-alive) across requests from any thread.
class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TlsTrust trust, std::string user_agent);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  base::Expected<Response, TransportError> Send(const Request& request) override;
  base::Expected<int, TransportError> Stream(const Request& request, StreamHandler& handler,
                                             const base::StopSignal& stop) override;

 private:
  class Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  TlsTrust trust_;
  std::string user_agent_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace kube9::http
