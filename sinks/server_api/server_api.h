#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/json.h"
#include "http/transport.h"

// What every call to kube9-server shares (PRODUCT.md §5): the request headers, the error body
// and the Retry-After cap. Registration and uploads both speak it through here.
namespace kube9::sinks::server_api {

// What a kube9-server reply may be. Its answers are small JSON objects (a registration's
// configuration, an error body): 1 MiB and 64 levels leave ample room, and keep one bad server
// from costing any operator of a fleet more than a counted error. Every request built by
// Post() carries the size limit.
inline constexpr base::JsonLimits kReplyJson{1 << 20, 64};

// The longest wait a 429's Retry-After is honoured for.
inline constexpr base::Millis kMaxRetryAfter{std::chrono::hours(1)};

// A POST with `Authorization: Bearer <key>`, `Content-Type: application/json` and the
// User-Agent, whose reply may be at most kReplyJson.max_bytes; callers add what is particular
// to them (Content-Encoding, Idempotency-Key).
http::Request Post(std::string url, const std::string& api_key, const std::string& user_agent, std::string body);

// The fields of an error body `{"error", "code", "message"}` (strings or numbers; "" when
// absent), as well-formed UTF-8, with the API key redacted in case a server echoes it. nullopt
// when the body is not a JSON object within kReplyJson.
struct ErrorBody {
  std::string error, code, message;
};
std::optional<ErrorBody> ParseErrorBody(std::string_view body, std::string_view api_key);

// The most telling field (message, else error, else code), at most 200 bytes (cut between UTF-8
// characters, then "..."); "" for none.
std::string Summary(const std::optional<ErrorBody>& error);

// The wait a response's Retry-After asks for (seconds or HTTP date), capped at kMaxRetryAfter.
std::optional<base::Millis> RetryAfter(const http::Response& response, base::WallTime now);

}  // namespace kube9::sinks::server_api
