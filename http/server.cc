#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "http/request_parser.h"
#include "http/unix_client.h"

namespace kube9::http {

std::string_view CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeer: return "peer";
    case CloseReason::kDone: return "done";
    case CloseReason::kHeaderTimeout: return "header_timeout";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kLimit: return "limit";
    case CloseReason::kTooLarge: return "too_large";
    case CloseReason::kBadRequest: return "bad_request";
    case CloseReason::kTlsError: return "tls_error";
    case CloseReason::kWriteTimeout: return "write_timeout";
  }
  return "unknown";
}

namespace {

constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr std::uint64_t kProbeListenerId = 2;
constexpr std::size_t kReadChunk = 16 * 1024;
// After an error reply, the rest of what the client sends is read and dropped for a moment
// before closing: closing with unread bytes would reset the connection and could destroy the
// reply before the client reads it. Bounded, so a 10 MiB body is not read whole.
constexpr std::size_t kDrainBytes = 64 * 1024;
constexpr base::Millis kDrainTime{1'000};
constexpr int kAcceptsPerRound = 64;
// A streamed reply's producer waits while this much of its output is not yet taken by the I/O
// thread; the I/O thread holds at most about as much again while writing it. So a stream costs
// a few hundred KiB besides the socket's buffer, whatever the size of its body.
constexpr std::size_t kStreamBuffer = 128 * 1024;

std::string_view StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

// How the end of a body is told: its length up front, chunked, or closing the connection.
enum class Framing { kLength, kChunked, kClose };

// Head and body in one buffer, written at once: two small writes on a keep-alive connection
// meet the client's delayed ACK (Nagle) and cost ~40 ms. The head goes in front of the body in
// the body's own storage, so that the body is not copied. A streamed reply's body comes later.
std::string RenderReply(ServerReply&& reply, bool head_only, bool close, Framing framing = Framing::kLength) {
  std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n", reply.status, StatusText(reply.status), reply.content_type);
  if (framing == Framing::kLength) head += fmt::format("Content-Length: {}\r\n", reply.body.size());
  if (framing == Framing::kChunked) head += "Transfer-Encoding: chunked\r\n";
  for (const auto& [name, value] : reply.headers) head += fmt::format("{}: {}\r\n", name, value);
  if (close) head += "Connection: close\r\n";
  head += "\r\n";
  if (head_only || framing != Framing::kLength) return head;
  reply.body.insert(0, head);
  return std::move(reply.body);
}

ServerReply PlainReply(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return {status, "text/plain; charset=utf-8", std::string(StatusText(status)) + "\n", std::move(headers)};
}

std::string DisplayAddress(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

// A listening socket on host:port, non-blocking. An empty host is every interface: IPv6 with
// IPv4 mapped when the host has IPv6, IPv4 alone otherwise.
base::Expected<int, std::string> Listen(const std::string& host, int port) {
  auto fail = [&](int err) {
    return base::Unexpected(fmt::format("cannot listen on {}: {} (is another process using the port, or is the "
                                        "address not local?)",
                                        DisplayAddress(host, port), std::strerror(err)));
  };
  auto try_bind = [](const sockaddr* addr, socklen_t len, bool dual_stack, int& err) {
    const int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      return -1;
    }
    const int one = 1;
    const int zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // restart while old connections linger
    if (dual_stack) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, addr, len) != 0 || listen(fd, SOMAXCONN) != 0) {
      err = errno;
      close(fd);
      return -1;
    }
    return fd;
  };
  int err = 0;
  if (host.empty()) {
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(static_cast<std::uint16_t>(port));
    int fd = try_bind(reinterpret_cast<sockaddr*>(&any6), sizeof(any6), true, err);
    if (fd >= 0) return fd;
    if (err != EAFNOSUPPORT && err != EADDRNOTAVAIL) return fail(err);
    sockaddr_in any4{};
    any4.sin_family = AF_INET;
    any4.sin_addr.s_addr = htonl(INADDR_ANY);
    any4.sin_port = htons(static_cast<std::uint16_t>(port));
    fd = try_bind(reinterpret_cast<sockaddr*>(&any4), sizeof(any4), false, err);
    if (fd >= 0) return fd;
    return fail(err);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return base::Unexpected(fmt::format("cannot listen on {}: {}", DisplayAddress(host, port), gai_strerror(rc)));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = try_bind(a->ai_addr, a->ai_addrlen, false, err);
  }
  freeaddrinfo(found);
  if (fd < 0) return fail(err);
  return fd;
}

// A listening Unix socket at `path`, non-blocking and owner-only. A socket already there (the
// last run's, which did not get to remove it) is replaced; any other file is an error.
base::Expected<int, std::string> ListenUnix(const std::string& path) {
  const std::optional<sockaddr_un> addr = UnixSocketAddress(path);
  if (!addr) {
    return base::Unexpected(
        fmt::format("cannot listen on {}: a Unix socket path is 1 to {} bytes", path, sizeof(addr->sun_path) - 1));
  }
  auto fail = [&](std::string_view what, int err) {
    return base::Unexpected(fmt::format("cannot listen on {}: {}: {}", path, what, std::strerror(err)));
  };
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return base::Unexpected(fmt::format("cannot listen on {}: not a socket", path));
    if (unlink(path.c_str()) != 0) return fail("removing the old socket", errno);
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket", errno);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    const int err = errno;
    close(fd);
    return fail("bind", err);
  }
  if (chmod(path.c_str(), 0600) != 0 || listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    close(fd);
    unlink(path.c_str());
    return fail("listen", err);
  }
  return fd;
}

const base::SystemClock kSystemClock;

// Runs a producer into memory: for a streamed reply answered on the I/O thread, which must not
// wait for a client.
class StringBodyWriter final : public BodyWriter {
 public:
  explicit StringBodyWriter(std::string& out) : out_(out) {}
  void Write(std::string_view data) override { out_ += data; }

 private:
  std::string& out_;
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const RequestHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
        clock_(options_.clock != nullptr ? *options_.clock : kSystemClock) {}

  ~Impl() {
    if (io_thread_.joinable()) {
      stopping_.store(true);
      Wake();
      io_thread_.join();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers_stop_ = true;
    }
    jobs_cv_.notify_all();
    for (auto& w : workers_) w.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (probe_fd_ >= 0) {
      close(probe_fd_);
      unlink(options_.probe_socket.c_str());
    }
    if (wake_fd_ >= 0) close(wake_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  base::Expected<base::Ok, std::string> Open() {
    auto fd = Listen(options_.host, options_.port);
    if (!fd.ok()) return base::Unexpected(fd.error());
    listen_fd_ = *fd;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return base::Unexpected(fmt::format("cannot start the HTTP server: {}", std::strerror(errno)));
    }
    if (!options_.probe_socket.empty()) {
      auto probe = ListenUnix(options_.probe_socket);
      if (!probe.ok()) return base::Unexpected(probe.error());
      probe_fd_ = *probe;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    ev.data.u64 = kWakeId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    if (probe_fd_ >= 0) {
      ev.data.u64 = kProbeListenerId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, probe_fd_, &ev);
    }
    return base::Ok{};
  }

  void StartThreads() {
    base::ThreadFailureHandler& failures =
        options_.thread_failures != nullptr ? *options_.thread_failures : base::LogOnlyThreadFailures();
    for (std::size_t i = 0; i < options_.workers; ++i) {
      workers_.push_back(base::StartThread(fmt::format("http-worker-{}", i), [this] { WorkerLoop(); }, failures));
    }
    io_thread_ = base::StartThread("http-io", [this] {
      // A TLS write to a closed peer raises SIGPIPE in the writing thread; blocked here, the
      // write fails with EPIPE instead. (Plain writes use MSG_NOSIGNAL.)
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      Loop();
    }, failures);
  }

  int port() const { return port_; }

 private:
  enum class State {
    kHandshake,      // TLS handshake in progress
    kReadingHead,    // waiting for (the rest of) a request head
    kWaitingWorker,  // a worker handles the request; nothing is read meanwhile
    kWriting,        // a reply is being written (or, streamed, waits for its producer)
    kDraining,       // an error reply was sent; dropping input until the close
  };

  // A streamed reply between its producer (a worker, through StreamWriter) and the I/O thread,
  // which takes what is pending whenever it has written everything it took before.
  struct Stream {
    std::mutex mu;
    std::condition_variable cv;  // the producer waits here for room, or for `gone`
    std::string pending;         // framed body bytes the I/O thread has not taken yet
    bool done = false;           // the producer returned: `pending` holds the last bytes
    bool failed = false;         // ... by an exception: the body is cut short
    bool gone = false;           // the connection closed: the producer is to stop
    // The plain (not TLS) socket, while the I/O thread has written everything it took and
    // waits for more: the producer may then send its bytes itself, without waking it (see
    // StreamWriter). -1 otherwise. The I/O thread closes the socket only after `gone` is set,
    // under `mu`, so a send under `mu` with `gone` false cannot reach another connection.
    int idle_fd = -1;
  };

  struct Connection {
    std::uint64_t id = 0;
    int fd = -1;
    SSL* ssl = nullptr;
    State state = State::kReadingHead;
    std::uint32_t interest = 0;  // the epoll events asked for
    base::SteadyTime opened;
    base::SteadyTime deadline;
    CloseReason deadline_reason = CloseReason::kHeaderTimeout;
    bool head_started = false;  // a byte of the current request arrived
    std::string in;             // request bytes not yet consumed (at most max_head + 1)
    std::string out;            // the reply being written
    std::size_t out_offset = 0;
    base::SteadyTime write_started;
    bool close_after_write = false;
    CloseReason close_reason = CloseReason::kDone;
    bool keep_alive = true;     // of the request a worker handles
    bool head_only = false;     // of the request a worker handles (HEAD)
    bool http11 = true;         // of the request a worker handles
    std::size_t drained = 0;
    std::shared_ptr<Stream> stream;  // the streamed reply being written, if any
    bool probe = false;              // accepted on the probe socket
  };

  enum class Io { kProgress, kWantRead, kWantWrite, kEof, kError };
  struct IoResult {
    Io io;
    std::size_t bytes = 0;
  };

  struct Job {
    std::uint64_t id = 0;
    ServerRequest request;
    bool head_only = false;
    bool chunked = true;  // how a streamed body is framed: chunked (HTTP/1.1) or until the close
  };
  // A worker's answer. A streamed reply's producer goes on writing into `stream` after this.
  struct Done {
    std::uint64_t id;
    ServerReply reply;      // its `stream` already taken by the worker
    bool streamed = false;  // the head says so (chunked, or closing), even for HEAD
    std::shared_ptr<Stream> stream;  // null for HEAD
  };

  // --- the I/O thread ---------------------------------------------------------------------

  void Loop() {
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    auto next_scan = std::chrono::steady_clock::now();
    while (!stopping_.load()) {
      const int timeout = runnable_.empty() ? static_cast<int>(options_.tick.count()) : 0;
      const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout);
      for (int i = 0; i < n; ++i) {
        const std::uint64_t id = events[i].data.u64;
        if (id == kListenerId || id == kProbeListenerId) {
          Accept(id == kProbeListenerId);
        } else if (id == kWakeId) {
          std::uint64_t count;
          while (read(wake_fd_, &count, sizeof(count)) > 0) {
          }
          TakeReplies();
          PumpStreams();
        } else if (Connection* c = Find(id)) {
          OnEvent(*c, events[i].events);
        }
      }
      RunRunnable();
      if (std::chrono::steady_clock::now() >= next_scan) {
        CheckDeadlines();
        next_scan = std::chrono::steady_clock::now() + options_.tick;
      }
    }
    while (!connections_.empty()) Close(*connections_.begin()->second, CloseReason::kDone);
    // Streams whose head never reached a connection end too, and so does any started later,
    // so that no producer waits for this thread (the workers are joined after it).
    std::lock_guard<std::mutex> lock(mu_);
    io_stopped_ = true;
    for (Done& d : done_) {
      if (d.stream) EndStream(*d.stream);
    }
    done_.clear();
  }

  Connection* Find(std::uint64_t id) {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second.get();
  }

  // From the TCP port, or from the probe socket (plain HTTP, `probe`).
  void Accept(bool probe) {
    for (int i = 0; i < kAcceptsPerRound; ++i) {
      const int fd = accept4(probe ? probe_fd_ : listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && EvictOne()) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) PauseAccepting();  // out of descriptors: retry at the tick
        return;
      }
      if (connections_.size() >= options_.max_connections && !EvictOne()) {
        close(fd);  // every connection is busy with a request: nothing idle to give way
        if (options_.observer) {
          options_.observer->OnConnectionOpened();
          options_.observer->OnConnectionClosed(CloseReason::kLimit);
        }
        continue;
      }
      const int one = 1;
      if (!probe) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // replies are written whole
      auto owned = std::make_unique<Connection>();
      Connection& c = *owned;
      c.id = next_id_++;
      c.fd = fd;
      c.probe = probe;
      c.opened = clock_.Now();
      // The first request head (after the TLS handshake, when there is one) is due within the
      // header timeout of the accept: a connection that says nothing is a slowloris too.
      c.deadline = c.opened + options_.header_timeout;
      c.deadline_reason = CloseReason::kHeaderTimeout;
      connections_.emplace(c.id, std::move(owned));
      if (options_.observer) options_.observer->OnConnectionOpened();
      epoll_event ev{};
      ev.events = 0;
      ev.data.u64 = c.id;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
      if (options_.tls_context && !probe) {
        std::shared_ptr<SSL_CTX> ctx = options_.tls_context();
        c.ssl = ctx ? SSL_new(ctx.get()) : nullptr;  // SSL_new holds its own reference to ctx
        if (c.ssl == nullptr) {
          Close(c, CloseReason::kTlsError);
          continue;
        }
        SSL_set_fd(c.ssl, fd);
        SSL_set_accept_state(c.ssl);
        SSL_set_mode(c.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        c.state = State::kHandshake;
        Handshake(c);
      } else {
        ReadHead(c);  // the request often came with the connection
      }
    }
  }

  // Closes the oldest connection (the smallest id) that has no request in progress; false
  // when there is none.
  bool EvictOne() {
    Connection* victim = nullptr;
    for (auto& [id, c] : connections_) {
      if (c->state != State::kHandshake && c->state != State::kReadingHead) continue;
      if (victim == nullptr || c->id < victim->id) victim = c.get();
    }
    if (victim == nullptr) return false;
    Close(*victim, CloseReason::kLimit);
    return true;
  }

  void PauseAccepting() {
    if (accept_paused_) return;
    accept_paused_ = true;
    WatchListeners(0);
  }

  // Asks for `events` (EPOLLIN, or none while paused) on every listening socket.
  void WatchListeners(std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    if (probe_fd_ < 0) return;
    ev.data.u64 = kProbeListenerId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, probe_fd_, &ev);
  }

  void OnEvent(Connection& c, std::uint32_t events) {
    if (events & EPOLLERR) {
      Close(c, CloseReason::kPeer);
      return;
    }
    switch (c.state) {
      case State::kHandshake: Handshake(c); return;
      case State::kReadingHead: ReadHead(c); return;
      case State::kWriting:
        if (events & EPOLLHUP) {  // also while a stream waits for its producer, with no interest set
          Close(c, CloseReason::kPeer);
          return;
        }
        Flush(c);
        return;
      case State::kDraining: Drain(c); return;
      case State::kWaitingWorker:
        if (events & EPOLLHUP) Close(c, CloseReason::kPeer);  // nobody left to answer
        return;
    }
  }

  void SetInterest(Connection& c, std::uint32_t events) {
    if (c.interest == events) return;
    c.interest = events;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Sets the interest for a read or write that could not go on.
  void Await(Connection& c, Io io) { SetInterest(c, io == Io::kWantWrite ? EPOLLOUT : EPOLLIN); }

  IoResult Read(Connection& c, char* buf, std::size_t size) {
    if (c.ssl == nullptr) {
      const ssize_t n = recv(c.fd, buf, size, 0);
      if (n > 0) return {Io::kProgress, static_cast<std::size_t>(n)};
      if (n == 0) return {Io::kEof};
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::kWantRead};
      return {Io::kError};
    }
    ERR_clear_error();
    const int n = SSL_read(c.ssl, buf, static_cast<int>(size));
    if (n > 0) return {Io::kProgress, static_cast<std::size_t>(n)};
    return TlsResult(c, n);
  }

  IoResult Write(Connection& c, const char* data, std::size_t size) {
    if (c.ssl == nullptr) {
      const ssize_t n = send(c.fd, data, size, MSG_NOSIGNAL);
      if (n >= 0) return {Io::kProgress, static_cast<std::size_t>(n)};
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::kWantWrite};
      return {Io::kError};
    }
    ERR_clear_error();
    const int n = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) return {Io::kProgress, static_cast<std::size_t>(n)};
    return TlsResult(c, n);
  }

  IoResult TlsResult(Connection& c, int rc) {
    switch (SSL_get_error(c.ssl, rc)) {
      case SSL_ERROR_WANT_READ: return {Io::kWantRead};
      case SSL_ERROR_WANT_WRITE: return {Io::kWantWrite};
      case SSL_ERROR_ZERO_RETURN: return {Io::kEof};
      case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) return {Io::kEof};  // the peer closed without close_notify
        return {Io::kError};
      default: return {Io::kError};
    }
  }

  CloseReason FailureReason(const Connection& c) const {
    return c.ssl != nullptr ? CloseReason::kTlsError : CloseReason::kPeer;
  }

  void Handshake(Connection& c) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(c.ssl);
    if (rc == 1) {
      c.state = State::kReadingHead;
      ReadHead(c);  // the deadline stays: the first head is due within the same timeout
      return;
    }
    const IoResult r = TlsResult(c, rc);
    if (r.io == Io::kWantRead || r.io == Io::kWantWrite) {
      Await(c, r.io);
      return;
    }
    Close(c, r.io == Io::kEof ? CloseReason::kPeer : CloseReason::kTlsError);
  }

  void ReadHead(Connection& c) {
    const RequestLimits& limits = options_.limits;
    bool parse = !c.in.empty();  // pipelined bytes may already hold a request
    char buf[kReadChunk];
    while (true) {
      if (parse) {
        ParseResult r = ParseRequestHead(c.in, limits);
        if (r.status == ParseStatus::kComplete) {
          Dispatch(c, std::move(r.head));
          return;
        }
        if (r.status == ParseStatus::kError) {
          ReplyError(c, r.error_status);
          return;
        }
      }
      // Incomplete means in.size() <= max_head: read at most one byte past the limit.
      const std::size_t room = limits.max_head + 1 - c.in.size();
      const IoResult r = Read(c, buf, std::min(room, sizeof(buf)));
      if (r.io == Io::kProgress) {
        if (!c.head_started) {
          c.head_started = true;
          if (c.deadline_reason == CloseReason::kIdleTimeout) {
            c.deadline = clock_.Now() + options_.header_timeout;
            c.deadline_reason = CloseReason::kHeaderTimeout;
          }
        }
        c.in.append(buf, r.bytes);
        // Only a finished line or a crossed limit can change the verdict.
        parse = std::memchr(buf, '\n', r.bytes) != nullptr ||
                c.in.size() > std::min(limits.max_request_line, limits.max_head);
        continue;
      }
      if (r.io == Io::kWantRead || r.io == Io::kWantWrite) {
        Await(c, r.io);
        return;
      }
      Close(c, r.io == Io::kEof ? CloseReason::kPeer : FailureReason(c));
      return;
    }
  }

  void Dispatch(Connection& c, ParsedHead head) {
    c.in.erase(0, head.head_length);
    if (c.in.empty()) std::string().swap(c.in);  // an idle keep-alive connection keeps no buffer
    ServerRequest request = std::move(head.request);
    request.tls = c.ssl != nullptr;
    request.probe_socket = c.probe;
    if (head.content_length > 0) {
      ReplyError(c, 413);  // nothing here takes a body; reading one would only cost memory
      return;
    }
    c.keep_alive = head.keep_alive;
    c.head_only = request.method == "HEAD";
    c.http11 = head.http11;
    if (handler_.IsCheap(request)) {
      ServerReply reply = Handle(request);
      if (reply.stream) {  // into memory: this thread must not wait for a client
        StringBodyWriter into(reply.body);
        try {
          reply.stream(into);
          reply.stream = nullptr;
        } catch (...) {
          reply = PlainReply(500);
        }
      }
      SendReply(c, std::move(reply));
      return;
    }
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (in_flight_ < options_.workers + options_.queue_limit) {
        ++in_flight_;
        jobs_.push_back({c.id, std::move(request), c.head_only, c.http11});
        queued = true;
      }
    }
    if (!queued) {
      SendReply(c, PlainReply(503, {{"Retry-After", "1"}}));
      return;
    }
    jobs_cv_.notify_one();
    c.state = State::kWaitingWorker;
    c.deadline = base::SteadyTime::max();  // the worker always answers
    SetInterest(c, 0);
  }

  ServerReply Handle(const ServerRequest& request) const {
    try {
      return handler_.Handle(request);
    } catch (...) {  // a handler's bug answers 500 rather than ending the worker
      return PlainReply(500);
    }
  }

  void SendReply(Connection& c, ServerReply reply, bool streamed = false) {
    const int status = reply.status;
    const Framing framing = !streamed ? Framing::kLength : c.http11 ? Framing::kChunked : Framing::kClose;
    StartWrite(c, status, RenderReply(std::move(reply), c.head_only, !c.keep_alive, framing), !c.keep_alive,
               CloseReason::kDone);
  }

  void ReplyError(Connection& c, int status) {
    c.in.clear();
    const CloseReason reason = status == 413 || status == 414 || status == 431 ? CloseReason::kTooLarge
                                                                               : CloseReason::kBadRequest;
    StartWrite(c, status, RenderReply(PlainReply(status), false, true), true, reason);
  }

  void StartWrite(Connection& c, int status, std::string bytes, bool close_after, CloseReason reason) {
    c.state = State::kWriting;
    c.out = std::move(bytes);
    c.out_offset = 0;
    c.close_after_write = close_after;
    c.close_reason = reason;
    c.write_started = clock_.Now();
    c.deadline = c.write_started + options_.write_timeout;
    c.deadline_reason = CloseReason::kWriteTimeout;
    if (options_.observer) options_.observer->OnReply(status);
    Flush(c);
  }

  void Flush(Connection& c) {
    while (true) {
      if (c.out_offset == c.out.size()) {
        if (c.stream == nullptr) break;
        const StreamStep step = TakeStream(c);
        if (step == StreamStep::kMore) continue;
        if (step == StreamStep::kWait) return;
        if (step == StreamStep::kCut) {
          Close(c, CloseReason::kDone);
          return;
        }
        SetCork(c.fd, false);  // the last partial segment goes now
        break;  // the body is complete
      }
      // Read before writing: a client must not see bytes before the clock says they were sent.
      const base::SteadyTime now = c.stream ? clock_.Now() : base::SteadyTime();
      const IoResult r = Write(c, c.out.data() + c.out_offset, c.out.size() - c.out_offset);
      if (r.io == Io::kProgress) {
        c.out_offset += r.bytes;
        if (c.stream) {  // a moving client keeps its stream
          c.write_started = now;
          c.deadline = now + options_.write_timeout;
        }
        continue;
      }
      if (r.io == Io::kWantRead || r.io == Io::kWantWrite) {
        Await(c, r.io);
        return;
      }
      Close(c, FailureReason(c));
      return;
    }
    std::string().swap(c.out);  // a scrape's reply is large: do not keep it per connection
    c.out_offset = 0;
    if (c.close_after_write) {
      if (c.close_reason == CloseReason::kDone || c.ssl != nullptr) {
        Close(c, c.close_reason);
        return;
      }
      StartDrain(c);
      return;
    }
    // Keep-alive: the next request may be in `in` already (pipelined), or buffered inside TLS
    // where epoll cannot see it; it is read from the loop, not from here, to bound recursion.
    c.state = State::kReadingHead;
    c.head_started = !c.in.empty();
    // Counted from the start of the write: the clock is not read again after bytes the client
    // may already have seen.
    c.deadline = c.write_started + (c.head_started ? options_.header_timeout : options_.idle_timeout);
    c.deadline_reason = c.head_started ? CloseReason::kHeaderTimeout : CloseReason::kIdleTimeout;
    SetInterest(c, EPOLLIN);
    runnable_.push_back(c.id);
  }

  enum class StreamStep { kMore, kWait, kComplete, kCut };

  // A streamed body is written in pieces whose chunk framing seldom ends on a segment boundary:
  // corked, the kernel sends only full segments until the body is complete, where each piece
  // would otherwise leave a small segment of its own behind (TCP_NODELAY), and every segment
  // costs a trip through the stack on both sides (on loopback, 10-15 % of a plain scrape). When
  // the producer pauses, a partial segment waits at most the kernel's 200 ms; the end of the
  // body uncorks at once.
  static void SetCork(int fd, bool on) {
    const int value = on ? 1 : 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof(value));
  }

  // Takes the bytes a producer has written since last time into `c.out`, which is written.
  StreamStep TakeStream(Connection& c) {
    Stream& s = *c.stream;
    std::unique_lock<std::mutex> lock(s.mu);
    if (!s.pending.empty()) {
      c.out.clear();
      c.out.swap(s.pending);  // the two buffers trade places: neither is reallocated
      c.out_offset = 0;
      s.idle_fd = -1;
      lock.unlock();
      s.cv.notify_all();
      c.write_started = clock_.Now();
      c.deadline = c.write_started + options_.write_timeout;
      return StreamStep::kMore;
    }
    if (!s.done) {
      // The producer is behind the client: nothing to write, no deadline (the producer is ours
      // and always finishes); it sends its next bytes itself while the socket takes them, and
      // hands over what it does not take, which wakes this thread (PumpStreams).
      if (c.ssl == nullptr) s.idle_fd = c.fd;
      c.deadline = base::SteadyTime::max();
      SetInterest(c, 0);
      return StreamStep::kWait;
    }
    const bool failed = s.failed;
    lock.unlock();
    streams_.erase(c.id);
    c.stream.reset();
    return failed ? StreamStep::kCut : StreamStep::kComplete;
  }

  // Lets every waiting stream take what its producer wrote.
  void PumpStreams() {
    const std::vector<std::uint64_t> ids(streams_.begin(), streams_.end());
    for (std::uint64_t id : ids) {
      Connection* c = Find(id);
      if (c != nullptr && c->stream != nullptr && c->out_offset == c->out.size()) Flush(*c);
    }
  }

  // Tells a producer its client is gone.
  static void EndStream(Stream& s) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.gone = true;
    }
    s.cv.notify_all();
  }

  void StartDrain(Connection& c) {
    shutdown(c.fd, SHUT_WR);
    c.state = State::kDraining;
    c.drained = 0;
    c.deadline = clock_.Now() + kDrainTime;
    c.deadline_reason = c.close_reason;
    SetInterest(c, EPOLLIN);
    Drain(c);
  }

  void Drain(Connection& c) {
    char buf[kReadChunk];
    while (c.drained < kDrainBytes) {
      const IoResult r = Read(c, buf, sizeof(buf));
      if (r.io == Io::kWantRead) return;
      if (r.io != Io::kProgress) break;
      c.drained += r.bytes;
    }
    Close(c, c.close_reason);
  }

  void RunRunnable() {
    std::vector<std::uint64_t> run;
    run.swap(runnable_);
    for (std::uint64_t id : run) {
      Connection* c = Find(id);
      if (c != nullptr && c->state == State::kReadingHead) ReadHead(*c);
    }
  }

  void TakeReplies() {
    std::vector<Done> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(done_);
    }
    for (Done& d : done) {
      Connection* c = Find(d.id);
      if (c == nullptr || c->state != State::kWaitingWorker) {
        if (d.stream) EndStream(*d.stream);  // the client left while the handler ran
        continue;
      }
      if (d.stream) {
        c->stream = d.stream;
        streams_.insert(c->id);
        SetCork(c->fd, true);
      }
      SendReply(*c, std::move(d.reply), d.streamed);
    }
  }

  void CheckDeadlines() {
    if (accept_paused_) {
      accept_paused_ = false;
      WatchListeners(EPOLLIN);
    }
    const base::SteadyTime now = clock_.Now();
    std::vector<std::uint64_t> expired;
    for (const auto& [id, c] : connections_) {
      if (now >= c->deadline) expired.push_back(id);
    }
    for (std::uint64_t id : expired) {
      Connection* c = Find(id);
      Close(*c, c->deadline_reason);
    }
  }

  void Close(Connection& c, CloseReason reason) {
    if (c.stream != nullptr) {
      EndStream(*c.stream);
      streams_.erase(c.id);
    }
    if (c.ssl != nullptr) {
      if (reason == CloseReason::kDone) {
        ERR_clear_error();
        SSL_shutdown(c.ssl);  // one non-blocking close_notify; the peer's answer is not awaited
      }
      SSL_free(c.ssl);
    }
    close(c.fd);  // also leaves the epoll set
    if (options_.observer) options_.observer->OnConnectionClosed(reason);
    const std::uint64_t id = c.id;  // not a reference into the element being erased
    connections_.erase(id);
  }

  void Wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof(one));
  }

  // --- the workers --------------------------------------------------------------------------

  void WorkerLoop() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        jobs_cv_.wait(lock, [this] { return workers_stop_ || !jobs_.empty(); });
        if (workers_stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      ServerReply reply = Handle(job.request);
      std::function<void(BodyWriter&)> produce = std::move(reply.stream);
      reply.stream = nullptr;
      std::shared_ptr<Stream> stream;
      if (produce && !job.head_only) stream = std::make_shared<Stream>();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (io_stopped_ && stream) {
          stream->gone = true;  // nobody will write it
        } else {
          done_.push_back({job.id, std::move(reply), produce != nullptr, stream});
        }
        if (!stream) --in_flight_;
      }
      Wake();
      if (!stream) continue;
      // The worker stays busy (counted in flight) until the body is written or abandoned.
      Produce(produce, *stream, job.chunked);
      {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
      }
    }
  }

  // Runs a producer into its stream and marks the end.
  void Produce(const std::function<void(BodyWriter&)>& produce, Stream& s, bool chunked) {
    bool failed = false;
    try {
      StreamWriter writer(*this, s, chunked);
      produce(writer);
    } catch (const ClientGone&) {  // nothing more to do: the connection is closed
    } catch (...) {
      failed = true;  // a bug of the producer's, seen mid-body: the client gets a cut body
    }
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (!failed && chunked && !s.gone) s.pending += "0\r\n\r\n";  // the last chunk
      s.done = true;
      s.failed = failed;
    }
    Wake();
  }

  // The producer's side of a stream: frames each piece and waits for room. While the I/O
  // thread has nothing left to write (Stream::idle_fd), a piece goes straight into the socket
  // from the producer's buffer, without a copy or a wake-up: a client that keeps up costs the
  // I/O thread nothing. What the socket does not take is handed over as before, and the I/O
  // thread writes it, waits for the client and enforces the write deadline.
  class StreamWriter final : public BodyWriter {
   public:
    StreamWriter(Impl& server, Stream& s, bool chunked) : server_(server), s_(s), chunked_(chunked) {}
    void Write(std::string_view data) override {
      if (data.empty() || thrown_) return;  // an empty chunk would end a chunked body
      std::unique_lock<std::mutex> lock(s_.mu);
      s_.cv.wait(lock, [&] { return s_.gone || s_.pending.size() < kStreamBuffer; });
      if (s_.gone) {
        thrown_ = true;
        throw ClientGone();
      }
      char size_line[24];
      std::size_t size_length = 0;
      if (chunked_) {
        size_length = static_cast<std::size_t>(fmt::format_to(size_line, "{:x}\r\n", data.size()) - size_line);
      }
      const std::string_view framing[3] = {{size_line, size_length}, data, chunked_ ? "\r\n" : ""};
      std::size_t sent = 0;
      if (s_.idle_fd >= 0 && s_.pending.empty()) sent = SendNow(framing);
      const bool was_empty = s_.pending.empty();
      for (std::string_view part : framing) {  // the rest, after the `sent` bytes
        const std::size_t skip = std::min(sent, part.size());
        sent -= skip;
        s_.pending.append(part.substr(skip));
      }
      if (s_.pending.empty()) return;  // all sent: the I/O thread goes on waiting
      s_.idle_fd = -1;
      lock.unlock();
      // The I/O thread takes pending bytes when it has written the previous ones: when there
      // were none, it may be waiting for these.
      if (was_empty) server_.Wake();
    }

   private:
    // Sends what the socket takes now, under s_.mu; returns the bytes sent. An error sends
    // nothing: the I/O thread meets it again when it writes the rest, and closes.
    std::size_t SendNow(const std::string_view (&parts)[3]) {
      iovec iov[3];
      int count = 0;
      for (std::string_view part : parts) {
        if (part.empty()) continue;
        iov[count].iov_base = const_cast<char*>(part.data());
        iov[count].iov_len = part.size();
        ++count;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(count);
      const ssize_t n = sendmsg(s_.idle_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

    Impl& server_;
    Stream& s_;
    const bool chunked_;
    bool thrown_ = false;
  };

  const ServerOptions options_;
  const RequestHandler& handler_;
  const base::Clock& clock_;
  int listen_fd_ = -1;
  int probe_fd_ = -1;  // ServerOptions::probe_socket, when set
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread io_thread_;
  std::vector<std::thread> workers_;

  // Owned by the I/O thread.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 3;  // after kListenerId, kWakeId and kProbeListenerId
  std::vector<std::uint64_t> runnable_;
  std::set<std::uint64_t> streams_;  // connections writing a streamed reply
  bool accept_paused_ = false;

  // Shared with the workers.
  std::mutex mu_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  std::vector<Done> done_;
  std::size_t in_flight_ = 0;  // requests queued or being handled (or streaming)
  bool workers_stop_ = false;
  bool io_stopped_ = false;  // the I/O thread has ended: no stream can be written
};

base::Expected<std::unique_ptr<Server>, std::string> Server::Start(ServerOptions options,
                                                                   const RequestHandler& handler) {
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  if (auto opened = impl->Open(); !opened.ok()) return base::Unexpected(opened.error());
  impl->StartThreads();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
int Server::port() const { return impl_->port(); }

}  // namespace kube9::http
