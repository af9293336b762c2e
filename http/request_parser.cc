#include "http/request_parser.h"

#include <array>

#include "http/header_text.h"

namespace kube9::http {
namespace {

// RFC 9110 §5.6.2: the characters of a token (method, header name).
constexpr std::array<bool, 256> TokenChars() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = TokenChars();

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Visible ASCII: what a request target may hold (no spaces, no controls, no raw UTF-8).
bool IsTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

// Field values: visible characters, spaces, tabs and obs-text; no controls (a bare CR is one).
bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

ParseResult Error(int status, std::string_view why) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error_status = status;
  r.error = why;
  return r;
}

// Method SP target SP version, all checked.
std::string_view ParseRequestLine(std::string_view line, ParsedHead& head, int& status) {
  status = 400;
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return "request line has no target";
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return "request line has no HTTP version";
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return "invalid method";
  if (!IsTarget(target)) return "invalid request target";
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return "invalid HTTP version";
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    status = 505;
    return "unsupported HTTP version";
  }
  head.http11 = version[7] == '1';
  if (target.front() != '/' && target != "*") {
    // Absolute-form: only the path and query matter to this server.
    std::string_view rest;
    if (target.size() > 7 && EqualsIgnoreCase(target.substr(0, 7), "http://")) {
      rest = target.substr(7);
    } else if (target.size() > 8 && EqualsIgnoreCase(target.substr(0, 8), "https://")) {
      rest = target.substr(8);
    } else {
      return "request target is neither a path nor an absolute URL";
    }
    const auto path_start = rest.find_first_of("/?");
    if (path_start == 0) return "absolute URL without a host";
    target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  }
  const auto q = target.find('?');
  head.request.method = std::string(method);
  head.request.path = q == 0 || target.empty() ? std::string("/") : std::string(target.substr(0, q));
  head.request.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  return {};
}

// One header field line (not empty, not folded); applies what the server itself needs.
std::string_view ParseField(std::string_view line, ParsedHead& head, bool& have_length, int& status) {
  status = 400;
  if (line.front() == ' ' || line.front() == '\t') return "obsolete line folding";
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return "header field without a colon";
  const std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return "invalid header field name";  // also: whitespace before the colon
  const std::string_view value = TrimSpaces(line.substr(colon + 1));
  if (!IsFieldValue(value)) return "control character in a header field value";
  if (EqualsIgnoreCase(name, "transfer-encoding")) {
    status = 501;
    return "Transfer-Encoding is not supported";
  }
  if (EqualsIgnoreCase(name, "content-length")) {
    if (value.empty() || value.size() > 18) return "invalid Content-Length";
    std::uint64_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return "invalid Content-Length";
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (have_length && n != head.content_length) return "conflicting Content-Length";
    have_length = true;
    head.content_length = n;
  }
  if (EqualsIgnoreCase(name, "connection") && HasToken(value, "close")) head.keep_alive = false;
  head.request.headers.Add(name, value);
  return {};
}

}  // namespace

ParseResult ParseRequestHead(std::string_view buffer, const RequestLimits& limits) {
  ParseResult result;
  ParsedHead& head = result.head;
  bool have_request_line = false;
  bool have_length = false;
  std::size_t fields = 0;
  std::size_t pos = 0;
  while (true) {
    const auto lf = buffer.find('\n', pos);
    if (lf == std::string_view::npos) {
      // A partial line: only the limits can already be judged.
      std::size_t partial = buffer.size() - pos;
      if (partial > 0 && buffer.back() == '\r') --partial;  // may be the start of CRLF
      if (!have_request_line && partial > limits.max_request_line) return Error(414, "request line too long");
      if (buffer.size() > limits.max_head) return Error(431, "request head too large");
      return result;
    }
    std::string_view line = buffer.substr(pos, lf - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!have_request_line && line.size() > limits.max_request_line) return Error(414, "request line too long");
    if (lf + 1 > limits.max_head) return Error(431, "request head too large");
    if (line.find('\r') != std::string_view::npos) return Error(400, "bare CR in the request head");
    pos = lf + 1;
    if (!have_request_line) {
      if (line.empty()) continue;  // RFC 9112 §2.2: empty lines before the request line
      int status = 400;
      if (auto why = ParseRequestLine(line, head, status); !why.empty()) return Error(status, why);
      have_request_line = true;
      if (!head.http11) head.keep_alive = false;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    if (++fields > limits.max_header_fields) return Error(431, "too many header fields");
    int status = 400;
    if (auto why = ParseField(line, head, have_length, status); !why.empty()) return Error(status, why);
  }
  head.head_length = pos;
  result.status = ParseStatus::kComplete;
  return result;
}

}  // namespace kube9::http
