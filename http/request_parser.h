#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/server.h"

// Parsing of an HTTP/1.x request head (request line and header fields), kept apart from the
// server's sockets so that it can be tested byte by byte and fuzzed. RequestLimits is in
// http/server.h, with the server's other options.
namespace kube9::http {

enum class ParseStatus {
  kIncomplete,  // a prefix of a head that may still become valid: read more bytes
  kComplete,    // `head` is filled in
  kError,       // `error_status` says which HTTP error to answer before closing
};

struct ParsedHead {
  ServerRequest request;         // `tls` is left false: the parser does not know
  std::size_t head_length = 0;   // bytes of `buffer` taken by the head, blank line included
  std::uint64_t content_length = 0;  // the body the client announced (0 when none)
  bool http11 = true;            // HTTP/1.1; false for HTTP/1.0
  bool keep_alive = true;        // HTTP/1.1 without `Connection: close`; never for HTTP/1.0
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  ParsedHead head;        // only when kComplete
  int error_status = 0;   // only when kError: 400, 414, 431, 501 or 505
  std::string_view error; // only when kError: a short static reason, for logs and tests
};

// Parses the request head at the start of `buffer`.
//
// Contract (relied on by the server and by the fuzz target):
// - Pure and total: the result depends only on `buffer` and `limits`; never throws (except
//   std::bad_alloc), never reads outside `buffer`, any byte values are allowed.
// - kComplete: `head.head_length` <= min(buffer.size(), limits.max_head); bytes after it (a body
//   or a pipelined request) are not looked at. Parsing buffer[0, head_length) alone gives the
//   same result.
// - kIncomplete only while the buffer could still grow into a valid head within the limits:
//   buffer.size() <= limits.max_head and no line so far is invalid. So a caller that reads
//   at most max_head + 1 bytes before calling always gets kComplete or kError.
// - Every strict prefix of a buffer that gives kComplete gives kIncomplete or (when a limit is
//   crossed only by the complete head) the same kError; any prefix of a kError buffer is
//   kIncomplete or that kError.
// - kError statuses: 414 when the request line exceeds max_request_line; 431 when the head
//   exceeds max_head or has more than max_header_fields fields; 501 for any Transfer-Encoding
//   (request bodies are not served); 505 for an HTTP version other than 1.0/1.1; 400 for
//   anything else malformed: bad method or target characters, a missing version, obsolete line
//   folding, whitespace before a colon, control characters in a value, an invalid or
//   conflicting Content-Length.
// - Lines end with CRLF; a bare LF is accepted too (RFC 9112 §2.2), a bare CR is not. Empty
//   lines before the request line are skipped (they count towards the limits).
// - The target is origin-form ("/path?query"), absolute-form ("http://host/path", the path
//   kept), or "*"; `request.path` is the part before '?', `request.query` the part after it.
//   Header names are lower-cased; values lose surrounding spaces and tabs.
ParseResult ParseRequestHead(std::string_view buffer, const RequestLimits& limits = {});

}  // namespace kube9::http
