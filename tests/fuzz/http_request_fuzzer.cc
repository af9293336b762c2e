// The HTTP server's request heads (http::ParseRequestHead), whatever a client sends to /metrics
// and the probes. The input's first byte picks the limits (odd: small ones, so that 414 and 431
// are reached), the rest is the buffer. Checked against the parser's documented contract: results
// only as documented, the head alone parses the same, prefixes are incomplete (or the same error),
// and the parsed request is normalised (lower-case names, no '?' in the path).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "http/request_parser.h"

namespace {

using kube9::http::ParseRequestHead;
using kube9::http::ParseResult;
using kube9::http::ParseStatus;

bool SameHead(const ParseResult& a, const ParseResult& b) {
  const auto &x = a.head, &y = b.head;
  return x.request.method == y.request.method && x.request.path == y.request.path &&
         x.request.query == y.request.query && x.request.headers.all() == y.request.headers.all() &&
         x.head_length == y.head_length && x.content_length == y.content_length && x.http11 == y.http11 &&
         x.keep_alive == y.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  kube9::http::RequestLimits limits;
  if (data[0] & 1) limits = {64, 256, 4};
  const std::string_view buffer(reinterpret_cast<const char*>(data) + 1, size - 1);

  const ParseResult r = ParseRequestHead(buffer, limits);
  switch (r.status) {
    case ParseStatus::kIncomplete:
      KUBE9_FUZZ_CHECK(buffer.size() <= limits.max_head);
      break;
    case ParseStatus::kError:
      KUBE9_FUZZ_CHECK(r.error_status == 400 || r.error_status == 414 || r.error_status == 431 ||
                       r.error_status == 501 || r.error_status == 505);
      KUBE9_FUZZ_CHECK(!r.error.empty());
      break;
    case ParseStatus::kComplete: {
      const auto& h = r.head;
      KUBE9_FUZZ_CHECK(h.head_length <= std::min(buffer.size(), limits.max_head));
      KUBE9_FUZZ_CHECK(!h.request.method.empty());
      KUBE9_FUZZ_CHECK(h.request.path.find('?') == std::string::npos);
      KUBE9_FUZZ_CHECK(h.http11 || !h.keep_alive);
      KUBE9_FUZZ_CHECK(h.request.headers.all().size() <= limits.max_header_fields);
      for (const auto& [name, value] : h.request.headers.all()) {
        KUBE9_FUZZ_CHECK(!name.empty());
        KUBE9_FUZZ_CHECK(std::none_of(name.begin(), name.end(), [](unsigned char c) { return std::isupper(c); }));
        KUBE9_FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                                           value.back() != '\t'));
      }
      // The head alone parses the same: what follows it (a body, the next request) is not read.
      const ParseResult alone = ParseRequestHead(buffer.substr(0, h.head_length), limits);
      KUBE9_FUZZ_CHECK(alone.status == ParseStatus::kComplete && SameHead(alone, r));
      break;
    }
  }

  // Prefixes, as the bytes arrive: incomplete, or the error the whole buffer has.
  const std::size_t end = r.status == ParseStatus::kComplete ? r.head.head_length : buffer.size();
  const std::size_t step = end <= 512 ? 1 : end / 256;
  for (std::size_t n = 0; n < end; n += step) {
    const ParseResult p = ParseRequestHead(buffer.substr(0, n), limits);
    if (r.status == ParseStatus::kError) {
      KUBE9_FUZZ_CHECK(p.status == ParseStatus::kIncomplete ||
                       (p.status == ParseStatus::kError && p.error_status == r.error_status));
    } else {
      KUBE9_FUZZ_CHECK(p.status == ParseStatus::kIncomplete);
    }
  }
  return 0;
}
