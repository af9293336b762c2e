#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "http/transport.h"

namespace kube9::kube {

// What went wrong with a Kubernetes API call, typed so that callers can decide what to do.
enum class ErrorKind {
  kNotFound,      // 404
  kConflict,      // 409
  kUnauthorized,  // 401: credentials missing, expired or rejected
  kForbidden,     // 403: RBAC denies it
  kGone,          // 410: resourceVersion or continue token too old; relist
  kThrottled,     // 429: honour retry_after
  kInvalid,       // 400, 422
  kServer,        // 5xx
  kTransport,     // no HTTP response: connect, TLS, timeout, reset
  kDecode,        // a response that is not what the API documents
  kCredentials,   // credentials could not be obtained (token file, exec plugin)
  kOther,
};

std::string_view ErrorKindName(ErrorKind kind);

struct ApiError {
  ErrorKind kind = ErrorKind::kOther;
  int http_status = 0;  // 0 when there was no HTTP response
  std::string message;  // human-readable, from the API's Status when it sent one
  std::optional<base::Millis> retry_after;

  std::string ToString() const;
  // Worth retrying later (server-side or transient); false for errors that need a change
  // (RBAC, missing namespace, invalid request).
  bool transient() const;
};

// Builds the error for a non-2xx response, reading the metav1.Status body when present.
ApiError ErrorFromResponse(const http::Response& response, base::WallTime now);

}  // namespace kube9::kube
