#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/transport.h"

// The seam between the HTTP server and what it serves: a request, a reply, and the handler
// that turns one into the other. The server (sockets, TLS, limits) knows nothing of metrics or
// probes; the handler knows nothing of sockets.
namespace kube9::http {

struct ServerRequest {
  std::string method;
  std::string path;   // the request target up to '?', as sent
  std::string query;  // after '?', without it; "" when absent
  Headers headers;    // names lower-case
  bool tls = false;   // arrived over TLS
};

struct ServerReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/-Length
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // True for a request answered from memory in microseconds (the probes): the server may
  // answer it on its own I/O thread, so that it never waits behind a slow request (a scrape).
  virtual bool IsCheap(const ServerRequest& request) const = 0;
  // Called from the server's threads, concurrently.
  virtual ServerReply Handle(const ServerRequest& request) const = 0;
};

}  // namespace kube9::http
