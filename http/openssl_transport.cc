#include "http/openssl_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/thread.h"
#include "http/header_text.h"
#include "http/response_reader.h"

namespace kube9::http {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::size_t kMaxIdleConnections = 4;
// How often a wait wakes up to look at the stop and cancel signals.
constexpr auto kStopTick = std::chrono::milliseconds(1'000);
// Where Debian (and the distroless image) keep the system's CAs; libcurl's built-in default.
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

bool ParsePort(std::string_view s, int& port) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return false;
  port = v;
  return true;
}

// host[:port] or [v6][:port]; `host` comes back without brackets.
bool SplitHostPort(std::string_view authority, std::string& host, int& port) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view rest;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(authority.substr(1, close - 1));
    rest = authority.substr(close + 1);
  } else {
    const auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (host.empty()) return false;
  if (!rest.empty()) {
    if (rest.front() != ':' || !ParsePort(rest.substr(1), port)) return false;
  }
  return true;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// host, or [host] for an IPv6 literal, plus :port.
std::string Authority(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  int port = 0;
  std::string target;       // origin-form: path and query
  std::string host_header;  // as sent in Host:
};

base::Expected<Url, std::string> ParseUrl(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return base::Unexpected(fmt::format("URL without a scheme: {}", url));
  const std::string scheme = Lower(url.substr(0, sep));
  Url out;
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.port = 80;
  } else {
    return base::Unexpected(fmt::format("Protocol \"{}\" not supported", scheme));
  }
  std::string_view rest = url.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path);
  if (!SplitHostPort(authority, out.host, out.port)) return base::Unexpected(fmt::format("URL with a bad host: {}", url));
  // The request target: the path and query, "/" when there is neither, "/?q" for a bare query.
  // (Built whole rather than assigned or inserted into: GCC 12 at -O3 warns falsely about
  // std::string's copies otherwise, bug 105329.)
  out.target = path == std::string_view::npos ? std::string(1, '/')
               : rest[path] == '?'           ? fmt::format("/{}", rest.substr(path))
                                             : std::string(rest.substr(path));
  const bool default_port = out.port == (out.tls ? 443 : 80);
  const std::string bracketed = out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  out.host_header = default_port ? bracketed : fmt::format("{}:{}", bracketed, out.port);
  return out;
}

std::string PercentDecode(std::string_view s) {
  const auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

struct Proxy {
  std::string host;
  int port = 1080;  // libcurl's default proxy port
  std::string authorization;  // "Basic ..." or ""
};

base::Expected<Proxy, std::string> ParseProxy(std::string_view spec) {
  std::string_view rest = TrimLine(spec);
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    const std::string scheme = Lower(rest.substr(0, sep));
    // The proxy's address only: what it is given is never in a message (it may hold a password).
    if (scheme != "http") return base::Unexpected(fmt::format("unsupported proxy scheme \"{}\" (only http://)", scheme));
    rest.remove_prefix(sep + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  Proxy p;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    const std::string user = PercentDecode(userinfo.substr(0, colon));
    const std::string password = colon == std::string_view::npos ? "" : PercentDecode(userinfo.substr(colon + 1));
    p.authorization = "Basic " + Base64(user + ":" + password);
    rest.remove_prefix(at + 1);
  }
  if (!SplitHostPort(rest, p.host, p.port)) return base::Unexpected(std::string("the proxy's address is not host[:port]"));
  return p;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// OpenSSL's queued errors. Its error strings are not loaded (they cost about 0.3 MiB of RSS,
// see Context()), so a code is shown as OpenSSL prints it without them ("error:0A000086:...",
// which `openssl errstr 0A000086` spells out), except a TLS alert from the peer, named here.
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    if (!out.empty()) out += "; ";
    const int reason = ERR_GET_REASON(e);
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET) {
      out += fmt::format("TLS alert from the peer: {}", SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET));
      continue;
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

// OpenSSL writes with write(2): to a peer that hung up, that raises SIGPIPE. While an exchange
// runs, SIGPIPE is blocked in its thread (the write fails with EPIPE instead) and any that
// became pending is taken before the mask is restored, as libcurl did.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1 && sigismember(&old_, SIGPIPE) != 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec zero{0, 0};
      sigtimedwait(&pipe, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

ProxySettings ProxySettings::FromEnvironment() {
  ProxySettings p;
  const std::string all = !Getenv("all_proxy").empty() ? Getenv("all_proxy") : Getenv("ALL_PROXY");
  p.https_proxy = !Getenv("https_proxy").empty() ? Getenv("https_proxy") : Getenv("HTTPS_PROXY");
  if (p.https_proxy.empty()) p.https_proxy = all;
  p.http_proxy = Getenv("http_proxy");
  if (p.http_proxy.empty()) p.http_proxy = all;
  p.no_proxy = !Getenv("no_proxy").empty() ? Getenv("no_proxy") : Getenv("NO_PROXY");
  return p;
}

namespace {

// `ip` in `network`/`bits` (both the same family); bits < 0: the whole address.
bool InNetwork(std::string_view ip, std::string_view network, int bits) {
  unsigned char a[sizeof(in6_addr)] = {};
  unsigned char b[sizeof(in6_addr)] = {};
  const std::string ip_s(ip), net_s(network);
  int len = 0;
  if (inet_pton(AF_INET, ip_s.c_str(), a) == 1 && inet_pton(AF_INET, net_s.c_str(), b) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, ip_s.c_str(), a) == 1 && inet_pton(AF_INET6, net_s.c_str(), b) == 1) {
    len = 16;
  } else {
    return false;
  }
  if (bits < 0 || bits > len * 8) bits = len * 8;
  for (int i = 0; i < bits / 8; ++i) {
    if (a[i] != b[i]) return false;
  }
  if (const int r = bits % 8; r != 0) {
    const auto mask = static_cast<unsigned char>(0xff << (8 - r));
    if ((a[bits / 8] & mask) != (b[bits / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

bool NoProxyCovers(std::string_view no_proxy, std::string_view host) {
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  while (host.ends_with('.')) host.remove_suffix(1);
  const bool host_is_ip = IsIpLiteral(std::string(host));
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    std::string_view entry = TrimLine(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view() : no_proxy.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (host_is_ip) {
      int bits = -1;
      if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
        if (!ParsePort(entry.substr(slash + 1), bits) && entry.substr(slash + 1) != "0") continue;
        if (entry.substr(slash + 1) == "0") bits = 0;
        entry = entry.substr(0, slash);
      }
      if (entry.starts_with('[') && entry.ends_with(']')) entry = entry.substr(1, entry.size() - 2);
      if (InNetwork(host, entry, bits)) return true;
      continue;
    }
    if (entry.starts_with('.')) entry.remove_prefix(1);
    while (entry.ends_with('.')) entry.remove_suffix(1);
    if (entry.empty()) continue;
    if (EqualsIgnoreCase(host, entry)) return true;
    if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
        EqualsIgnoreCase(host.substr(host.size() - entry.size()), entry)) {
      return true;
    }
  }
  return false;
}

// One TCP connection, with TLS when `ssl` is set. Sockets are non-blocking; every wait is a
// poll bounded by the exchange's limits.
class OpenSslTransport::Connection {
 public:
  Connection(std::string key, int fd) : key_(std::move(key)), fd_(fd) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& key() const { return key_; }
  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }
  void set_ssl(SSL* ssl) { ssl_ = ssl; }
  bool reused = false;

  // An idle pooled connection the server closed (or sent something unasked on) is unusable.
  bool StillUsable() const {
    pollfd pfd{fd_, POLLIN, 0};
    return poll(&pfd, 1, 0) == 0;
  }

 private:
  std::string key_;
  int fd_;
  SSL* ssl_ = nullptr;
};

// One exchange's limits, signals and outcome.
struct OpenSslTransport::Exchange {
  const Request* request = nullptr;
  StreamHandler* handler = nullptr;  // null: Send(), which buffers the body
  const base::StopSignal* stop = nullptr;
  Steady::time_point started = Steady::now();
  Steady::time_point last_progress = Steady::now();
  std::optional<Steady::time_point> connect_deadline;  // while connecting
  Response response;
  std::uint64_t received = 0;
  bool stopped = false;              // the stop or cancel signal fired
  bool declined = false;             // the handler asked to end the stream
  bool reusable = false;             // the response ended cleanly on a keep-alive connection
  bool stack_released = false;       // a quiet stream gave its thread's unused stack back
  std::optional<TransportError> error;

  bool Fail(std::string message, bool timed_out = false) {
    TransportError e{std::move(message)};
    e.timed_out = timed_out;
    error = std::move(e);
    return false;
  }
  void Progress(std::size_t n) {
    last_progress = Steady::now();
    received += n;
  }
  bool Stopped() const {
    return (stop != nullptr && stop->stopped()) || (request->cancel != nullptr && request->cancel->stopped());
  }

  // Waits until `fd` is ready for `events`. False when a limit or a signal ended the wait
  // (error or stopped set).
  bool Wait(int fd, short events) {
    for (;;) {
      if (Stopped()) {
        stopped = true;
        return false;
      }
      const auto now = Steady::now();
      auto until = now + kStopTick;
      if (request->timeout.count() > 0) {
        const auto deadline = started + request->timeout;
        if (now >= deadline) {
          return Fail(fmt::format("Operation timed out after {} milliseconds with {} bytes received",
                                  std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count(), received),
                      true);
        }
        until = std::min(until, deadline);
      }
      if (connect_deadline) {
        if (now >= *connect_deadline) {
          return Fail(fmt::format("Connection timed out after {} milliseconds",
                                  std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count()),
                      true);
        }
        until = std::min(until, *connect_deadline);
      } else if (request->stall_timeout.count() > 0) {
        const auto deadline = last_progress + request->stall_timeout;
        if (now >= deadline) {
          return Fail(fmt::format("Operation too slow: nothing received or sent for {} seconds",
                                  std::chrono::duration_cast<std::chrono::seconds>(request->stall_timeout).count()),
                      true);
        }
        until = std::min(until, deadline);
      }
      pollfd pfd{fd, events, 0};
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
      const int r = poll(&pfd, 1, static_cast<int>(std::max<long long>(ms, 1)));
      if (r > 0) return true;  // ready, or an error the next read or write reports
      if (r == 0 && handler != nullptr && !stack_released) {
        // A stream quiet for a tick (a watch between events): its thread waits here for most of
        // its life, so the stack the handshake and the LIST pages used deeper is given back.
        stack_released = true;
        base::ReleaseUnusedStack();
      }
      if (r < 0 && errno != EINTR) return Fail(fmt::format("poll failed: {}", std::strerror(errno)));
    }
  }
};

namespace {

using Exchange = OpenSslTransport::Exchange;
using Connection = OpenSslTransport::Connection;

bool WriteAll(Connection& c, std::string_view data, Exchange& ex) {
  while (!data.empty()) {
    if (c.ssl() != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(c.ssl(), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        ex.last_progress = Steady::now();
        continue;
      }
      const int e = SSL_get_error(c.ssl(), n);
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        if (!ex.Wait(c.fd(), e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN)) return false;
        continue;
      }
      if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        return ex.Fail(fmt::format("Send failure: {}", std::strerror(errno != 0 ? errno : EPIPE)));
      }
      return ex.Fail("TLS send failure: " + OpenSslErrors());
    }
    const ssize_t n = send(c.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      ex.last_progress = Steady::now();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!ex.Wait(c.fd(), POLLOUT)) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return ex.Fail(fmt::format("Send failure: {}", std::strerror(errno)));
  }
  return true;
}

// Reads what is there, waiting for at least one byte. >0: bytes; 0: the peer closed; <0: failed
// or stopped (ex says which).
long ReadSome(Connection& c, char* buf, std::size_t cap, Exchange& ex) {
  for (;;) {
    if (c.ssl() != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(c.ssl(), buf, static_cast<int>(cap));
      if (n > 0) {
        ex.Progress(static_cast<std::size_t>(n));
        return n;
      }
      const int e = SSL_get_error(c.ssl(), n);
      if (e == SSL_ERROR_ZERO_RETURN) return 0;
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!ex.Wait(c.fd(), e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) return -1;
        continue;
      }
      if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        if (errno == 0) return 0;
        ex.Fail(fmt::format("Recv failure: {}", std::strerror(errno)));
        return -1;
      }
      ex.Fail("TLS receive failure: " + OpenSslErrors());
      return -1;
    }
    const ssize_t n = recv(c.fd(), buf, cap, 0);
    if (n > 0) {
      ex.Progress(static_cast<std::size_t>(n));
      return n;
    }
    if (n == 0) return 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!ex.Wait(c.fd(), POLLIN)) return -1;
      continue;
    }
    if (errno == EINTR) continue;
    ex.Fail(fmt::format("Recv failure: {}", std::strerror(errno)));
    return -1;
  }
}

// A connection's bytes for a ResponseReader, each wait bounded by the exchange's limits.
class ConnectionSource final : public ByteSource {
 public:
  ConnectionSource(Connection& c, Exchange& ex) : c_(c), ex_(ex) {}
  bool WaitReadable() override {
    if (c_.ssl() != nullptr && SSL_has_pending(c_.ssl()) == 1) return true;  // already decrypted
    return ex_.Wait(c_.fd(), POLLIN);
  }
  long Read(char* buf, std::size_t cap) override { return ReadSome(c_, buf, cap, ex_); }

 private:
  Connection& c_;
  Exchange& ex_;
};

// A response the reader found at fault: the exchange fails with its reason.
bool ReaderFailed(const ResponseReader& reader, Exchange& ex) {
  if (!reader.error().empty()) ex.Fail(reader.error());
  return false;
}

// Resolves and connects to host:port, trying each address in turn.
std::optional<int> ConnectTcp(const std::string& host, int port, Exchange& ex) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    ex.Fail(fmt::format("Could not resolve host: {} ({})", host, gai_strerror(rc)));
    return std::nullopt;
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!ex.Wait(fd, POLLOUT)) {
        close(fd);
        freeaddrinfo(res);
        if (ex.error) ex.error->message = fmt::format("Failed to connect to {} port {}: {}", host, port, ex.error->message);
        return std::nullopt;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last = std::strerror(errno);
      close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    freeaddrinfo(res);
    return fd;
  }
  freeaddrinfo(res);
  ex.Fail(fmt::format("Failed to connect to {} port {}: {}", host, port, last));
  return std::nullopt;
}

// PEM certificate (plus chain) and key for this connection.
bool UseClientCertificate(SSL* ssl, const Request& req, Exchange& ex) {
  BIO* cert_bio = BIO_new_mem_buf(req.client_cert_pem.data(), static_cast<int>(req.client_cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  bool ok = cert != nullptr && SSL_use_certificate(ssl, cert) == 1;
  X509_free(cert);
  while (ok) {
    X509* extra = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_add0_chain_cert(ssl, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  BIO_free(cert_bio);
  if (!ok) return ex.Fail("unable to use the client certificate: " + OpenSslErrors());
  ERR_clear_error();  // the end of the chain reads as an error
  BIO* key_bio = BIO_new_mem_buf(req.client_key_pem.data(), static_cast<int>(req.client_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  ok = key != nullptr && SSL_use_PrivateKey(ssl, key) == 1 && SSL_check_private_key(ssl) == 1;
  EVP_PKEY_free(key);
  BIO_free(key_bio);
  if (!ok) return ex.Fail("unable to use the client key: " + OpenSslErrors());
  return true;
}

bool Handshake(Connection& c, SSL_CTX* ctx, const Url& url, Exchange& ex) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return ex.Fail("SSL_new failed: " + OpenSslErrors());
  c.set_ssl(ssl);
  SSL_set_fd(ssl, c.fd());
  if (IsIpLiteral(url.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, url.host.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, url.host.c_str());
  }
  if (!ex.request->client_cert_pem.empty() && !UseClientCertificate(ssl, *ex.request, ex)) return false;
  for (;;) {
    ERR_clear_error();
    const int r = SSL_connect(ssl);
    if (r == 1) return true;
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!ex.Wait(c.fd(), e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) return false;
      continue;
    }
    if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK) {
      return ex.Fail(fmt::format("SSL certificate problem: {} (host {})", X509_verify_cert_error_string(v), url.host));
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return ex.Fail(fmt::format("TLS connect error: the connection to {} port {} closed during the handshake",
                                 url.host, url.port));
    }
    return ex.Fail(fmt::format("TLS connect error with {} port {}: {}", url.host, url.port, OpenSslErrors()));
  }
}

// CONNECT host:port through an HTTP proxy; true once the proxy answered 2xx.
bool Tunnel(Connection& c, const Proxy& proxy, const Url& url, const std::string& user_agent, Exchange& ex) {
  const std::string target = Authority(url.host, url.port);
  std::string req = fmt::format("CONNECT {} HTTP/1.1\r\nHost: {}\r\n", target, target);
  if (!proxy.authorization.empty()) req += "Proxy-Authorization: " + proxy.authorization + "\r\n";
  req += fmt::format("User-Agent: {}\r\nProxy-Connection: Keep-Alive\r\n\r\n", user_agent);
  if (!WriteAll(c, req, ex)) return false;
  ConnectionSource source(c, ex);
  ResponseReader reader(source);
  ResponseHead head;
  if (!reader.ReadHead(head)) return ReaderFailed(reader, ex);
  if (head.status / 100 != 2) return ex.Fail(fmt::format("CONNECT tunnel failed, response {}", head.status));
  if (!reader.empty()) return ex.Fail("the proxy sent data after its CONNECT response");
  return true;
}

}  // namespace

OpenSslTransport::OpenSslTransport(TlsTrust trust, std::string user_agent, ProxySettings proxy)
    : trust_(std::move(trust)), user_agent_(std::move(user_agent)), proxy_(std::move(proxy)) {}

OpenSslTransport::~OpenSslTransport() {
  idle_.clear();
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

base::Expected<SSL_CTX*, TransportError> OpenSslTransport::Context() {
  std::lock_guard lock(mu_);
  if (ctx_ != nullptr) return ctx_;
  // Without its error strings: loading them builds a table of some 2,600 entries and touches
  // the pages that hold them, about 0.3 MiB of RSS for messages OpenSslErrors() can do without.
  // (First come, first served: OpenSSL loads them or not once per process.)
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, nullptr);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return base::Unexpected(TransportError{"SSL_CTX_new failed: " + OpenSslErrors()});
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // Idle connections (a quiet watch) give their read and write buffers back, about 34 KiB each.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE);
  // A server that closes without close_notify ends a body framed by the connection's end; a
  // truncated framed body is still caught by its framing.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  bool loaded = true;
  std::string what;
  if (!trust_.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, trust_.ca_file.c_str(), nullptr) != 1) {
    loaded = false;
    what = "error setting certificate file: " + trust_.ca_file;
  }
  if (loaded && !trust_.ca_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(trust_.ca_pem.data(), static_cast<int>(trust_.ca_pem.size()));
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    int added = 0;
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (int i = 0; infos != nullptr && i < sk_X509_INFO_num(infos); ++i) {
      X509_INFO* info = sk_X509_INFO_value(infos, i);
      if (info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) == 1) ++added;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (added == 0) {
      loaded = false;
      what = "error setting certificate blob: no certificate in it";
    }
  }
  if (loaded && trust_.ca_file.empty() && trust_.ca_pem.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, kSystemCaBundle, nullptr) != 1) {
      ERR_clear_error();
      SSL_CTX_set_default_verify_paths(ctx);
    }
  }
  ERR_clear_error();
  if (!loaded) {
    SSL_CTX_free(ctx);
    return base::Unexpected(TransportError{what});
  }
  ctx_ = ctx;
  return ctx_;
}

std::unique_ptr<OpenSslTransport::Connection> OpenSslTransport::Acquire(const std::string& key) {
  std::lock_guard lock(mu_);
  for (auto it = idle_.begin(); it != idle_.end();) {
    if ((*it)->key() != key) {
      ++it;
      continue;
    }
    auto conn = std::move(*it);
    it = idle_.erase(it);
    if (conn->StillUsable()) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

void OpenSslTransport::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() >= kMaxIdleConnections) idle_.erase(idle_.begin());  // the oldest goes
  idle_.push_back(std::move(conn));
}

base::Expected<int, TransportError> OpenSslTransport::Run(const Request& request, Exchange& ex) {
  SigpipeGuard sigpipe;
  ex.request = &request;
  auto url = ParseUrl(request.url);
  if (!url.ok()) return base::Unexpected(TransportError{url.error()});
  std::optional<Proxy> proxy;
  const std::string& proxy_spec = url->tls ? proxy_.https_proxy : proxy_.http_proxy;
  if (!proxy_spec.empty() && !NoProxyCovers(proxy_.no_proxy, url->host)) {
    auto p = ParseProxy(proxy_spec);
    if (!p.ok()) return base::Unexpected(TransportError{p.error()});
    proxy = std::move(p).value();
  }
  SSL_CTX* ctx = nullptr;
  if (url->tls) {
    auto c = Context();
    if (!c.ok()) return base::Unexpected(c.error());
    ctx = *c;
  }
  // Connections are shared only between exchanges that would have made the same one.
  const std::string key =
      fmt::format("{}|{}|{}|{}", url->tls ? "https" : "http", Authority(url->host, url->port),
                  proxy ? Authority(proxy->host, proxy->port) + proxy->authorization : "",
                  std::hash<std::string>{}(request.client_cert_pem + request.client_key_pem));

  // The request, whole: one write (no Nagle stall between head and body).
  const bool forward = proxy && !url->tls;  // plain HTTP through a proxy: absolute-form target
  std::string head = fmt::format("{} {} HTTP/1.1\r\n", request.method,
                                 forward ? fmt::format("http://{}{}", url->host_header, url->target) : url->target);
  bool has_host = false, has_agent = false;
  for (const auto& [k, v] : request.headers) {
    has_host = has_host || EqualsIgnoreCase(k, "host");
    has_agent = has_agent || EqualsIgnoreCase(k, "user-agent");
  }
  if (!has_host) head += "Host: " + url->host_header + "\r\n";
  if (!has_agent) head += "User-Agent: " + user_agent_ + "\r\n";
  if (forward && !proxy->authorization.empty()) head += "Proxy-Authorization: " + proxy->authorization + "\r\n";
  for (const auto& [k, v] : request.headers) head += k + ": " + v + "\r\n";
  if (request.method != "GET" && request.method != "HEAD") head += fmt::format("Content-Length: {}\r\n", request.body.size());
  head += "\r\n";
  head += request.body;

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = attempt == 0 ? Acquire(key) : nullptr;
    if (!conn) {
      ex.connect_deadline = Steady::now() + request.connect_timeout;
      const std::string& host = proxy ? proxy->host : url->host;
      const int port = proxy ? proxy->port : url->port;
      auto fd = ConnectTcp(host, port, ex);
      if (!fd) break;
      conn = std::make_unique<Connection>(key, *fd);
      if (proxy && url->tls && !Tunnel(*conn, *proxy, *url, user_agent_, ex)) break;
      if (url->tls && !Handshake(*conn, ctx, *url, ex)) break;
      ex.connect_deadline.reset();
      ex.last_progress = Steady::now();
    }
    ConnectionSource source(*conn, ex);
    ResponseReader reader(source);
    bool reusable = false;
    const ReadOutcome outcome =
        WriteAll(*conn, head, ex)
            ? ReadResponse(reader, request.method, ex.handler, request.max_response_bytes, ex.response, reusable)
            : ReadOutcome::kNoHead;
    ReaderFailed(reader, ex);
    // A kept-alive connection the server had closed fails before any byte of a response: the
    // request was not processed, so it is sent again once on a new connection.
    if (outcome == ReadOutcome::kNoHead && conn->reused && !ex.stopped && !reader.got_bytes()) {
      ex.error.reset();
      continue;
    }
    if (outcome == ReadOutcome::kTooLarge) {
      return base::Unexpected(TransportError{
          fmt::format("response body larger than {}", base::FormatBytes(request.max_response_bytes)), true,
          ex.response.status});
    }
    if (outcome == ReadOutcome::kDeclined) {
      ex.declined = true;
      return ex.response.status;  // the connection, mid-response, is dropped
    }
    if (outcome != ReadOutcome::kComplete) break;
    if (reusable && reader.empty()) Release(std::move(conn));
    return ex.response.status;
  }
  if (ex.stopped) {
    if (ex.handler != nullptr) return ex.response.status;  // a stream we were told to end
    return base::Unexpected(TransportError{"the request was cancelled"});
  }
  return base::Unexpected(ex.error.value_or(TransportError{"the exchange failed"}));
}

base::Expected<Response, TransportError> OpenSslTransport::Send(const Request& request) {
  Exchange ex;
  auto status = Run(request, ex);
  if (!status.ok()) return base::Unexpected(std::move(status.error()));
  return std::move(ex.response);
}

base::Expected<int, TransportError> OpenSslTransport::Stream(const Request& request, StreamHandler& handler,
                                                             const base::StopSignal& stop) {
  Exchange ex;
  ex.handler = &handler;
  ex.stop = &stop;
  return Run(request, ex);
}

}  // namespace kube9::http
