#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/types.h>

#include "base/clock.h"
#include "base/expected.h"
#include "base/thread.h"
#include "http/transport.h"

// The seam between the HTTP server and what it serves: a request, a reply, and the handler
// that turns one into the other. The server (sockets, TLS, limits) knows nothing of metrics or
// probes; the handler knows nothing of sockets. Then the server itself.
namespace kube9::http {

struct ServerRequest {
  std::string method;
  std::string path;   // the request target up to '?', as sent
  std::string query;  // after '?', without it; "" when absent
  Headers headers;    // names lower-case
  bool tls = false;   // arrived over TLS
  bool probe_socket = false;  // arrived on ServerOptions::probe_socket
};

// Where a streamed reply's body goes, piece by piece, on the worker thread that produces it.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Sends `data` (best a few KiB to 64 KiB) as the next piece of the body. Waits while the
  // client has more than a small bound of earlier pieces unsent, so that a producer never runs
  // far ahead of its client. Throws ClientGone once the connection is closed (the client left,
  // stopped reading for the write timeout, or the server stops); after that, calls return at
  // once, so that a destructor flushing into it on the way out does not throw again.
  virtual void Write(std::string_view data) = 0;
};

// Thrown out of a producer by BodyWriter::Write when its client is gone: unwinding ends the
// producer (which must therefore hold its resources by RAII). The server catches it.
class ClientGone : public std::exception {
 public:
  const char* what() const noexcept override { return "the client is gone"; }
};

struct ServerReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/-Length
  // When set, the body is what this writes instead of `body`, sent as it is produced, without
  // Content-Length: `Transfer-Encoding: chunked` to an HTTP/1.1 client, delimited by closing
  // the connection for HTTP/1.0. It runs on the worker after Handle returns (for a request
  // answered on the I/O thread, into memory), and not at all for HEAD. For bodies too large to
  // hold (a scrape of per-object families). Another exception than ClientGone out of it cuts
  // the connection: the client sees a truncated body rather than a complete wrong one.
  std::function<void(BodyWriter&)> stream;
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

// Bounds on what a client may send before the server has answered anything. The defaults fit
// every real probe and scraper many times over.
struct RequestLimits {
  std::size_t max_request_line = 4 * 1024;  // method, target and version; longer: 414
  std::size_t max_head = 8 * 1024;          // the whole head, blank line included; longer: 431
  std::size_t max_header_fields = 64;       // more: 431
};

// Why the server closed a connection (the label of a counter).
enum class CloseReason {
  kPeer,            // the client closed or reset it
  kDone,            // the exchange is over: `Connection: close`, HTTP/1.0, or the server stops
  kHeaderTimeout,   // the TLS handshake or a request head did not arrive in time (slowloris)
  kIdleTimeout,     // a keep-alive connection stayed silent too long between requests
  kLimit,           // evicted: the connection limit was reached and a newer client needed room
  kTooLarge,        // answered 413, 414 or 431
  kBadRequest,      // answered 400, 501 or 505
  kTlsError,        // the TLS handshake or a TLS record failed
  kWriteTimeout,    // the client read the reply too slowly
};
inline constexpr CloseReason kAllCloseReasons[] = {
    CloseReason::kPeer,     CloseReason::kDone,       CloseReason::kHeaderTimeout,
    CloseReason::kIdleTimeout, CloseReason::kLimit,   CloseReason::kTooLarge,
    CloseReason::kBadRequest, CloseReason::kTlsError, CloseReason::kWriteTimeout};
std::string_view CloseReasonName(CloseReason reason);

// Counts what the server does. Called from the server's I/O thread only.
class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  virtual void OnConnectionOpened() = 0;
  virtual void OnConnectionClosed(CloseReason reason) = 0;
  // Every reply written, including the server's own errors (400, 413, 503, ...).
  virtual void OnReply(int status) = 0;
};

struct ServerOptions {
  std::string host;  // "" = every interface (IPv6 and IPv4 when the host has IPv6)
  int port = 8080;   // 0 = any free port (tests)
  RequestLimits limits;
  // Open connections; when full, a new one evicts the oldest that has no request in progress,
  // so that a flood of idle connections cannot lock the probes out.
  std::size_t max_connections = 512;
  // The TLS handshake and each request head must arrive whole within this time of the
  // connection's accept or of the request's first byte (defeats slowloris).
  base::Millis header_timeout{5'000};
  // A keep-alive connection may wait this long for its next request: longer than Prometheus'
  // default 1 min scrape interval, so a scraper's connection is not closed just as it is reused.
  base::Millis idle_timeout{120'000};
  // A reply must be taken by the client within this time; a streamed reply's deadline restarts
  // whenever the client takes some of it (a slow but moving client is served).
  base::Millis write_timeout{10'000};
  // How often deadlines are checked: a deadline is enforced within this much of its time.
  base::Millis tick{100};
  // Threads for requests that are not cheap (scrapes), and how many such requests may wait
  // for them besides those being handled; more get 503 with Retry-After.
  std::size_t workers = 2;
  std::size_t queue_limit = 8;
  // When set, every connection is TLS with the context it returns (called once per
  // connection, so a reloaded certificate takes effect for the next one); unset = plain HTTP.
  std::function<std::shared_ptr<SSL_CTX>()> tls_context;
  // When set, the server also listens on this Unix socket path, in plain HTTP whatever
  // tls_context says, for a probe run inside the pod (`kube9-operator probe`): the kubelet's
  // own probes cannot present the client certificate that the TCP port may require. Its
  // requests are marked ServerRequest::probe_socket, and the handler decides what they get. A
  // stale socket left at the path is replaced; the socket is made owner-only (0600) and removed
  // when the server stops.
  std::string probe_socket;
  ServerObserver* observer = nullptr;  // not owned; may be null
  const base::Clock* clock = nullptr;  // for deadlines; null = the system clock
  // Hears of an exception escaping the I/O thread ("http-io") or a worker ("http-worker-N"),
  // which are not restarted (docs/development.md "Threads"). Not owned; null = logged only.
  base::ThreadFailureHandler* thread_failures = nullptr;
};

// An HTTP/1.1 server for a handful of endpoints: one epoll thread owns every socket (accept,
// TLS, reads within the limits, parsing, keep-alive, deadlines, writes); cheap requests are
// answered on it directly, others by a small worker pool whose replies it writes, whole or
// streamed (ServerReply::stream). No request bodies (413), no files.
class Server {
 public:
  // Binds and starts serving; fails with a readable message naming the address (e.g. the port
  // is taken). `handler` must outlive the server.
  static base::Expected<std::unique_ptr<Server>, std::string> Start(ServerOptions options,
                                                                    const RequestHandler& handler);
  // Stops accepting, closes every connection and joins the threads (within about a second:
  // a request a worker is handling is finished first).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the chosen one when options.port was 0).
  int port() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kube9::http
