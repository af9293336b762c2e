// The HTTP client's response reading (http/response_reader.h: status line, header fields, chunked
// bodies with extensions and trailers, Content-Length, bodies to the connection's end, Send()'s
// max_response_bytes bound, Stream()'s delivery to a StreamHandler), the code OpenSslTransport
// runs on what any server (the API server, kube9-server, Argo CD, a proxy) sends it. The bytes
// arrive in pieces of fuzzer-chosen sizes, as a socket may give them.
//
// Input: byte 0 picks the mode (bit 0: a well-formed response built from the rest, checked
// against it; else the rest is the response as is), the method (bit 1: HEAD), Send()'s limit
// (bits 2-3) and when the stream handler declines (bits 4-7); bytes 1-4 are the piece sizes,
// used in turn (0: a whole read).
//
// Checked: Send() never holds more than its limit; how the bytes are split changes nothing
// (outcome, status, headers, body, reusability, error); Stream() delivers the head once, before
// any data, no empty piece and nothing after the handler declined, and, when it does not
// decline, what Send() without a limit reads; a well-formed chunked or Content-Length body
// decodes to exactly what was framed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "http/response_reader.h"

namespace {

using kube9::http::ByteSource;
using kube9::http::Headers;
using kube9::http::ReadOutcome;
using kube9::http::ReadResponse;
using kube9::http::Response;
using kube9::http::ResponseReader;
using kube9::http::StreamHandler;

// `bytes`, given in pieces whose sizes cycle through `sizes` (0: as much as asked), then the end.
class PieceSource final : public ByteSource {
 public:
  PieceSource(std::string_view bytes, const std::uint8_t* sizes, std::size_t n_sizes)
      : bytes_(bytes), sizes_(sizes), n_sizes_(n_sizes) {}
  bool WaitReadable() override { return true; }
  long Read(char* buf, std::size_t cap) override {
    KUBE9_FUZZ_CHECK(cap > 0);
    KUBE9_FUZZ_CHECK(ends_ < 1'000);  // a reader that keeps asking after the end would hang on a socket
    if (bytes_.empty()) {
      ++ends_;
      return 0;
    }
    std::size_t n = n_sizes_ == 0 ? cap : sizes_[next_++ % n_sizes_];
    if (n == 0) n = cap;
    n = std::min({n, cap, bytes_.size()});
    std::copy_n(bytes_.data(), n, buf);
    bytes_.remove_prefix(n);
    return static_cast<long>(n);
  }

 private:
  std::string_view bytes_;
  const std::uint8_t* sizes_;
  std::size_t n_sizes_;
  std::size_t next_ = 0;
  std::size_t ends_ = 0;
};

class Recorder final : public StreamHandler {
 public:
  explicit Recorder(std::size_t decline_after) : decline_after_(decline_after) {}
  bool OnHeaders(int status, const Headers& headers) override {
    KUBE9_FUZZ_CHECK(!got_headers_ && !declined_);
    got_headers_ = true;
    status_ = status;
    headers_ = headers.all();
    return decline_after_ != 1;
  }
  bool OnData(std::string_view piece) override {
    KUBE9_FUZZ_CHECK(got_headers_ && !declined_);
    KUBE9_FUZZ_CHECK(!piece.empty());
    body_.append(piece);
    if (decline_after_ > 1 && body_.size() >= decline_after_ - 1) {
      declined_ = true;
      return false;
    }
    return true;
  }

  bool got_headers_ = false;
  bool declined_ = false;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;

 private:
  std::size_t decline_after_;  // 0: never; 1: at the head; n: once n-1 bytes arrived
};

struct Result {
  ReadOutcome outcome;
  Response response;
  bool reusable = false;
  std::string error;
};

Result SendOver(std::string_view bytes, const std::uint8_t* sizes, std::size_t n_sizes, std::string_view method,
                std::size_t max_body) {
  PieceSource source(bytes, sizes, n_sizes);
  ResponseReader reader(source);
  Result r;
  r.outcome = ReadResponse(reader, method, nullptr, max_body, r.response, r.reusable);
  r.error = reader.error();
  KUBE9_FUZZ_CHECK(r.response.body.size() <= max_body);
  KUBE9_FUZZ_CHECK(!r.reusable || r.outcome == ReadOutcome::kComplete);
  KUBE9_FUZZ_CHECK(r.outcome != ReadOutcome::kDeclined);
  if (r.outcome != ReadOutcome::kNoHead) KUBE9_FUZZ_CHECK(r.response.status >= 100 && r.response.status <= 999);
  // The reader blames the response (error set) exactly when the source did not fail: a buffer
  // never fails, so every unsuccessful outcome but a too-large body says why.
  if (r.outcome == ReadOutcome::kNoHead || r.outcome == ReadOutcome::kFailed) KUBE9_FUZZ_CHECK(!r.error.empty());
  return r;
}

// The same reading. A body over the limit is dropped by Send(), so how much of it came before
// the piece that crossed the limit does not matter.
bool Same(const Result& a, const Result& b) {
  return a.outcome == b.outcome && a.response.status == b.response.status &&
         a.response.headers.all() == b.response.headers.all() &&
         (a.outcome == ReadOutcome::kTooLarge || a.response.body == b.response.body) && a.reusable == b.reusable &&
         a.error == b.error;
}

constexpr std::size_t kLimits[] = {0, 5, 1000, std::numeric_limits<std::size_t>::max()};

// A well-formed response carrying `body`: chunked (sizes from `sizes`, with extensions and
// trailer fields when `variant` says) or with a Content-Length.
std::string Frame(std::string_view body, std::uint8_t variant, const std::uint8_t* sizes, std::size_t n_sizes) {
  std::string out = (variant & 1) != 0 ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                       : fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", body.size());
  if ((variant & 2) != 0) out += "X-Folded: a\r\n\tb\r\n";
  out += "\r\n";
  if ((variant & 1) == 0) return out + std::string(body);
  for (std::size_t i = 0; !body.empty(); ++i) {
    std::size_t n = std::max<std::size_t>(1, sizes[i % n_sizes]);
    n = std::min(n * ((variant & 4) != 0 ? 97 : 1), body.size());
    out += (variant & 8) != 0 ? fmt::format("{:04X}", n) : fmt::format("{:x}", n);
    if ((variant & 16) != 0) out += " ;name=\"v;x\";flag";
    out += "\r\n";
    out += body.substr(0, n);
    out += (variant & 32) != 0 ? "\n" : "\r\n";
    body.remove_prefix(n);
  }
  out += "0\r\n";
  if ((variant & 64) != 0) out += "Checksum: abc\r\nOther: x\r\n";
  return out + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t* sizes = data + 1;
  constexpr std::size_t kSizes = 4;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 5, size - 5);
  const std::string_view method = (flags & 2) != 0 ? "HEAD" : "GET";
  const std::size_t max_body = kLimits[(flags >> 2) & 3];
  constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

  if ((flags & 1) != 0) {
    // A well-formed response: it decodes to exactly the body it frames.
    if (rest.empty()) return 0;
    const std::uint8_t variant = static_cast<std::uint8_t>(rest[0]);
    const std::string_view body = rest.substr(1);
    const std::string response = Frame(body, variant, sizes, kSizes);
    const Result r = SendOver(response, sizes, kSizes, "GET", kNoLimit);
    KUBE9_FUZZ_CHECK(r.outcome == ReadOutcome::kComplete);
    KUBE9_FUZZ_CHECK(r.response.status == 200 && r.reusable);
    KUBE9_FUZZ_CHECK(r.response.body == body);
    if ((variant & 2) != 0) KUBE9_FUZZ_CHECK(r.response.headers.Get("x-folded") == "a b");
    const Result limited = SendOver(response, sizes, kSizes, "GET", max_body);
    KUBE9_FUZZ_CHECK(limited.outcome == (body.size() > max_body ? ReadOutcome::kTooLarge : ReadOutcome::kComplete));
    PieceSource source(response, sizes, kSizes);
    ResponseReader reader(source);
    Recorder recorder(0);
    Response streamed;
    bool reusable = false;
    KUBE9_FUZZ_CHECK(ReadResponse(reader, "GET", &recorder, 0, streamed, reusable) == ReadOutcome::kComplete);
    KUBE9_FUZZ_CHECK(reusable && recorder.body_ == body && reader.empty());
    return 0;
  }

  // Any bytes: Send() within its limit, and the same whatever the split.
  const Result split = SendOver(rest, sizes, kSizes, method, max_body);
  const Result whole = SendOver(rest, nullptr, 0, method, max_body);
  KUBE9_FUZZ_CHECK(Same(split, whole));

  // Stream(): the handler's contract, and the body Send() reads without a limit.
  const Result unlimited = SendOver(rest, sizes, kSizes, method, kNoLimit);
  const std::size_t decline_after = flags >> 4;  // 0: never
  PieceSource source(rest, sizes, kSizes);
  ResponseReader reader(source);
  Recorder recorder(decline_after);
  Response streamed;
  bool reusable = false;
  const ReadOutcome outcome = ReadResponse(reader, method, &recorder, 0, streamed, reusable);
  KUBE9_FUZZ_CHECK(outcome != ReadOutcome::kTooLarge);
  KUBE9_FUZZ_CHECK(recorder.got_headers_ || recorder.body_.empty());
  if (outcome == ReadOutcome::kDeclined) {
    KUBE9_FUZZ_CHECK(decline_after != 0 && !reusable);
  } else {
    KUBE9_FUZZ_CHECK(!recorder.declined_);
  }
  if (decline_after == 0) {
    KUBE9_FUZZ_CHECK(outcome == unlimited.outcome && reusable == unlimited.reusable);
    KUBE9_FUZZ_CHECK(recorder.body_ == unlimited.response.body);
    KUBE9_FUZZ_CHECK(reader.error() == unlimited.error);
    if (recorder.got_headers_) {
      KUBE9_FUZZ_CHECK(recorder.status_ == unlimited.response.status);
      KUBE9_FUZZ_CHECK(recorder.headers_ == unlimited.response.headers.all());
    }
  } else {
    // What was delivered before declining is a prefix of the whole body.
    KUBE9_FUZZ_CHECK(unlimited.response.body.starts_with(recorder.body_));
  }
  return 0;
}
