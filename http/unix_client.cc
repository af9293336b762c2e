#include "http/unix_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "http/response_reader.h"

namespace kube9::http {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;

// Closes the descriptor when the request is over, whichever way.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Waits for `events` on `fd` until `deadline`; false when the time is up or the wait failed.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    // Rounded up: poll then returns at the deadline or after it, never just before.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

class SocketSource final : public ByteSource {
 public:
  SocketSource(int fd, std::chrono::steady_clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
  bool WaitReadable() override { return WaitFor(fd_, POLLIN, deadline_); }
  long Read(char* buf, std::size_t cap) override {
    for (;;) {
      const ssize_t n = recv(fd_, buf, cap, 0);
      if (n >= 0 || errno != EINTR) return static_cast<long>(n);
    }
  }

 private:
  int fd_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

std::optional<sockaddr_un> UnixSocketAddress(std::string_view path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return std::nullopt;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

base::Expected<Response, std::string> GetOverUnixSocket(const std::string& path, std::string_view target,
                                                        base::Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fail = [&](std::string_view what) {
    return base::Unexpected(fmt::format("GET {} on {}: {}", target, path, what));
  };
  const std::optional<sockaddr_un> addr = UnixSocketAddress(path);
  if (!addr) return fail("not a usable Unix socket path");
  Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return fail(std::strerror(errno));
  // A Unix socket's connect does not wait: it succeeds, or fails (EAGAIN: the backlog is full).
  if (connect(s.fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    return fail(fmt::format("connect: {}", std::strerror(errno)));
  }
  const std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", target);
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      if (!WaitFor(s.fd, POLLOUT, deadline)) return fail("timed out sending the request");
    } else {
      return fail(fmt::format("send: {}", std::strerror(errno)));
    }
  }
  SocketSource source(s.fd, deadline);
  ResponseReader reader(source);
  Response response;
  bool reusable = false;
  switch (ReadResponse(reader, "GET", nullptr, kMaxBody, response, reusable)) {
    case ReadOutcome::kComplete:
      return response;
    case ReadOutcome::kTooLarge:
      return fail("the response body is over 64 KiB");
    default:
      if (!reader.error().empty()) return fail(reader.error());
      return fail(std::chrono::steady_clock::now() >= deadline ? "no complete response in time"
                                                               : "the connection ended without a complete response");
  }
}

}  // namespace kube9::http
