#include "http/openssl_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::http {
namespace {

using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

TEST(HeadersTest, NamesAreCaseInsensitiveAndTheFirstValueWins) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("Retry-After", "5");
  h.Add("retry-after", "7");
  EXPECT_EQ(h.Get("content-type"), "application/json");
  EXPECT_EQ(h.Get("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(h.Get("Retry-After"), "5");
  EXPECT_EQ(h.Get("Missing"), "");
  ASSERT_EQ(h.all().size(), 3u);
  EXPECT_EQ(h.all()[0].first, "content-type") << "stored lower-case";
  EXPECT_EQ(h.all()[2].second, "7") << "every value is kept";
}

// A plain-HTTP server on 127.0.0.1 and a kernel-chosen port, one connection at a time: it
// reads a request (headers and a Content-Length body), hands it to `reply`, which writes to
// the socket, and closes the connection. What is sent over loopback is the transport's real traffic.
class LoopbackServer {
 public:
  using Reply = std::function<void(int fd, const std::string& request, const std::atomic<bool>& stopping)>;

  explicit LoopbackServer(Reply reply) : reply_(std::move(reply)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listen_fd_, 8) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& t : connections_) t.join();
    close(listen_fd_);
  }

  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  static void Write(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Holds the connection open without sending anything, until the server is torn down.
  static void Hang(const std::atomic<bool>& stopping) {
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

 private:
  void Serve() {
    while (!stopping_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      // A thread per connection: a reply that hangs must not hold up the next request.
      connections_.emplace_back([this, fd] {
        std::string request;
        if (ReadRequest(fd, request)) {
          {
            std::lock_guard lock(mu_);
            requests_.push_back(request);
          }
          reply_(fd, request, stopping_);
        }
        close(fd);
      });
    }
  }
  bool ReadRequest(int fd, std::string& request) {
    char buf[4096];
    std::size_t want = std::string::npos;
    while (!stopping_ && request.size() < want) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      request.append(buf, static_cast<std::size_t>(n));
      if (const auto end = request.find("\r\n\r\n"); end != std::string::npos && want == std::string::npos) {
        std::size_t body = 0;
        if (const auto cl = request.find("Content-Length: "); cl != std::string::npos && cl < end) {
          body = std::stoul(request.substr(cl + 16));
        }
        want = end + 4 + body;
      }
    }
    return request.size() >= want;
  }

  Reply reply_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched by the accepting thread only, then joined
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// Records what a streamed response delivered; declines more after `accept_chunks` chunks.
class Recorder final : public StreamHandler {
 public:
  explicit Recorder(bool accept_headers = true, int accept_chunks = -1)
      : accept_headers_(accept_headers), accept_chunks_(accept_chunks) {}
  bool OnHeaders(int s, const Headers& h) override {
    status = s;
    headers = h;
    ++header_calls;
    return accept_headers_;
  }
  bool OnData(std::string_view chunk) override {
    body.append(chunk);
    ++chunks;
    return accept_chunks_ < 0 || chunks < accept_chunks_;
  }
  int status = 0;
  Headers headers;
  std::string body;
  int header_calls = 0;
  int chunks = 0;

 private:
  bool accept_headers_;
  int accept_chunks_;
};

// Chunked transfer encoding: each chunk reaches the transport, and so the handler, on its own.
void WriteChunk(int fd, std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  LoopbackServer::Write(fd, std::string(size) + std::string(data) + "\r\n");
}

class OpenSslTransportTest : public ::testing::Test {
 protected:
  OpenSslTransport transport_{TlsTrust{}, "kube9-operator/test"};
};

TEST_F(OpenSslTransportTest, SendReturnsStatusHeadersAndBodyAndSendsTheRequestAsGiven) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd,
                          "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Multi: first\r\n"
                          "X-Multi: second\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}");
  });
  Request req;
  req.method = "POST";
  req.url = server.url("/v1/things?x=1");
  req.headers = {{"Authorization", "Bearer t0k"}, {"Content-Type", "application/json"}};
  req.body = R"({"a":1})";
  auto resp = transport_.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->headers.Get("content-type"), "application/json");
  EXPECT_EQ(resp->headers.Get("X-MULTI"), "first");
  EXPECT_EQ(resp->body, R"({"ok":true})");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], ::testing::StartsWith("POST /v1/things?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nAuthorization: Bearer t0k\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nUser-Agent: kube9-operator/test\r\n"));
  EXPECT_THAT(requests[0], ::testing::Not(HasSubstr("Expect:"))) << "no 100-continue round trip";
  EXPECT_THAT(requests[0], ::testing::EndsWith("\r\n\r\n{\"a\":1}"));
}

TEST_F(OpenSslTransportTest, AnErrorStatusIsAResponseNotATransportError) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd,
                          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n"
                          "Connection: close\r\n\r\nbusy");
  });
  Request req;
  req.url = server.url();
  auto resp = transport_.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 503);
  EXPECT_EQ(resp->headers.Get("retry-after"), "7");
  EXPECT_EQ(resp->body, "busy");
}

TEST_F(OpenSslTransportTest, StreamDeliversHeadersThenEveryChunk) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                          "Connection: close\r\n\r\n");
    for (const char* line : {"{\"n\":1}\n", "{\"n\":2}\n", "{\"n\":3}\n"}) {
      WriteChunk(fd, line);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    LoopbackServer::Write(fd, "0\r\n\r\n");
  });
  Request req;
  req.url = server.url("/watch");
  Recorder rec;
  base::StopSignal stop;
  auto status = transport_.Stream(req, rec, stop);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(rec.header_calls, 1);
  EXPECT_EQ(rec.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(rec.body, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
}

TEST_F(OpenSslTransportTest, StreamOfAnEmptyBodyStillDeliversTheHeaders) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  Request req;
  req.url = server.url();
  Recorder rec;
  base::StopSignal stop;
  auto status = transport_.Stream(req, rec, stop);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, 404);
  EXPECT_EQ(rec.status, 404);
  EXPECT_EQ(rec.header_calls, 1);
}

TEST_F(OpenSslTransportTest, AHandlerThatDeclinesEndsTheStreamWithoutAnError) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>& stopping) {
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    WriteChunk(fd, "first\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    WriteChunk(fd, "second\n");
    LoopbackServer::Hang(stopping);  // the client must not wait for the rest
  });
  for (const bool at_headers : {false, true}) {
    Request req;
    req.url = server.url();
    Recorder rec(/*accept_headers=*/!at_headers, /*accept_chunks=*/1);
    base::StopSignal stop;
    const auto t0 = Steady::now();
    auto status = transport_.Stream(req, rec, stop);
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(*status, 200);
    EXPECT_EQ(rec.chunks, at_headers ? 0 : 1);
    EXPECT_EQ(rec.body, at_headers ? "" : "first\n");
    EXPECT_LT(Steady::now() - t0, std::chrono::seconds(5));
  }
}

TEST_F(OpenSslTransportTest, StopEndsAQuietStreamWithinAboutASecond) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>& stopping) {
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    WriteChunk(fd, "{}\n");
    LoopbackServer::Hang(stopping);  // a watch with nothing to say
  });
  Request req;
  req.url = server.url("/watch");
  req.timeout = base::Millis(0);
  req.stall_timeout = base::Millis(0);  // watches are legitimately quiet
  Recorder rec;
  base::StopSignal stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Stop();
  });
  const auto t0 = Steady::now();
  auto status = transport_.Stream(req, rec, stop);
  const auto took = Steady::now() - t0;
  stopper.join();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(rec.body, "{}\n");
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::milliseconds(2'500));
}

TEST_F(OpenSslTransportTest, CancelAbandonsASendThatGetsNoAnswer) {
  LoopbackServer server(
      [](int, const std::string&, const std::atomic<bool>& stopping) { LoopbackServer::Hang(stopping); });
  base::StopSignal cancel;
  Request req;
  req.url = server.url();
  req.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Stop();
  });
  const auto t0 = Steady::now();
  auto resp = transport_.Send(req);
  const auto took = Steady::now() - t0;
  canceller.join();
  EXPECT_FALSE(resp.ok()) << "a cancelled exchange has no response";
  EXPECT_LT(took, std::chrono::milliseconds(2'500));
}

TEST_F(OpenSslTransportTest, AServerThatAcceptsAndThenHangsIsAbandonedAfterTheStallTimeout) {
  LoopbackServer server(
      [](int, const std::string&, const std::atomic<bool>& stopping) { LoopbackServer::Hang(stopping); });
  Request req;
  req.url = server.url();
  req.timeout = std::chrono::seconds(60);
  req.stall_timeout = std::chrono::seconds(1);
  const auto t0 = Steady::now();
  auto resp = transport_.Send(req);
  const auto took = Steady::now() - t0;
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error().message, HasSubstr("too slow")) << "the stall limit decided it, not the timeout";
  EXPECT_TRUE(resp.error().timed_out) << "a stall is a timeout to callers that tell the two apart";
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(5));
}

// Request::max_response_bytes: a body at the limit is returned; beyond it the exchange ends
// with a TransportError marked response_too_large, whether the server announced its length
// (refused before the body is read) or streams it chunked (cut off once it passes the limit).
TEST_F(OpenSslTransportTest, ABodyOverTheRequestsLimitIsRefusedAndNotBuffered) {
  const std::string big(2 << 20, 'x');
  LoopbackServer server([&big](int fd, const std::string& request, const std::atomic<bool>&) {
    if (request.starts_with("GET /length")) {
      LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                                    "\r\nConnection: close\r\n\r\n" + big);
      return;
    }
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (std::size_t i = 0; i < big.size(); i += 64 << 10) WriteChunk(fd, std::string_view(big).substr(i, 64 << 10));
    LoopbackServer::Write(fd, "0\r\n\r\n");
  });
  for (const char* path : {"/length", "/chunked"}) {
    Request req;
    req.url = server.url(path);
    req.max_response_bytes = big.size();
    auto whole = transport_.Send(req);
    ASSERT_TRUE(whole.ok()) << path << ": " << whole.error().message;
    EXPECT_EQ(whole->body.size(), big.size()) << path;
    req.max_response_bytes = 1 << 20;
    auto cut = transport_.Send(req);
    ASSERT_FALSE(cut.ok()) << path;
    EXPECT_TRUE(cut.error().response_too_large) << path;
    EXPECT_EQ(cut.error().status, 200) << path;
    EXPECT_EQ(cut.error().message, "response body larger than 1 MiB") << path;
  }
  Request defaults;
  EXPECT_EQ(defaults.max_response_bytes, 16u << 20);
}

TEST_F(OpenSslTransportTest, ConnectionRefusedIsATransportError) {
  // A port that was just free: nothing listens on it.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  auto resp = transport_.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error().message, HasSubstr("onnect"));
  EXPECT_FALSE(resp.error().response_too_large);
  EXPECT_FALSE(resp.error().timed_out) << "refused is not a timeout";
  Recorder rec;
  base::StopSignal stop;
  auto streamed = transport_.Stream(req, rec, stop);
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(rec.header_calls, 0);
}

// Reads one more request (head and Content-Length body) from `fd`; "" when the peer closed.
std::string ReadAnotherRequest(int fd) {
  std::string request;
  char buf[4096];
  for (;;) {
    if (const auto end = request.find("\r\n\r\n"); end != std::string::npos) {
      std::size_t body = 0;
      if (const auto cl = request.find("Content-Length: "); cl != std::string::npos && cl < end) {
        body = std::stoul(request.substr(cl + 16));
      }
      if (request.size() >= end + 4 + body) return request;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 2'000) <= 0) return "";
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return "";
    request.append(buf, static_cast<std::size_t>(n));
  }
}

TEST_F(OpenSslTransportTest, AKeptAliveConnectionCarriesTheNextRequest) {
  std::atomic<int> second_requests{0};
  LoopbackServer server([&](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    if (ReadAnotherRequest(fd).starts_with("GET /second ")) {
      ++second_requests;
      LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n");
    }
  });
  Request req;
  req.url = server.url("/first");
  auto first = transport_.Send(req);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->body, "first");
  req.url = server.url("/second");
  auto second = transport_.Send(req);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->body, "second");
  EXPECT_EQ(second_requests, 1) << "the second request came on the first connection";
  EXPECT_EQ(server.requests().size(), 1u) << "one connection accepted";
}

TEST_F(OpenSslTransportTest, AKeptAliveConnectionTheServerClosedIsNotReused) {
  LoopbackServer server([](int fd, const std::string&, const std::atomic<bool>&) {
    // Keep-alive announced, then the connection closes (the server's idle timeout).
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  Request req;
  req.url = server.url();
  for (int i = 0; i < 3; ++i) {
    auto resp = transport_.Send(req);
    ASSERT_TRUE(resp.ok()) << i << ": " << resp.error().message;
    EXPECT_EQ(resp->body, "ok");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(OpenSslTransportProxyTest, PlainHttpGoesToTheProxyInAbsoluteFormWithItsCredentials) {
  LoopbackServer proxy([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  ProxySettings settings;
  settings.http_proxy = "http://kube9:p%40ss@127.0.0.1:" + proxy.url().substr(proxy.url().rfind(':') + 1);
  settings.http_proxy.pop_back();  // the trailing "/" of url()
  OpenSslTransport transport(TlsTrust{}, "kube9-operator/test", settings);
  Request req;
  req.url = "http://kube9.example.invalid:8080/register?x=1";
  auto resp = transport.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->body, "ok");
  const auto requests = proxy.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], ::testing::StartsWith("GET http://kube9.example.invalid:8080/register?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nHost: kube9.example.invalid:8080\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nProxy-Authorization: Basic a3ViZTk6cEBzcw==\r\n")) << "kube9:p@ss";
}

TEST(OpenSslTransportProxyTest, HttpsIsTunnelledAndARefusedTunnelSaysWhy) {
  LoopbackServer proxy([](int fd, const std::string&, const std::atomic<bool>&) {
    LoopbackServer::Write(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  });
  ProxySettings settings;
  settings.https_proxy = proxy.url();
  settings.no_proxy = "localhost, 10.0.0.0/8";
  OpenSslTransport transport(TlsTrust{}, "kube9-operator/test", settings);
  Request req;
  req.url = "https://kube9.example.invalid/v1";
  auto resp = transport.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.error().message, "CONNECT tunnel failed, response 403");
  const auto requests = proxy.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], ::testing::StartsWith("CONNECT kube9.example.invalid:443 HTTP/1.1\r\n"));
  EXPECT_THAT(requests[0], ::testing::Not(HasSubstr("/v1"))) << "nothing of the request crosses in clear";
  // NO_PROXY covers 10.0.0.0/8: a direct (refused) connection, which the proxy never sees.
  req.url = "https://10.255.255.1:1/";
  req.connect_timeout = base::Millis(200);
  EXPECT_FALSE(transport.Send(req).ok());
  EXPECT_EQ(proxy.requests().size(), 1u);
}

TEST(NoProxyTest, NamesMatchThemselvesAndSubdomainsAndAddressesMatchTheirNetworks) {
  const std::string list = " .cluster.local,example.com ,10.0.0.0/8, 192.168.1.7,[::1], fd00::/8";
  EXPECT_TRUE(NoProxyCovers(list, "kubernetes.default.svc.cluster.local"));
  EXPECT_TRUE(NoProxyCovers(list, "cluster.local"));
  EXPECT_TRUE(NoProxyCovers(list, "EXAMPLE.com"));
  EXPECT_TRUE(NoProxyCovers(list, "api.example.com"));
  EXPECT_FALSE(NoProxyCovers(list, "badexample.com")) << "a suffix only at a dot";
  EXPECT_TRUE(NoProxyCovers(list, "10.96.0.1"));
  EXPECT_FALSE(NoProxyCovers(list, "11.0.0.1"));
  EXPECT_TRUE(NoProxyCovers(list, "192.168.1.7"));
  EXPECT_FALSE(NoProxyCovers(list, "192.168.1.8"));
  EXPECT_TRUE(NoProxyCovers(list, "::1"));
  EXPECT_TRUE(NoProxyCovers(list, "fd12::5"));
  EXPECT_FALSE(NoProxyCovers(list, "localhost")) << "loopback is not special";
  EXPECT_FALSE(NoProxyCovers("127.0.0.1", "localhost"));
  EXPECT_TRUE(NoProxyCovers("*", "anything.example"));
  EXPECT_FALSE(NoProxyCovers("", "anything.example"));
}

}  // namespace
}  // namespace kube9::http
