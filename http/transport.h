#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"

namespace kube9::http {

// Header names are stored lower-case.
class Headers {
 public:
  void Add(std::string_view name, std::string_view value);
  // The first value of `name` (any case), or "" when absent.
  std::string_view Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  base::Millis timeout{30'000};  // whole exchange; 0 = no limit (watches use their own bound)
  base::Millis connect_timeout{10'000};
  // Abort when no byte moves for this long (a server that accepted and then hung); 0 = never.
  // Watches, quiet between events, use a longer bound (kube::kWatchIdleTimeout).
  base::Millis stall_timeout{30'000};
  // Client certificate and key (PEM) for this request, when the credentials use one.
  std::string client_cert_pem;
  std::string client_key_pem;
  // When set, firing it abandons the request within about a second (shutdown).
  const base::StopSignal* cancel = nullptr;
  // Send() only: a longer body ends the exchange with a TransportError (response_too_large)
  // as soon as it is known, so that a bad server cannot make the operator buffer without
  // bound. Endpoints set what their answers can be; the default is the largest any needs.
  // Streams are not limited here: their decoders bound what they hold.
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
  static constexpr std::size_t kDefaultMaxResponseBytes = 16 << 20;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
};

// A request that got no usable HTTP response: DNS, connect, TLS, timeout, reset, or an
// answer whose body passed Request::max_response_bytes.
struct TransportError {
  std::string message;
  // The server did answer (`status`), but with a body larger than the request allows: not the
  // network's fault but a malformed answer, which callers count as such.
  bool response_too_large = false;
  int status = 0;
  // The exchange ran out of time (Request::timeout, connect_timeout or stall_timeout), as
  // opposed to being refused or failing: callers that report the two differently (the
  // `query argocd` exit statuses) look here.
  bool timed_out = false;
};

// Receives a streamed response. Returning false from either call ends the exchange.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual bool OnHeaders(int status, const Headers& headers) = 0;
  virtual bool OnData(std::string_view chunk) = 0;
};

// How the operator speaks HTTP: to the Kubernetes API and to kube9-server. Tests substitute
// recorded responses; production uses OpenSslTransport. Implementations are thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual base::Expected<Response, TransportError> Send(const Request& request) = 0;
  // Streams the response body to `handler` as it arrives. Returns the HTTP status once the
  // stream ends (server closed it, the handler declined more, or `stop` fired).
  virtual base::Expected<int, TransportError> Stream(const Request& request, StreamHandler& handler,
                                                     const base::StopSignal& stop) = 0;
};

}  // namespace kube9::http
