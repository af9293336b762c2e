#include "kube/api_error.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/json.h"
#include "base/time_format.h"
#include "kube/limits.h"

namespace kube9::kube {
namespace {
constexpr std::size_t kMaxMessage = 500;

ErrorKind KindForStatus(int status) {
  switch (status) {
    case 400: case 422: return ErrorKind::kInvalid;
    case 401: return ErrorKind::kUnauthorized;
    case 403: return ErrorKind::kForbidden;
    case 404: return ErrorKind::kNotFound;
    case 409: return ErrorKind::kConflict;
    case 410: return ErrorKind::kGone;
    case 429: return ErrorKind::kThrottled;
    default: return status >= 500 ? ErrorKind::kServer : ErrorKind::kOther;
  }
}
}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kForbidden: return "forbidden";
    case ErrorKind::kGone: return "gone";
    case ErrorKind::kThrottled: return "throttled";
    case ErrorKind::kInvalid: return "invalid";
    case ErrorKind::kServer: return "server_error";
    case ErrorKind::kTransport: return "transport";
    case ErrorKind::kDecode: return "decode";
    case ErrorKind::kCredentials: return "credentials";
    case ErrorKind::kOther: return "other";
  }
  return "other";
}

std::string ApiError::ToString() const {
  if (http_status == 0) return fmt::format("{}: {}", ErrorKindName(kind), message);
  return fmt::format("{} (HTTP {}): {}", ErrorKindName(kind), http_status, message);
}

bool ApiError::transient() const {
  switch (kind) {
    case ErrorKind::kThrottled: case ErrorKind::kServer: case ErrorKind::kTransport:
    case ErrorKind::kGone: case ErrorKind::kConflict: case ErrorKind::kDecode:
      return true;
    default:
      return false;
  }
}

ApiError ErrorFromResponse(const http::Response& response, base::WallTime now) {
  ApiError err;
  err.http_status = response.status;
  err.kind = KindForStatus(response.status);
  rapidjson::Document doc;
  if (base::ParseJson(doc, response.body, kObjectJson).ok() && doc.IsObject()) {
    auto msg = doc.FindMember("message");
    if (msg != doc.MemberEnd() && msg->value.IsString()) err.message = msg->value.GetString();
  }
  if (err.message.empty()) {
    // Not a metav1.Status (a proxy's HTML page, say): keep a short, printable excerpt.
    std::string excerpt;
    for (char c : response.body.substr(0, 200)) excerpt.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
    err.message = excerpt.empty() ? fmt::format("HTTP {}", response.status) : excerpt;
  }
  if (err.message.size() > kMaxMessage) err.message.resize(kMaxMessage);
  if (auto ra = response.headers.Get("Retry-After"); !ra.empty()) {
    err.retry_after = base::ParseRetryAfter(ra, now);
  }
  return err;
}

}  // namespace kube9::kube
