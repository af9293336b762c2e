#include "http/response_reader.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "http/header_text.h"

namespace kube9::http {
namespace {

// The last non-empty element of a comma-separated list.
std::string_view LastToken(std::string_view value) {
  std::string_view last;
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (const std::string_view t = TrimLine(value.substr(0, comma)); !t.empty()) last = t;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return last;
}

int HexDigit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

// Decimal digits only, without overflow.
std::optional<std::uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

base::Expected<BodyFraming, std::string> FrameBody(const ResponseHead& head, std::string_view method) {
  BodyFraming f;
  std::string connection;
  std::optional<std::string_view> transfer_encoding;
  std::optional<std::uint64_t> length;
  bool bad_length = false;
  for (const auto& [name, value] : head.headers.all()) {
    if (name == "connection") {
      connection += value;
      connection += ',';
    } else if (name == "transfer-encoding") {
      // Several fields are one list: its last coding is what frames the body.
      if (const std::string_view last = LastToken(value); !last.empty())
        transfer_encoding = last;
      else if (!transfer_encoding)
        transfer_encoding = std::string_view();
    } else if (name == "content-length") {
      // Repeated fields or list elements are accepted only when they all agree (RFC 9110 §8.6).
      std::string_view list = value;
      do {
        const auto comma = list.find(',');
        const auto v = ParseDecimal(TrimLine(list.substr(0, comma)));
        if (!v || (length && *length != *v)) bad_length = true;
        if (v) length = v;
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      } while (!list.empty());
    }
  }
  f.keep_alive = head.http10 ? HasToken(connection, "keep-alive") : !HasToken(connection, "close");
  if (head.status == 101) {
    // Switching protocols (never asked for): what follows is not HTTP, the connection is done.
    f.keep_alive = false;
    return f;
  }
  if (method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304) return f;
  if (transfer_encoding) {
    // Content-Length is ignored beside Transfer-Encoding (RFC 9112 §6.3); a body whose last
    // coding is not chunked runs to the connection's end.
    if (EqualsIgnoreCase(*transfer_encoding, "chunked")) {
      f.kind = BodyFraming::kChunked;
    } else {
      f.kind = BodyFraming::kClose;
      f.keep_alive = false;
    }
    return f;
  }
  if (bad_length) return base::Unexpected(std::string("bad Content-Length"));
  if (length) {
    f.kind = BodyFraming::kLength;
    f.length = *length;
    return f;
  }
  f.kind = BodyFraming::kClose;
  f.keep_alive = false;
  return f;
}

bool ResponseReader::Fail(std::string message) {
  error_ = std::move(message);
  return false;
}

std::string_view ResponseReader::Peek() {
  if (pos_ < len_) return {buf_.get() + pos_, len_ - pos_};
  pos_ = len_ = 0;
  buf_.reset();  // about to wait: hold nothing meanwhile
  if (!source_.WaitReadable()) return {};
  buf_ = std::make_unique<char[]>(kReadChunk);
  const long n = source_.Read(buf_.get(), kReadChunk);
  if (n == 0) eof_ = true;
  if (n <= 0) return {};
  got_bytes_ = true;
  len_ = std::min(static_cast<std::size_t>(n), kReadChunk);
  return {buf_.get(), len_};
}

bool ResponseReader::ReadLine(std::string& line, std::size_t max, const char* closed, const char* too_long) {
  line.clear();
  for (;;) {
    const std::string_view data = Peek();
    if (data.empty()) return eof_ ? Fail(closed) : false;
    const auto nl = data.find('\n');
    const std::size_t take = nl == std::string_view::npos ? data.size() : nl;
    if (take > max - line.size()) return Fail(too_long);
    line.append(data.substr(0, take));
    Consume(nl == std::string_view::npos ? data.size() : nl + 1);
    if (nl != std::string_view::npos) return true;
  }
}

bool ResponseReader::ReadHead(ResponseHead& head) {
  error_.clear();
  std::string text;
  for (;;) {
    const std::string_view data = Peek();
    if (data.empty()) {
      if (eof_) {
        return Fail(text.empty() ? "Empty reply from server" : "Connection closed in the middle of the response head");
      }
      return false;
    }
    // Take up to the end of the head, not beyond: the rest is the body.
    const std::size_t before = text.size();
    text.append(data);
    const auto end = text.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end != std::string::npos) {
      Consume(end + 4 - before);
      if (end + 4 > kMaxResponseHeadBytes) return Fail("response head too large");
      text.resize(end + 2);
      break;
    }
    Consume(data.size());
    if (text.size() > kMaxResponseHeadBytes) return Fail("response head too large");
  }
  std::string_view rest(text);
  const auto eol = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, eol);
  rest.remove_prefix(eol + 2);
  // HTTP/1.1 200 OK: the version, a space, three digits, then a space and the reason or nothing.
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ') {
    return Fail("Unsupported response from server (not HTTP/1.x)");
  }
  head.http10 = status_line[7] == '0';
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    const char c = status_line[i];
    if (c < '0' || c > '9') return Fail("Unsupported response from server (bad status)");
    status = status * 10 + (c - '0');
  }
  if (status < 100 || (status_line.size() > 12 && status_line[12] != ' ')) {
    return Fail("Unsupported response from server (bad status)");
  }
  head.status = status;
  std::vector<std::pair<std::string_view, std::string>> fields;
  while (!rest.empty()) {
    const auto line_end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, line_end);
    rest.remove_prefix(line_end == std::string_view::npos ? rest.size() : line_end + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding continues the previous field's value (RFC 9112 §5.2): joined
      // with a space, never read as a field of its own.
      if (fields.empty()) return Fail("Unsupported response from server (folded line before any field)");
      if (const std::string_view more = TrimLine(line); !more.empty()) {
        if (!fields.back().second.empty()) fields.back().second += ' ';
        fields.back().second += more;
      }
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    fields.emplace_back(TrimLine(line.substr(0, colon)), std::string(TrimLine(line.substr(colon + 1))));
  }
  for (const auto& [name, value] : fields) head.headers.Add(name, value);
  return true;
}

bool ResponseReader::ReadBody(const BodyFraming& framing, const std::function<bool(std::string_view)>& sink,
                              bool& complete_and_reusable) {
  error_.clear();
  complete_and_reusable = false;
  switch (framing.kind) {
    case BodyFraming::kNone: complete_and_reusable = framing.keep_alive; return true;
    case BodyFraming::kChunked:
      for (std::string line;;) {
        // The size line: hex digits, maybe spaces and extensions after a ';', CRLF.
        if (!ReadLine(line, 1024, "Connection closed in the middle of a chunked body", "bad chunk size line"))
          return false;
        if (line.ends_with('\r')) line.pop_back();
        std::uint64_t size = 0;
        std::size_t digits = 0;
        for (; digits < line.size(); ++digits) {
          const int v = HexDigit(line[digits]);
          if (v < 0) break;
          if (digits >= 15) return Fail("bad chunk size");
          size = size * 16 + static_cast<std::uint64_t>(v);
        }
        if (digits == 0) return Fail("bad chunk size line");
        const std::string_view after = TrimLine(std::string_view(line).substr(digits));
        if (!after.empty() && after.front() != ';') return Fail("bad chunk size line");
        if (size == 0) {
          // Trailer fields, if any, up to the blank line; they are not kept.
          std::size_t total = 0;
          for (;;) {
            if (!ReadLine(line, kMaxResponseHeadBytes - std::min(total, kMaxResponseHeadBytes),
                          "Connection closed in the chunked trailer", "response trailer too large")) {
              return false;
            }
            total += line.size() + 1;
            if (line.empty() || line == "\r") break;
          }
          complete_and_reusable = framing.keep_alive;
          return true;
        }
        while (size > 0) {
          const std::string_view data = Peek();
          if (data.empty()) return eof_ ? Fail("Connection closed in the middle of a chunk") : false;
          const std::string_view piece =
              data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(size, data.size())));
          Consume(piece.size());
          size -= piece.size();
          if (!sink(piece)) return true;
        }
        // The CRLF after the data (a bare LF accepted).
        if (!ReadLine(line, 1, "Connection closed in the middle of a chunk", "chunk data not followed by CRLF")) {
          return false;
        }
        if (!line.empty() && line != "\r") return Fail("chunk data not followed by CRLF");
      }
    case BodyFraming::kLength:
      for (std::uint64_t left = framing.length; left > 0;) {
        const std::string_view data = Peek();
        if (data.empty())
          return eof_ ? Fail(fmt::format("transfer closed with {} bytes remaining to read", left)) : false;
        const std::string_view piece =
            data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(left, data.size())));
        Consume(piece.size());
        left -= piece.size();
        if (!sink(piece)) return true;
      }
      complete_and_reusable = framing.keep_alive;
      return true;
    case BodyFraming::kClose:
      for (;;) {
        const std::string_view data = Peek();
        if (data.empty()) return eof_;
        Consume(data.size());
        if (!sink(data)) return true;
      }
  }
  return Fail("unknown body framing");
}

ReadOutcome ReadResponse(ResponseReader& reader, std::string_view method, StreamHandler* handler, std::size_t max_body,
                         Response& response, bool& reusable) {
  reusable = false;
  ResponseHead head;
  for (;;) {
    if (!reader.ReadHead(head)) return ReadOutcome::kNoHead;
    if (head.status >= 200 || head.status == 101) break;
    head = ResponseHead();  // interim (1xx): the final head follows
  }
  response.status = head.status;
  response.headers = head.headers;
  auto framing = FrameBody(head, method);
  if (!framing.ok()) {
    reader.Fail(std::move(framing.error()));
    return ReadOutcome::kFailed;
  }
  if (handler == nullptr) {
    if (framing->kind == BodyFraming::kLength && framing->length > max_body) return ReadOutcome::kTooLarge;
    bool too_large = false;
    const bool ok = reader.ReadBody(
        *framing,
        [&](std::string_view piece) {
          if (piece.size() > max_body - response.body.size()) {
            too_large = true;
            return false;
          }
          response.body.append(piece);
          return true;
        },
        reusable);
    if (too_large) {
      reusable = false;
      return ReadOutcome::kTooLarge;
    }
    return ok ? ReadOutcome::kComplete : ReadOutcome::kFailed;
  }
  if (!handler->OnHeaders(response.status, response.headers)) return ReadOutcome::kDeclined;
  bool declined = false;
  const bool ok = reader.ReadBody(
      *framing,
      [&](std::string_view piece) {
        if (handler->OnData(piece)) return true;
        declined = true;
        return false;
      },
      reusable);
  if (declined) {
    reusable = false;
    return ReadOutcome::kDeclined;
  }
  return ok ? ReadOutcome::kComplete : ReadOutcome::kFailed;
}

}  // namespace kube9::http
