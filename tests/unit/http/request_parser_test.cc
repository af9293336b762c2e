#include "http/request_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::http {
namespace {

constexpr std::string_view kProbe =
    "GET /healthz HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\n"
    "Connection: close\r\n\r\n";

ParseResult Parse(std::string_view buffer, const RequestLimits& limits = {}) {
  return ParseRequestHead(buffer, limits);
}

int ErrorOf(std::string_view buffer, const RequestLimits& limits = {}) {
  ParseResult r = Parse(buffer, limits);
  EXPECT_EQ(r.status, ParseStatus::kError) << buffer;
  return r.error_status;
}

TEST(RequestParserTest, ParsesAProbe) {
  ParseResult r = Parse(kProbe);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.head.request.method, "GET");
  EXPECT_EQ(r.head.request.path, "/healthz");
  EXPECT_EQ(r.head.request.query, "");
  EXPECT_EQ(r.head.request.headers.Get("user-agent"), "kube-probe/1.30");
  EXPECT_EQ(r.head.request.headers.all().front().first, "host");  // names lower-cased
  EXPECT_EQ(r.head.head_length, kProbe.size());
  EXPECT_EQ(r.head.content_length, 0u);
  EXPECT_TRUE(r.head.http11);
  EXPECT_FALSE(r.head.keep_alive);  // Connection: close
  EXPECT_FALSE(r.head.request.tls);
}

TEST(RequestParserTest, EveryPrefixIsIncompleteAndAnySplitGivesTheSameHead) {
  for (std::size_t n = 0; n < kProbe.size(); ++n) {
    EXPECT_EQ(Parse(kProbe.substr(0, n)).status, ParseStatus::kIncomplete) << "prefix of " << n << " bytes";
  }
}

TEST(RequestParserTest, BytesAfterTheHeadAreLeftAlone) {
  const std::string two = std::string(kProbe) + "GET /metrics HTTP/1.1\r\n";
  ParseResult r = Parse(two);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.head.head_length, kProbe.size());
  EXPECT_EQ(r.head.request.path, "/healthz");
}

TEST(RequestParserTest, KeepAliveByVersionAndConnectionHeader) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n").head.keep_alive);
  ParseResult old = Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(old.status, ParseStatus::kComplete);
  EXPECT_FALSE(old.head.http11);
  EXPECT_FALSE(old.head.keep_alive);  // HTTP/1.0 connections are closed after one reply
}

TEST(RequestParserTest, TargetForms) {
  ParseResult q = Parse("GET /metrics?name[]=up&x= HTTP/1.1\r\n\r\n");
  EXPECT_EQ(q.head.request.path, "/metrics");
  EXPECT_EQ(q.head.request.query, "name[]=up&x=");
  ParseResult absolute = Parse("GET http://10.0.0.7:8080/readyz?v=1 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(absolute.status, ParseStatus::kComplete);
  EXPECT_EQ(absolute.head.request.path, "/readyz");
  EXPECT_EQ(absolute.head.request.query, "v=1");
  EXPECT_EQ(Parse("GET HTTPS://host HTTP/1.1\r\n\r\n").head.request.path, "/");
  EXPECT_EQ(Parse("GET https://host?a HTTP/1.1\r\n\r\n").head.request.query, "a");
  EXPECT_EQ(Parse("OPTIONS * HTTP/1.1\r\n\r\n").head.request.path, "*");
  EXPECT_EQ(ErrorOf("GET healthz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET ftp://host/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET http:///x HTTP/1.1\r\n\r\n"), 400);
}

TEST(RequestParserTest, BareLineFeedsAndLeadingEmptyLinesAreAccepted) {
  ParseResult r = Parse("\r\n\nGET /healthz HTTP/1.1\nHost: a\n\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.head.request.path, "/healthz");
  EXPECT_EQ(r.head.request.headers.Get("host"), "a");
}

TEST(RequestParserTest, HeaderValuesAreTrimmed) {
  ParseResult r = Parse("GET / HTTP/1.1\r\nAccept-Encoding: \t gzip, deflate \t\r\nX-Empty:\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.head.request.headers.Get("accept-encoding"), "gzip, deflate");
  EXPECT_EQ(r.head.request.headers.all().size(), 2u);
}

TEST(RequestParserTest, MalformedRequestLinesAre400) {
  for (std::string_view bad : {
           "GET\r\n\r\n",
           "GET /\r\n\r\n",                      // HTTP/0.9
           "GET  / HTTP/1.1\r\n\r\n",            // two spaces
           "GET / HTTP/1.1 \r\n\r\n",            // trailing space
           "G(T / HTTP/1.1\r\n\r\n",             // not a token
           "GET /a b HTTP/1.1\r\n\r\n",
           "GET /\x7f HTTP/1.1\r\n\r\n",
           "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",     // raw UTF-8: must be percent-encoded
           "GET / HTTP/1.x\r\n\r\n",
           "GET / http/1.1\r\n\r\n",
           "GET / HTTP/11\r\n\r\n",
           "GET /\rX HTTP/1.1\r\n\r\n",          // bare CR
       }) {
    EXPECT_EQ(ErrorOf(bad), 400) << bad;
  }
}

TEST(RequestParserTest, OtherHttpVersionsAre505) {
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.2\r\n\r\n"), 505);
}

TEST(RequestParserTest, MalformedFieldsAre400) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "GET / HTTP/1.1\r\nHost a\r\n\r\n",            // no colon
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",          // space before the colon (smuggling)
           "GET / HTTP/1.1\r\n: a\r\n\r\n",               // empty name
           "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",  // obsolete line folding
           "GET / HTTP/1.1\r\n\tX-A: 1\r\n\r\n",
           "GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n",
           "GET / HTTP/1.1\r\nX-A: a\rz\r\n\r\n",
           std::string_view("GET / HTTP/1.1\r\nX-A: a\0z\r\n\r\n", 28),
       }) {
    EXPECT_EQ(ErrorOf(bad), 400) << bad;
  }
}

TEST(RequestParserTest, ContentLength) {
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n").head.content_length, 42u);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n").head.content_length, 7u);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 400);
}

TEST(RequestParserTest, TransferEncodingIs501) {
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 3\r\ntransfer-encoding: identity\r\n\r\n"), 501);
}

TEST(RequestParserTest, LongRequestLineIs414AsSoonAsItCrossesTheLimit) {
  RequestLimits limits;
  limits.max_request_line = 32;
  const std::string line = "GET /" + std::string(27, 'a') + " HTTP/1.1";  // 41 bytes
  EXPECT_EQ(Parse("GET /" + std::string(27, 'a'), limits).status, ParseStatus::kIncomplete);  // 32 bytes
  EXPECT_EQ(ErrorOf("GET /" + std::string(28, 'a'), limits), 414);  // 33 bytes, no line end yet
  EXPECT_EQ(ErrorOf(line + "\r\n\r\n", limits), 414);
  const std::string fits = "GET /" + std::string(18, 'a') + " HTTP/1.1";  // exactly 32
  EXPECT_EQ(Parse(fits + "\r\n\r\n", limits).status, ParseStatus::kComplete);
  EXPECT_EQ(Parse(fits + "\r", limits).status, ParseStatus::kIncomplete);  // the CR is not counted
}

TEST(RequestParserTest, LargeHeadIs431AsSoonAsItCrossesTheLimit) {
  RequestLimits limits;
  limits.max_head = 64;
  const std::string start = "GET / HTTP/1.1\r\nX-Big: ";
  EXPECT_EQ(Parse(start + std::string(64 - start.size(), 'b'), limits).status, ParseStatus::kIncomplete);
  EXPECT_EQ(ErrorOf(start + std::string(65 - start.size(), 'b'), limits), 431);
  // A head of exactly 64 bytes fits; one more byte does not.
  const std::string exact = start + std::string(64 - start.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(Parse(exact, limits).status, ParseStatus::kComplete);
  const std::string over = start + std::string(64 - start.size() - 3, 'b') + "\r\n\r\n";
  EXPECT_EQ(ErrorOf(over, limits), 431);
  // A megabyte of header is judged on its first max_head + 1 bytes.
  EXPECT_EQ(ErrorOf(start + std::string(1 << 20, 'b')), 431);
}

TEST(RequestParserTest, TooManyFieldsIs431) {
  RequestLimits limits;
  limits.max_header_fields = 3;
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).status, ParseStatus::kComplete);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n", limits), 431);
}

TEST(RequestParserTest, IncompleteNeverExceedsTheHeadLimit) {
  // The promise the server relies on: reading max_head + 1 bytes always yields a verdict.
  RequestLimits limits;
  limits.max_head = 100;
  limits.max_request_line = 50;
  for (const std::string& body : {std::string(200, 'a'), std::string(200, '\n'), "GET / HTTP/1.1\r\n" + std::string(200, 'h'),
                                  "GET / HTTP/1.1\r\n" + std::string(200, '\r')}) {
    EXPECT_NE(Parse(body.substr(0, limits.max_head + 1), limits).status, ParseStatus::kIncomplete) << body;
  }
}

TEST(RequestParserTest, ErrorsAreDecidedByThePrefixThatShowsThem) {
  // A bad line early in a huge head is 400, whether or not the rest has arrived.
  const std::string bad = "GET / HTTP/1.1\r\nBad Name: x\r\n";
  EXPECT_EQ(ErrorOf(bad), 400);
  EXPECT_EQ(ErrorOf(bad + std::string(20'000, 'x')), 400);
  for (std::size_t n = 0; n < bad.size(); ++n) {
    ParseResult r = Parse(std::string_view(bad).substr(0, n));
    EXPECT_TRUE(r.status == ParseStatus::kIncomplete || r.error_status == 400) << n;
  }
}

}  // namespace
}  // namespace kube9::http
