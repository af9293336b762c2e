#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/transport.h"

// Reading of an HTTP/1.x response (status line, header fields, the body as the head frames it),
// kept apart from the transport's sockets so that it can be tested and fuzzed over a buffer, split
// at any point. OpenSslTransport feeds it from a connection (http/openssl_transport.cc).
namespace kube9::http {

// Where a response's bytes come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Waits until Read has something to give (bytes or the end). The reader holds no read buffer
  // while it calls this, so that an idle watch, which waits here most of its life, holds none.
  // False: the wait failed or was stopped (the source keeps why).
  virtual bool WaitReadable() = 0;
  // Reads up to `cap` bytes. >0: that many; 0: the peer closed; <0: failed or stopped.
  virtual long Read(char* buf, std::size_t cap) = 0;
};

// A response head longer than this (status line, fields and blank line) is refused; so are
// trailer fields after a chunked body longer than this in all.
inline constexpr std::size_t kMaxResponseHeadBytes = 256 << 10;

struct ResponseHead {
  int status = 0;       // 100..999
  bool http10 = false;  // HTTP/1.0: not kept alive unless it says so
  Headers headers;
};

// How a response's body is delimited (RFC 9112 §6.3).
struct BodyFraming {
  enum Kind { kNone, kChunked, kLength, kClose } kind = kNone;
  std::uint64_t length = 0;  // kLength only
  // The connection may carry another exchange once this body has been read whole.
  bool keep_alive = false;
};

// The framing of `head`'s body in reply to a request with `method`: none for HEAD, 1xx, 204 and
// 304; chunked when Transfer-Encoding ends in "chunked"; to the connection's end for any other
// Transfer-Encoding; else Content-Length (every field and list element the same digits) or, without
// one, to the end. An error for an invalid or conflicting Content-Length.
base::Expected<BodyFraming, std::string> FrameBody(const ResponseHead& head, std::string_view method);

// What became of one response read with ReadResponse.
enum class ReadOutcome {
  kComplete,  // read as framed; `reusable` says whether the connection can carry another
  kNoHead,    // no final response head: closed, failed, stopped, or malformed before it
  kFailed,    // the head arrived, the body did not end as framed (or its framing is invalid)
  kTooLarge,  // Send(): the body is longer than `max_body`; nothing more was read
  kDeclined,  // Stream(): the handler asked to end it (in OnHeaders or OnData)
};

// Reads one response from a ByteSource, piece by piece: it holds at most one read (16 KiB) of
// unread bytes, and none while it waits. A failed call leaves error() saying why when the
// response was at fault (malformed, or closed early); error() is empty when the source failed or
// was stopped, which the source reports itself.
class ResponseReader {
 public:
  explicit ResponseReader(ByteSource& source) : source_(source) {}
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  // A status line, header fields (obsolete line folding joined with a space) and the blank line.
  // Lines end with CRLF. Bytes after the head stay unread.
  bool ReadHead(ResponseHead& head);
  // The body as `framing` delimits it, handed to `sink` in pieces; `sink` returns false to stop
  // (then ReadBody returns true at once). True when the body ended as framed or the sink stopped.
  // `complete_and_reusable`: it ended as framed and framing.keep_alive.
  bool ReadBody(const BodyFraming& framing, const std::function<bool(std::string_view)>& sink,
                bool& complete_and_reusable);

  const std::string& error() const { return error_; }
  // Whether bytes the reader took from the source are still unread (a connection with some
  // cannot carry another exchange).
  bool empty() const { return pos_ >= len_; }
  // Whether any byte arrived at all (a kept-alive connection the server had closed gives none).
  bool got_bytes() const { return got_bytes_; }

  static constexpr std::size_t kReadChunk = 16 << 10;

 private:
  // The unread bytes, refilled (waiting) when none are left. Empty: closed (eof_), failed or
  // stopped.
  std::string_view Peek();
  void Consume(std::size_t n) { pos_ += n; }
  // One line up to LF (the LF consumed, not returned; a CR before it kept), at most `max` bytes.
  // False: closed (error_ set), failed, or too long (error_ set to `too_long`).
  bool ReadLine(std::string& line, std::size_t max, const char* closed, const char* too_long);
  bool Fail(std::string message);
  friend ReadOutcome ReadResponse(ResponseReader& reader, std::string_view method, StreamHandler* handler,
                                  std::size_t max_body, Response& response, bool& reusable);

  ByteSource& source_;
  std::unique_ptr<char[]> buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  bool eof_ = false;
  bool got_bytes_ = false;
  std::string error_;
};

// One response as OpenSslTransport's Send() and Stream() read it: interim (1xx) heads skipped;
// then, with a `handler`, the head and each piece of the body to it as they arrive; without one,
// the body into `response.body`, never more than `max_body` bytes of it (a Content-Length over
// the limit is refused before any of the body is read). `response` has the status and headers
// once the head is read, whatever the outcome.
ReadOutcome ReadResponse(ResponseReader& reader, std::string_view method, StreamHandler* handler, std::size_t max_body,
                         Response& response, bool& reusable);

}  // namespace kube9::http
