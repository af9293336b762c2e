#include "http/server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/unix_client.h"

// The server over loopback sockets. Deadlines run on a FakeClock that the tests advance; the
// only real waits are bounded reads of what the server sends (a safety net, never a delay).
namespace kube9::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kSafety = std::chrono::seconds(5);

// Counts what the server reports and lets a test wait for a count.
class RecordingObserver : public ServerObserver {
 public:
  void OnConnectionOpened() override { Update([&] { ++opened_; }); }
  void OnConnectionClosed(CloseReason reason) override { Update([&] { ++closed_[reason]; }); }
  void OnReply(int status) override { Update([&] { ++replies_[status]; }); }

  bool WaitOpened(int n) { return WaitUntil([&] { return opened_ >= n; }); }
  bool WaitClosed(CloseReason reason, int n) { return WaitUntil([&] { return closed_[reason] >= n; }); }
  bool WaitReplies(int status, int n) { return WaitUntil([&] { return replies_[status] >= n; }); }
  int closed(CloseReason reason) {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_[reason];
  }
  int replies(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    return replies_[status];
  }
  int open() {
    std::lock_guard<std::mutex> lock(mu_);
    int closed = 0;
    for (const auto& [r, n] : closed_) closed += n;
    return opened_ - closed;
  }

 private:
  void Update(const std::function<void()>& f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      f();
    }
    cv_.notify_all();
  }
  bool WaitUntil(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kSafety, done);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int opened_ = 0;
  std::map<CloseReason, int> closed_;
  std::map<int, int> replies_;
};

// The byte at `offset` of a streamed test body: a pattern a lost or repeated piece would break.
char PatternAt(std::size_t offset) { return static_cast<char>('a' + (offset * 7 + offset / 65536) % 26); }

// /healthz is cheap; /slow blocks its worker until released; /big is 32 MiB; /stream streams
// "a", "bb", "" and "ccc"; /stream-big streams `query` pieces of 64 KiB of PatternAt (forever
// when the query is empty, up to 256 MiB); /stream-fail throws after a piece; anything else
// echoes the method, path, query and whether it came over TLS.
class TestHandler : public RequestHandler {
 public:
  static constexpr std::size_t kPiece = 64 * 1024;

  bool IsCheap(const ServerRequest& r) const override { return r.path == "/healthz"; }
  ServerReply Handle(const ServerRequest& r) const override {
    if (r.path == "/stream") {
      return {200, "text/plain", "ignored", {}, [](BodyWriter& w) {
                w.Write("a");
                w.Write("bb");
                w.Write("");
                w.Write("ccc");
              }};
    }
    if (r.path == "/stream-fail") {
      return {200, "text/plain", "", {}, [](BodyWriter& w) {
                w.Write("partial");
                throw std::runtime_error("a bug");
              }};
    }
    if (r.path == "/stream-big") {
      const std::size_t pieces = r.query.empty() ? (256u << 20) / kPiece : std::stoul(r.query);
      return {200, "application/octet-stream", "", {}, [this, pieces](BodyWriter& w) {
                ++producers_started_;
                std::string piece(kPiece, 0);
                try {
                  for (std::size_t i = 0; i < pieces; ++i) {
                    for (std::size_t j = 0; j < kPiece; ++j) piece[j] = PatternAt(i * kPiece + j);
                    w.Write(piece);
                    produced_ += kPiece;
                  }
                } catch (const ClientGone&) {
                  ++producers_stopped_;
                  throw;
                }
              }};
    }
    if (r.path == "/slow") {
      std::unique_lock<std::mutex> lock(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
      return {200, "text/plain", "slow\n", {}};
    }
    if (r.path == "/big") return {200, "application/octet-stream", std::string(32 << 20, 'x'), {}};
    return {200, "text/plain", r.method + " " + r.path + " " + r.query + (r.tls ? " tls" : "") + (r.probe_socket ? " probe" : ""),
            {{"X-Test", "1"}}};
  }
  std::size_t produced() const { return produced_.load(); }
  int producers_started() const { return producers_started_.load(); }
  int producers_stopped() const { return producers_stopped_.load(); }
  bool WaitBlocked(int n) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kSafety, [&] { return blocked_ >= n; });
  }
  void Release() const {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int blocked_ = 0;
  mutable bool released_ = false;
  mutable std::atomic<std::size_t> produced_{0};  // bytes the /stream-big producers wrote
  mutable std::atomic<int> producers_started_{0};
  mutable std::atomic<int> producers_stopped_{0};  // by ClientGone
};

// Waits (up to kSafety) until `done` holds.
bool Eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + kSafety;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// A blocking client socket whose reads give up after kSafety.
class Client {
 public:
  explicit Client(int port, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(kSafety.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One whole reply (head and Content-Length body), or what arrived before EOF/timeout.
  std::string ReadReply(bool head_only = false) {
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) return std::exchange(buffer_, "");
    }
    const std::size_t head_end = buffer_.find("\r\n\r\n") + 4;
    std::size_t length = 0;
    const auto cl = buffer_.find("Content-Length: ");
    if (cl != std::string::npos && cl < head_end) length = std::stoul(buffer_.substr(cl + 16));
    if (head_only) length = 0;
    while (buffer_.size() < head_end + length) {
      if (!Fill()) break;
    }
    std::string reply = buffer_.substr(0, head_end + length);
    buffer_.erase(0, reply.size());
    return reply;
  }

  // One chunked reply: its head, and its body decoded; `complete` when the last chunk came.
  struct Chunked {
    std::string head;
    std::string body;
    bool complete = false;
  };
  // `each` is called after every read, with the bytes of body decoded so far.
  Chunked ReadChunked(const std::function<void(std::size_t)>& each = nullptr) {
    Chunked out;
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) return out;
    }
    const std::size_t head_end = buffer_.find("\r\n\r\n") + 4;
    out.head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end);
    while (true) {
      const std::size_t line = buffer_.find("\r\n");
      if (line != std::string::npos) {
        const std::size_t size = std::stoul(buffer_.substr(0, line), nullptr, 16);
        if (buffer_.size() >= line + 2 + size + 2) {
          if (buffer_.compare(line + 2 + size, 2, "\r\n") != 0) return out;  // bad framing
          out.body.append(buffer_, line + 2, size);
          buffer_.erase(0, line + 2 + size + 2);
          if (size == 0) {
            out.complete = true;
            return out;
          }
          continue;
        }
      }
      if (!Fill()) return out;
      if (each) each(out.body.size());
    }
  }

  // Everything until the server closes the connection.
  std::string ReadToClose() {
    while (Fill()) {
    }
    return std::exchange(buffer_, "");
  }

  // True when the server closed the connection (EOF or reset) before kSafety.
  bool WaitClosed() {
    char buf[4096];
    while (true) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool Fill() {
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.clock = &clock_;
    options_.observer = &observer_;
    options_.tick = base::Millis(5);
  }
  ~ServerTest() override {
    handler_.Release();  // a worker still blocked would hold up the server's destructor
  }

  void Start() {
    auto started = Server::Start(options_, handler_);
    ASSERT_TRUE(started.ok()) << started.error();
    server_ = std::move(started).value();
  }

  base::FakeClock clock_;
  RecordingObserver observer_;
  TestHandler handler_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAliveServesRequestsOnOneConnectionInTheUsualFormat) {
  Start();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(c.ReadReply(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nX-Test: 1\r\n\r\nGET /metrics x=1");
  c.Send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(c.ReadReply(), HasSubstr("\r\n\r\nGET /healthz "));
  // HEAD: the same head, no body.
  c.Send("HEAD /other HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(c.ReadReply(true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nX-Test: 1\r\n\r\n");
  EXPECT_EQ(observer_.replies(200), 3);
  EXPECT_EQ(observer_.open(), 1);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  Client c(server_->port());
  c.Send("GET /a HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(c.ReadReply(), HasSubstr("GET /a "));
  EXPECT_THAT(c.ReadReply(), HasSubstr("GET /healthz "));
  const std::string last = c.ReadReply();
  EXPECT_THAT(last, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(last, HasSubstr("GET /c "));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kDone, 1));
}

TEST_F(ServerTest, Http10GetsOneReplyAndAClose) {
  Start();
  Client c(server_->port());
  c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_THAT(c.ReadReply(), AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("Connection: close\r\n")));
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, ARequestBodyIs413AndTheConnectionCloses) {
  Start();
  Client c(server_->port());
  c.Send("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_THAT(c.ReadReply(), AllOf(StartsWith("HTTP/1.1 413 Content Too Large\r\n"), HasSubstr("Connection: close")));
  EXPECT_TRUE(c.WaitClosed());
  c.Close();  // the server drops what the client still sends until it closes (or for a second)
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kTooLarge, 1));
  EXPECT_EQ(observer_.replies(413), 1);
}

TEST_F(ServerTest, OversizedHeadsAre431And414) {
  options_.limits.max_head = 1024;
  options_.limits.max_request_line = 256;
  Start();
  Client big_header(server_->port());
  big_header.Send("GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'b'));  // 1 MiB, never finished
  EXPECT_THAT(big_header.ReadReply(), StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_TRUE(big_header.WaitClosed());
  Client long_path(server_->port());
  long_path.Send("GET /" + std::string(64 << 10, 'p'));
  EXPECT_THAT(long_path.ReadReply(), StartsWith("HTTP/1.1 414 URI Too Long\r\n"));
  EXPECT_TRUE(long_path.WaitClosed());
  long_path.Close();
  Client garbage(server_->port());
  garbage.Send(std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15));  // TLS to a plain port
  EXPECT_THAT(garbage.ReadReply(), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(garbage.WaitClosed());
  garbage.Close();
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kTooLarge, 2));
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kBadRequest, 1));
}

TEST_F(ServerTest, HeaderDeadlineClosesASlowlorisButNotAnIdleKeepAliveClient) {
  options_.header_timeout = base::Millis(5'000);
  options_.idle_timeout = base::Millis(60'000);
  Start();
  Client slow(server_->port());
  Client silent(server_->port());
  Client idle(server_->port());
  idle.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(idle.ReadReply(), StartsWith("HTTP/1.1 200 OK"));
  slow.Send("GET /healthz HTTP/1.1\r\nX-A: ");
  ASSERT_TRUE(observer_.WaitOpened(3));
  clock_.Advance(base::Millis(4'000));
  slow.Send("a");  // progress does not extend the deadline: the whole head is due in 5 s
  clock_.Advance(base::Millis(1'001));
  EXPECT_TRUE(slow.WaitClosed());
  EXPECT_TRUE(silent.WaitClosed());  // a connection that never sends a byte is one too
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kHeaderTimeout, 2));
  // The keep-alive client between requests has the longer idle timeout.
  idle.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(idle.ReadReply(), StartsWith("HTTP/1.1 200 OK"));
  clock_.Advance(base::Millis(60'001));
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kIdleTimeout, 1));
}

TEST_F(ServerTest, ProbesAreAnsweredWhileEveryWorkerIsBusy) {
  options_.workers = 2;
  options_.queue_limit = 1;
  Start();
  Client slow1(server_->port()), slow2(server_->port()), queued(server_->port()), rejected(server_->port());
  slow1.Send("GET /slow HTTP/1.1\r\n\r\n");
  slow2.Send("GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(handler_.WaitBlocked(2));
  queued.Send("GET /slow HTTP/1.1\r\n\r\n");
  for (int i = 0; i < 20; ++i) {
    Client probe(server_->port());
    probe.Send("GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_THAT(probe.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
  }
  // `queued` was read before the first probe (it arrived earlier): the queue is full now.
  rejected.Send("GET /slow HTTP/1.1\r\n\r\n");
  EXPECT_THAT(rejected.ReadReply(), AllOf(StartsWith("HTTP/1.1 503 Service Unavailable\r\n"),
                                          HasSubstr("Retry-After: 1\r\n")));
  handler_.Release();
  EXPECT_THAT(slow1.ReadReply(), HasSubstr("slow"));
  EXPECT_THAT(slow2.ReadReply(), HasSubstr("slow"));
  EXPECT_THAT(queued.ReadReply(), HasSubstr("slow"));
}

TEST_F(ServerTest, AFullServerEvictsItsOldestIdleConnectionForANewOne) {
  options_.max_connections = 3;
  Start();
  Client oldest(server_->port());
  ASSERT_TRUE(observer_.WaitOpened(1));
  Client second(server_->port()), third(server_->port());
  ASSERT_TRUE(observer_.WaitOpened(3));
  Client probe(server_->port());
  probe.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(probe.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(oldest.WaitClosed());
  EXPECT_EQ(observer_.closed(CloseReason::kLimit), 1);
  EXPECT_EQ(observer_.open(), 3);
  second.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(second.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(ServerTest, AClientThatDoesNotReadItsReplyIsClosedAtTheWriteDeadline) {
  options_.write_timeout = base::Millis(10'000);
  Start();
  Client c(server_->port(), 4096);
  c.Send("GET /big HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(observer_.WaitOpened(1));
  ASSERT_TRUE(observer_.WaitReplies(200, 1));
  clock_.Advance(base::Millis(10'001));
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kWriteTimeout, 1));
}

TEST_F(ServerTest, ATakenPortIsAClearError) {
  Start();
  ServerOptions again = options_;
  again.port = server_->port();
  auto second = Server::Start(again, handler_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(server_->port())));
  EXPECT_THAT(second.error(), HasSubstr("in use"));
}

TEST_F(ServerTest, StopsPromptlyWithConnectionsOpen) {
  Start();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<Client>(server_->port()));
  clients[0]->Send("GET /healthz HTTP/1.1\r\nX-Half: ");
  ASSERT_TRUE(observer_.WaitOpened(20));
  const auto start = std::chrono::steady_clock::now();
  server_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(observer_.open(), 0);
  EXPECT_TRUE(clients[0]->WaitClosed());
}


// --- streamed replies --------------------------------------------------------------------

TEST_F(ServerTest, AStreamedReplyIsChunkedAndTheConnectionIsKeptAlive) {
  Start();
  Client c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
  const Client::Chunked r = c.ReadChunked();
  EXPECT_EQ(r.head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(r.body, "abbccc");  // "ignored" (the reply's `body`) is not sent; the empty piece is no chunk
  EXPECT_TRUE(r.complete);
  c.Send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(ServerTest, AStreamedReplysLastBytesAndTheNextReplyAreNotHeldBack) {
  // A stream is written corked (full segments only); the end of the body must uncork, or its
  // last partial segment, and every small reply after it on the connection, would wait for the
  // kernel's 200 ms cork timer. The fastest of five rounds, so that a loaded machine's stalls
  // do not count.
  Start();
  Client c(server_->port());
  auto fastest = std::chrono::steady_clock::duration::max();
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    c.Send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
    const Client::Chunked r = c.ReadChunked();
    ASSERT_TRUE(r.complete);
    ASSERT_EQ(r.body, "abbccc");
    c.Send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_THAT(c.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
    fastest = std::min(fastest, std::chrono::steady_clock::now() - start);
  }
  EXPECT_LT(fastest, std::chrono::milliseconds(100));
}

TEST_F(ServerTest, TheExactChunkFraming) {
  Start();
  Client c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.ReadToClose(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n");
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kDone, 1));
}

TEST_F(ServerTest, AStreamedReplyToHttp10EndsWithTheConnection) {
  Start();
  Client c(server_->port());
  c.Send("GET /stream HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c.ReadToClose(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nabbccc");
}

TEST_F(ServerTest, HeadOfAStreamedReplyHasItsHeadAndNoBodyAndDoesNotRunTheProducer) {
  Start();
  Client c(server_->port());
  c.Send("HEAD /stream-big?4 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.ReadReply(true),
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
  c.Send("GET /stream HTTP/1.1\r\n\r\n");  // nothing was left behind on the connection
  EXPECT_EQ(c.ReadChunked().body, "abbccc");
  EXPECT_EQ(handler_.producers_started(), 0);
}

TEST_F(ServerTest, ALargeStreamArrivesWholeAndInOrder) {
  Start();
  Client c(server_->port());
  c.Send("GET /stream-big?300 HTTP/1.1\r\n\r\n");  // 18.75 MiB
  const Client::Chunked r = c.ReadChunked();
  ASSERT_TRUE(r.complete);
  ASSERT_EQ(r.body.size(), 300 * TestHandler::kPiece);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < r.body.size(); ++i) wrong += r.body[i] != PatternAt(i) ? 1 : 0;
  EXPECT_EQ(wrong, 0u);
}

TEST_F(ServerTest, ASlowButMovingReaderIsNotCutByTheWriteDeadline) {
  options_.write_timeout = base::Millis(10'000);
  Start();
  Client c(server_->port(), 16384);
  c.Send("GET /stream-big?512 HTTP/1.1\r\n\r\n");  // 32 MiB
  // 3 s pass whenever the reader sees that the producer wrote more, which it can only do after
  // the client took what was written: the whole body takes more than the 10 s deadline, but no
  // 10 s pass without the client taking some. How many pieces fit in the sockets' buffers between
  // two looks varies (the producer writes into the socket itself while the client keeps up), so
  // the body is large enough for several looks whatever the kernel's buffer sizes.
  std::size_t seen = 0;
  const Client::Chunked r = c.ReadChunked([&](std::size_t) {
    if (handler_.produced() != seen) {
      seen = handler_.produced();
      clock_.Advance(base::Millis(3'000));
    }
  });
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size(), 512 * TestHandler::kPiece);
  EXPECT_GT(clock_.Now() - base::SteadyTime(), options_.write_timeout);
  EXPECT_EQ(observer_.closed(CloseReason::kWriteTimeout), 0);
}

// A reader that keeps up is written to by the producer itself; one that pauses makes the
// producer hand its bytes to the I/O thread, and the producer writes itself again once that is
// drained. Switching between the two many times must neither lose, repeat nor reorder a byte.
TEST_F(ServerTest, AReaderThatPausesAndResumesGetsTheWholeBodyInOrder) {
  Start();
  Client c(server_->port(), 16384);
  constexpr std::size_t kPieces = 400;  // 25 MiB
  c.Send("GET /stream-big?" + std::to_string(kPieces) + " HTTP/1.1\r\n\r\n");
  std::size_t reads = 0;
  const Client::Chunked r = c.ReadChunked([&](std::size_t decoded) {
    // Every 64th read, stop reading until the producer is 3 pieces ahead (more than the
    // server's stream buffer): the sockets fill up and the rest waits for the I/O thread.
    if (++reads % 64 != 0) return;
    const std::size_t target = std::min(decoded + 3 * TestHandler::kPiece, kPieces * TestHandler::kPiece);
    Eventually([&] { return handler_.produced() >= target; });
  });
  ASSERT_TRUE(r.complete);
  ASSERT_EQ(r.body.size(), kPieces * TestHandler::kPiece);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < r.body.size(); ++i) wrong += r.body[i] != PatternAt(i) ? 1 : 0;
  EXPECT_EQ(wrong, 0u);
}

TEST_F(ServerTest, AStalledReaderHoldsItsProducerBackAndIsClosedAtTheWriteDeadline) {
  options_.write_timeout = base::Millis(10'000);
  Start();
  Client c(server_->port(), 4096);
  c.Send("GET /stream-big HTTP/1.1\r\n\r\n");  // 256 MiB, never read
  ASSERT_TRUE(Eventually([&] { return handler_.produced() > 0; }));
  // The server may still be filling the socket's buffers when the clock moves (progress
  // restarts the deadline): move it until the stalled connection is closed.
  for (int i = 0; i < 200 && observer_.closed(CloseReason::kWriteTimeout) == 0; ++i) {
    clock_.Advance(base::Millis(10'001));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kWriteTimeout, 1));
  EXPECT_TRUE(Eventually([&] { return handler_.producers_stopped() == 1; }));
  // Held back by the buffer bound: what it wrote is what the sockets hold and a few pieces.
  EXPECT_LT(handler_.produced(), std::size_t{32} << 20);
}

TEST_F(ServerTest, AClientLeavingMidStreamStopsTheProducerAndFreesTheWorker) {
  options_.workers = 1;
  options_.queue_limit = 0;
  Start();
  {
    Client c(server_->port());
    c.Send("GET /stream-big HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(Eventually([&] { return handler_.produced() > 0; }));
    // While it streams, the only worker is taken: another scrape is turned away, probes are not.
    Client other(server_->port());
    other.Send("GET /x HTTP/1.1\r\n\r\n");
    EXPECT_THAT(other.ReadReply(), StartsWith("HTTP/1.1 503 "));
    Client probe(server_->port());
    probe.Send("GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_THAT(probe.ReadReply(), StartsWith("HTTP/1.1 200 OK\r\n"));
  }  // closed with unread bytes: a reset
  EXPECT_TRUE(Eventually([&] { return handler_.producers_stopped() == 1; }));
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kPeer, 1));
  // The worker is free again once the producer has unwound (a moment after it stopped).
  EXPECT_TRUE(Eventually([&] {
    Client next(server_->port());
    next.Send("GET /x HTTP/1.1\r\n\r\n");
    return next.ReadReply().starts_with("HTTP/1.1 200 OK\r\n");
  }));
}

TEST_F(ServerTest, AProducerThatFailsMidStreamCutsTheBody) {
  Start();
  Client c(server_->port());
  c.Send("GET /stream-fail HTTP/1.1\r\n\r\n");
  const Client::Chunked r = c.ReadChunked();
  EXPECT_THAT(r.head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(r.body, "partial");
  EXPECT_FALSE(r.complete);  // no last chunk: the client knows the body is not whole
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, StopsPromptlyWhileStreaming) {
  Start();
  Client c(server_->port(), 4096);
  c.Send("GET /stream-big HTTP/1.1\r\n\r\n");  // never read: the producer waits for room
  ASSERT_TRUE(Eventually([&] { return handler_.produced() > 0; }));
  const auto start = std::chrono::steady_clock::now();
  server_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(handler_.producers_stopped(), 1);
}

// --- TLS -----------------------------------------------------------------------------------

// A throwaway self-signed P-256 certificate for 127.0.0.1, in a server context.
std::shared_ptr<SSL_CTX> SelfSignedContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return std::shared_ptr<SSL_CTX>(ctx, SSL_CTX_free);
}

// A blocking TLS client over a connected Client (certificate not verified: it is throwaway).
class TlsClient {
 public:
  explicit TlsClient(Client& c) : ctx_(SSL_CTX_new(TLS_client_method())), ssl_(SSL_new(ctx_)) {
    SSL_set_fd(ssl_, c.fd());
    handshake_ok_ = SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  // Everything until the server closes the connection (or kSafety).
  std::string ExchangeToClose(std::string_view request) {
    SSL_write(ssl_, request.data(), static_cast<int>(request.size()));
    std::string reply;
    char buf[16384];
    while (true) {
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    return reply;
  }
  std::string Exchange(std::string_view request) {
    SSL_write(ssl_, request.data(), static_cast<int>(request.size()));
    std::string reply;
    char buf[4096];
    while (true) {
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
      const auto head_end = reply.find("\r\n\r\n");
      const auto cl = reply.find("Content-Length: ");
      if (head_end != std::string::npos && cl != std::string::npos &&
          reply.size() >= head_end + 4 + std::stoul(reply.substr(cl + 16))) {
        break;
      }
    }
    return reply;
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  bool handshake_ok_ = false;
};

TEST_F(ServerTest, TlsHandshakeAndKeepAliveRequests) {
  auto ctx = SelfSignedContext();
  options_.tls_context = [ctx] { return ctx; };
  Start();
  Client c(server_->port());
  TlsClient tls(c);
  ASSERT_TRUE(tls.handshake_ok());
  EXPECT_THAT(tls.Exchange("GET /x?y HTTP/1.1\r\nHost: a\r\n\r\n"), HasSubstr("\r\n\r\nGET /x y tls"));
  EXPECT_THAT(tls.Exchange("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), HasSubstr("\r\n\r\nGET /healthz  tls"));
  EXPECT_EQ(observer_.replies(200), 2);
}

// A fresh directory for Unix sockets, removed with what is in it.
class SocketDir {
 public:
  SocketDir() {
    char tmpl[] = "/tmp/kube9-server-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~SocketDir() { std::filesystem::remove_all(path_); }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

TEST_F(ServerTest, TheProbeSocketAnswersInPlainHttpBesideATlsPort) {
  SocketDir dir;
  auto ctx = SelfSignedContext();
  options_.tls_context = [ctx] { return ctx; };
  options_.probe_socket = dir / "probe.sock";
  Start();
  struct stat st {};
  ASSERT_EQ(lstat(options_.probe_socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "only the operator's user may connect";

  // Marked as the probe socket's, not TLS, and answered on the I/O thread or a worker alike.
  auto cheap = GetOverUnixSocket(options_.probe_socket, "/healthz", base::Millis(5000));
  ASSERT_TRUE(cheap.ok()) << cheap.error();
  EXPECT_EQ(cheap->status, 200);
  auto other = GetOverUnixSocket(options_.probe_socket, "/x?y", base::Millis(5000));
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_EQ(other->body, "GET /x y probe");
  // The TCP port still wants TLS, and its requests are not the probe socket's.
  Client c(server_->port());
  TlsClient tls(c);
  ASSERT_TRUE(tls.handshake_ok());
  EXPECT_THAT(tls.Exchange("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"), HasSubstr("\r\n\r\nGET /x  tls"));

  server_.reset();
  EXPECT_NE(lstat(options_.probe_socket.c_str(), &st), 0) << "removed when the server stops";
}

TEST_F(ServerTest, AStaleProbeSocketIsReplacedAndAnyOtherFileRefused) {
  SocketDir dir;
  options_.probe_socket = dir / "probe.sock";
  {
    // What a killed process leaves: a socket file nobody listens on.
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    const sockaddr_un addr = UnixSocketAddress(options_.probe_socket).value();
    ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    close(fd);
  }
  Start();
  auto answer = GetOverUnixSocket(options_.probe_socket, "/healthz", base::Millis(5000));
  ASSERT_TRUE(answer.ok()) << answer.error();
  EXPECT_EQ(answer->status, 200);
  server_.reset();

  options_.probe_socket = dir / "a-file";
  std::ofstream(options_.probe_socket) << "data\n";
  auto refused = Server::Start(options_, handler_);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr(options_.probe_socket + ": not a socket"));
  EXPECT_TRUE(std::filesystem::is_regular_file(options_.probe_socket)) << "left as it was";
}

TEST(UnixClientTest, SaysWhyThereIsNoAnswer) {
  SocketDir dir;
  auto missing = GetOverUnixSocket(dir / "none.sock", "/healthz", base::Millis(1000));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("none.sock: connect: No such file or directory"));

  // A socket that accepts and never answers: the timeout ends the wait.
  const std::string path = dir / "mute.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  const sockaddr_un addr = UnixSocketAddress(path).value();
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  const auto start = std::chrono::steady_clock::now();
  auto mute = GetOverUnixSocket(path, "/readyz", base::Millis(300));
  const auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_FALSE(mute.ok());
  EXPECT_THAT(mute.error(), HasSubstr("no complete response in time"));
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(ServerTest, AStreamedReplyOverTls) {
  auto ctx = SelfSignedContext();
  options_.tls_context = [ctx] { return ctx; };
  Start();
  Client c(server_->port());
  TlsClient tls(c);
  ASSERT_TRUE(tls.handshake_ok());
  const std::string reply = tls.ExchangeToClose("GET /stream-big?40 HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("Transfer-Encoding: chunked\r\n"));
  // 40 pieces of 64 KiB, each framed: "10000\r\n" + data + "\r\n"; then "0\r\n\r\n".
  const std::size_t head = reply.find("\r\n\r\n") + 4;
  EXPECT_EQ(reply.size() - head, 40 * (7 + TestHandler::kPiece + 2) + 5);
  EXPECT_TRUE(reply.ends_with("\r\n0\r\n\r\n"));
}

TEST_F(ServerTest, PlainHttpOnATlsPortIsATlsErrorAndAStalledHandshakeTimesOut) {
  auto ctx = SelfSignedContext();
  options_.tls_context = [ctx] { return ctx; };
  options_.header_timeout = base::Millis(5'000);
  Start();
  Client plain(server_->port());
  plain.Send("GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(plain.WaitClosed());
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kTlsError, 1));
  Client stalled(server_->port());
  stalled.Send("\x16\x03\x01");  // the start of a ClientHello, and nothing more
  ASSERT_TRUE(observer_.WaitOpened(2));
  clock_.Advance(base::Millis(5'001));
  EXPECT_TRUE(stalled.WaitClosed());
  EXPECT_TRUE(observer_.WaitClosed(CloseReason::kHeaderTimeout, 1));
}

TEST(CloseReasonTest, NamesAreTheMetricLabels) {
  std::vector<std::string_view> names;
  for (CloseReason r : kAllCloseReasons) names.push_back(CloseReasonName(r));
  EXPECT_THAT(names, ::testing::ElementsAre("peer", "done", "header_timeout", "idle_timeout", "limit", "too_large",
                                            "bad_request", "tls_error", "write_timeout"));
}

}  // namespace
}  // namespace kube9::http
