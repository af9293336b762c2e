#include "gitops/argocd_api.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "base/file.h"
#include "base/log.h"
#include "base/text.h"
#include "kube/client.h"

namespace kube9::gitops {
namespace {

constexpr std::size_t kMaxQuotedMessage = 300;  // of Argo CD's own error message
constexpr std::size_t kMaxErrorBody = 64 << 10;

bool IsDns1123Label(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// Argo CD's error body: {"error": "...", "code": 5, "message": "..."} (grpc-gateway), or
// something else entirely from a proxy in front of it. The message, bounded, or "".
std::string QuotedMessage(std::string_view body) {
  if (body.size() > kMaxErrorBody) return "";
  rapidjson::Document doc;
  if (!base::ParseJson(doc, body, base::JsonLimits{kMaxErrorBody, 16}).ok() || !doc.IsObject()) return "";
  for (const char* key : {"message", "error"}) {
    auto it = doc.FindMember(key);
    if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      return base::TruncateUtf8(base::SanitizeUtf8({it->value.GetString(), it->value.GetStringLength()}),
                                kMaxQuotedMessage);
    }
  }
  return "";
}

std::string WithQuote(std::string text, std::string_view body) {
  if (std::string quoted = QuotedMessage(body); !quoted.empty()) text += ": " + quoted;
  return text;
}

}  // namespace

std::string_view CodeName(ArgoCdErrorCode code) {
  switch (code) {
    case ArgoCdErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ArgoCdErrorCode::kApplicationNotFound: return "APPLICATION_NOT_FOUND";
    case ArgoCdErrorCode::kTokenMissing: return "ARGOCD_TOKEN_MISSING";
    case ArgoCdErrorCode::kAuthFailed: return "ARGOCD_AUTH_FAILED";
    case ArgoCdErrorCode::kRbacDenied: return "ARGOCD_RBAC_DENIED";
    case ArgoCdErrorCode::kTimeout: return "TIMEOUT";
    case ArgoCdErrorCode::kApiUnreachable: return "ARGOCD_API_UNREACHABLE";
    case ArgoCdErrorCode::kNotDetected: return "ARGOCD_NOT_DETECTED";
    case ArgoCdErrorCode::kInternal: return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

int ExitStatus(ArgoCdErrorCode code) {
  switch (code) {
    case ArgoCdErrorCode::kInvalidArgument: return 2;
    case ArgoCdErrorCode::kApplicationNotFound: return 3;
    case ArgoCdErrorCode::kTokenMissing:
    case ArgoCdErrorCode::kAuthFailed: return 4;
    case ArgoCdErrorCode::kRbacDenied: return 5;
    case ArgoCdErrorCode::kTimeout: return 6;
    case ArgoCdErrorCode::kApiUnreachable:
    case ArgoCdErrorCode::kNotDetected: return 7;
    case ArgoCdErrorCode::kInternal: return 1;
  }
  return 1;
}

bool IsValidApplicationName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    if (!IsDns1123Label(name.substr(start, dot - start), 63)) return false;
    start = dot + 1;
  }
  return true;
}

bool IsValidNamespaceName(std::string_view name) { return IsDns1123Label(name, 63); }

base::Expected<ArgoCdSettings, std::string> ArgoCdSettingsFromEnv(const config::Environment& env) {
  auto get = [&env](const char* name) -> std::string {
    auto it = env.find(name);
    return it == env.end() ? "" : it->second;
  };
  return MakeArgoCdSettings(get("ARGOCD_NAMESPACE"), get("ARGOCD_API_BASE_URL"), get("ARGOCD_API_TOKEN_FILE"),
                            get("ARGOCD_CA_FILE"));
}

base::Expected<ArgoCdSettings, std::string> MakeArgoCdSettings(const std::string& ns, const std::string& base_url,
                                                               const std::string& token_file,
                                                               const std::string& ca_file) {
  ArgoCdSettings s;
  if (!ns.empty()) {
    if (!IsValidNamespaceName(ns))
      return base::Unexpected(fmt::format("ARGOCD_NAMESPACE={} is not a namespace name", ns));
    s.ns = ns;
  }
  s.base_url = base_url;
  if (s.base_url.empty()) {
    s.base_url = fmt::format("https://argocd-server.{}.svc", s.ns);
  } else {
    // http:// is allowed: argocd-server often runs with --insecure behind an ingress, and the
    // chart's documentation says what that costs (the token crosses the pod network in clear).
    const bool https = s.base_url.starts_with("https://");
    if (!https && !s.base_url.starts_with("http://")) {
      return base::Unexpected(fmt::format("ARGOCD_API_BASE_URL={} must start with https:// or http://", s.base_url));
    }
    const std::string_view rest = std::string_view(s.base_url).substr(https ? 8 : 7);
    if (rest.empty() || rest.front() == '/') {
      return base::Unexpected(fmt::format("ARGOCD_API_BASE_URL={} has no host", s.base_url));
    }
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return base::Unexpected(fmt::format("ARGOCD_API_BASE_URL={} must not hold a query or fragment", s.base_url));
    }
    while (s.base_url.ends_with('/')) s.base_url.pop_back();
  }
  s.token_file = token_file;
  s.ca_file = ca_file;
  return s;
}

http::TlsTrust ArgoCdTrust(const ArgoCdSettings& settings, const std::string& sa_ca_file) {
  http::TlsTrust trust;
  if (!settings.ca_file.empty()) {
    trust.ca_file = settings.ca_file;
  } else if (settings.base_url.starts_with("https://")) {
    std::error_code ec;
    if (std::filesystem::exists(sa_ca_file, ec)) trust.ca_file = sa_ca_file;
  }
  return trust;
}

ArgoCdError ErrorFromResponse(int status, std::string_view body, std::string_view application) {
  using C = ArgoCdErrorCode;
  switch (status) {
    case 400: return {C::kInvalidArgument, WithQuote("Argo CD refused the request (HTTP 400)", body)};
    case 401: return {C::kAuthFailed, WithQuote("Argo CD did not accept the token (HTTP 401)", body)};
    case 403:
      return {C::kRbacDenied,
              WithQuote("Argo CD's RBAC does not let the token read this application (HTTP 403)", body)};
    case 404:
      return {C::kApplicationNotFound,
              WithQuote(fmt::format("Argo CD has no application {} (HTTP 404)", application), body)};
    case 408:
    case 504: return {C::kTimeout, WithQuote(fmt::format("Argo CD did not answer in time (HTTP {})", status), body)};
    case 502:
    case 503: return {C::kApiUnreachable, WithQuote(fmt::format("Argo CD is unavailable (HTTP {})", status), body)};
    default: return {C::kInternal, WithQuote(fmt::format("Argo CD answered HTTP {}", status), body)};
  }
}

ArgoCdError ErrorFromTransport(const http::TransportError& error, std::string_view base_url) {
  if (error.response_too_large) {
    return {ArgoCdErrorCode::kInternal, fmt::format("the answer of {} is too large: {}", base_url, error.message)};
  }
  if (error.timed_out) {
    return {ArgoCdErrorCode::kTimeout, fmt::format("no answer from {} in time: {}", base_url, error.message)};
  }
  return {ArgoCdErrorCode::kApiUnreachable, fmt::format("cannot reach Argo CD at {}: {}", base_url, error.message)};
}

ArgoCdApi::ArgoCdApi(ArgoCdSettings settings, http::Transport& transport)
    : settings_(std::move(settings)), transport_(transport) {}

base::Expected<std::string, ArgoCdError> ArgoCdApi::Token() const {
  if (settings_.token_file.empty()) {
    return base::Unexpected(ArgoCdError{ArgoCdErrorCode::kTokenMissing,
                                        "no Argo CD token configured (ARGOCD_API_TOKEN_FILE is not set; chart value "
                                        "argocd.tokenSecret.name)"});
  }
  auto content = base::ReadFile(settings_.token_file, kMaxTokenFileBytes);
  if (!content.ok()) {
    return base::Unexpected(
        ArgoCdError{ArgoCdErrorCode::kTokenMissing,
                    fmt::format("cannot read the Argo CD token file {}: {}", settings_.token_file, content.error())});
  }
  std::string token = base::TrimWhitespace(*content);
  if (token.empty()) {
    return base::Unexpected(ArgoCdError{ArgoCdErrorCode::kTokenMissing,
                                        fmt::format("the Argo CD token file {} is empty", settings_.token_file)});
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return base::Unexpected(
        ArgoCdError{ArgoCdErrorCode::kTokenMissing,
                    fmt::format("the Argo CD token file {} holds more than one line", settings_.token_file)});
  }
  return token;
}

base::Expected<http::Response, ArgoCdError> ArgoCdApi::Get(const std::string& path_and_query, const std::string& token,
                                                           base::Millis timeout, std::size_t max_bytes,
                                                           const base::StopSignal* cancel) {
  http::Request req;
  req.url = settings_.base_url + path_and_query;
  req.headers.emplace_back("Authorization", "Bearer " + token);
  req.headers.emplace_back("Accept", "application/json");
  req.timeout = timeout;
  req.connect_timeout = std::min(timeout, base::Millis(5'000));
  req.stall_timeout = timeout;
  req.max_response_bytes = max_bytes;
  req.cancel = cancel;
  auto resp = transport_.Send(req);
  if (!resp.ok()) {
    ArgoCdError error = ErrorFromTransport(resp.error(), settings_.base_url);
    error.message = log::Redact(std::move(error.message), token);
    return base::Unexpected(std::move(error));
  }
  return std::move(resp).value();
}

base::Expected<std::string, ArgoCdError> ArgoCdApi::ResourceTree(std::string_view application,
                                                                 std::string_view app_namespace, base::Millis timeout,
                                                                 const base::StopSignal* cancel) {
  if (!IsValidApplicationName(application)) {
    return base::Unexpected(ArgoCdError{
        ArgoCdErrorCode::kInvalidArgument,
        fmt::format("'{}' is not an application name (a DNS-1123 subdomain)", base::SanitizeUtf8(application))});
  }
  if (!app_namespace.empty() && !IsValidNamespaceName(app_namespace)) {
    return base::Unexpected(
        ArgoCdError{ArgoCdErrorCode::kInvalidArgument,
                    fmt::format("'{}' is not a namespace name", base::SanitizeUtf8(app_namespace))});
  }
  auto token = Token();
  if (!token.ok()) return base::Unexpected(token.error());
  std::string path = fmt::format("/api/v1/applications/{}/resource-tree", kube::UrlEncode(application));
  if (!app_namespace.empty()) path += "?appNamespace=" + kube::UrlEncode(app_namespace);
  auto resp = Get(path, *token, timeout, kResourceTreeJson.max_bytes, cancel);
  if (!resp.ok()) return base::Unexpected(resp.error());
  if (resp->status < 200 || resp->status > 299) {
    ArgoCdError error = ErrorFromResponse(resp->status, resp->body, application);
    error.message = log::Redact(std::move(error.message), *token);
    return base::Unexpected(std::move(error));
  }
  if (auto valid = base::ValidateJsonObject(resp->body, kResourceTreeJson); !valid.ok()) {
    return base::Unexpected(ArgoCdError{ArgoCdErrorCode::kInternal, "Argo CD's resource tree " + valid.error()});
  }
  return std::move(resp->body);
}

base::Expected<base::Ok, ArgoCdError> ArgoCdApi::Probe(base::Millis timeout, const base::StopSignal* cancel) {
  auto token = Token();
  if (!token.ok()) return base::Unexpected(token.error());
  auto resp = Get("/api/v1/session/userinfo", *token, timeout, kUserInfoJson.max_bytes, cancel);
  if (!resp.ok()) return base::Unexpected(resp.error());
  if (resp->status < 200 || resp->status > 299) {
    ArgoCdError error = ErrorFromResponse(resp->status, resp->body, "");
    error.message = log::Redact(std::move(error.message), *token);
    return base::Unexpected(std::move(error));
  }
  rapidjson::Document doc;
  if (auto parsed = base::ParseJson(doc, resp->body, kUserInfoJson); !parsed.ok() || !doc.IsObject()) {
    return base::Unexpected(
        ArgoCdError{ArgoCdErrorCode::kInternal, "Argo CD's /api/v1/session/userinfo answer is not a JSON object"});
  }
  // The session service lets every caller in and says whether the token was accepted.
  auto logged_in = doc.FindMember("loggedIn");
  if (logged_in == doc.MemberEnd() || !logged_in->value.IsBool() || !logged_in->value.GetBool()) {
    return base::Unexpected(
        ArgoCdError{ArgoCdErrorCode::kAuthFailed, "Argo CD did not accept the token (userinfo: not logged in)"});
  }
  return base::Ok{};
}

}  // namespace kube9::gitops
