#include "sinks/server_api/server_api.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "base/log.h"
#include "base/text.h"
#include "base/time_format.h"

namespace kube9::sinks::server_api {
namespace {

constexpr std::size_t kMaxSummary = 200;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Redacts what is left of a key that is not UTF-8 itself in UTF-8 text: a key ending in the
// lead byte of a character still matches the start of a whole one. Each match is widened to
// whole characters, so the text stays UTF-8 (found by fuzzing).
std::string RedactWholeCharacters(std::string text, std::string_view key) {
  if (key.empty()) return text;
  for (std::size_t at = 0; (at = text.find(key, at)) != std::string::npos;) {
    std::size_t begin = at, end = at + key.size();
    while (begin > 0 && IsContinuationByte(text[begin])) --begin;
    while (end < text.size() && IsContinuationByte(text[end])) ++end;
    text.replace(begin, end - begin, "<redacted>");
    at = begin + 10;
  }
  return text;
}

std::string Field(const rapidjson::Value& obj, const char* name, std::string_view api_key) {
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return "";
  if (it->value.IsString()) {
    // Redacted byte for byte first, then made UTF-8 (whatever the key cut), then redacted again
    // as UTF-8: the replacement characters can complete a key that holds U+FFFD (found by
    // fuzzing). A valid key found in valid text starts and ends on character boundaries, so
    // this last step keeps the text UTF-8.
    const std::string raw = log::Redact({it->value.GetString(), it->value.GetStringLength()}, api_key);
    return RedactWholeCharacters(log::Redact(base::SanitizeUtf8(raw), base::SanitizeUtf8(api_key)), api_key);
  }
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return "";
}

}  // namespace

http::Request Post(std::string url, const std::string& api_key, const std::string& user_agent, std::string body) {
  http::Request request;
  request.method = "POST";
  request.url = std::move(url);
  request.headers = {{"Authorization", "Bearer " + api_key},
                     {"Content-Type", "application/json"},
                     {"User-Agent", user_agent}};
  request.body = std::move(body);
  request.max_response_bytes = kReplyJson.max_bytes;
  return request;
}

std::optional<ErrorBody> ParseErrorBody(std::string_view body, std::string_view api_key) {
  rapidjson::Document doc;
  if (!base::ParseJson(doc, body, kReplyJson).ok() || !doc.IsObject()) return std::nullopt;
  return ErrorBody{Field(doc, "error", api_key), Field(doc, "code", api_key), Field(doc, "message", api_key)};
}

std::string Summary(const std::optional<ErrorBody>& error) {
  if (!error) return "";
  std::string text = !error->message.empty() ? error->message : !error->error.empty() ? error->error : error->code;
  // Cut on a character boundary: the summary ends up in the status ConfigMap and in logs.
  if (text.size() > kMaxSummary) text = base::TruncateUtf8(std::move(text), kMaxSummary) + "...";
  return text;
}

std::optional<base::Millis> RetryAfter(const http::Response& response, base::WallTime now) {
  auto after = base::ParseRetryAfter(response.headers.Get("retry-after"), now);
  if (!after) return std::nullopt;
  return std::min(*after, kMaxRetryAfter);
}

}  // namespace kube9::sinks::server_api
