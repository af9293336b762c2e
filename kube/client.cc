#include "kube/client.h"

#include "kube/list_decoder.h"

#include <algorithm>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>

#include <rapidjson/writer.h>
#include "base/bytes.h"
#include "base/json.h"

namespace kube9::kube {
namespace {

constexpr std::size_t kMaxErrorBody = 64 << 10;

ApiError DecodeError(std::string message) { return ApiError{ErrorKind::kDecode, 0, std::move(message), {}}; }

std::string_view StringMember(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto m = obj.FindMember(name);
  if (m == obj.MemberEnd() || !m->value.IsString()) return {};
  return {m->value.GetString(), m->value.GetStringLength()};
}

// Adds `key=value` to a URL's query string.
void AddQuery(std::string& url, std::string_view key, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url.append(key);
  url += '=';
  url += UrlEncode(value);
}

// Feeds a streamed 2xx body to a decoder (WatchDecoder or ListDecoder); keeps an error
// response's body, bounded, for the error message.
template <typename Decoder>
class DecodingStream final : public http::StreamHandler {
 public:
  explicit DecodingStream(Decoder& decoder, std::function<void()> on_success = {})
      : decoder_(decoder), on_success_(std::move(on_success)) {}
  bool OnHeaders(int status, const http::Headers& headers) override {
    status_ = status;
    headers_ = headers;
    if (on_success_ && status >= 200 && status < 300) on_success_();
    return true;
  }
  bool OnData(std::string_view chunk) override {
    if (status_ < 200 || status_ >= 300) {
      if (error_body_.size() < kMaxErrorBody) error_body_.append(chunk.substr(0, kMaxErrorBody - error_body_.size()));
      return true;
    }
    auto fed = decoder_.Feed(chunk);
    if (!fed.ok()) error_ = fed.error();
    return fed.ok();
  }
  http::Response ErrorResponse() const { return http::Response{status_, headers_, error_body_}; }

  int status_ = 0;
  http::Headers headers_;
  std::string error_body_;
  std::optional<ApiError> error_;

 private:
  Decoder& decoder_;
  std::function<void()> on_success_;
};

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
  }
  return "UNKNOWN";
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Client::Client(ClusterAccess access, http::Transport& transport, const base::Clock& clock, RequestObserver* observer)
    : access_(std::move(access)), transport_(transport), clock_(clock), observer_(observer) {}

base::Expected<base::Ok, ApiError> Client::Authenticate(http::Request& request) {
  auto cred = access_.credentials->Get();
  if (!cred.ok()) return base::Unexpected(ApiError{ErrorKind::kCredentials, 0, cred.error(), {}});
  std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
  if (!cred->token.empty()) request.headers.emplace_back("Authorization", "Bearer " + cred->token);
  request.client_cert_pem = cred->cert_pem;
  request.client_key_pem = cred->key_pem;
  return base::Ok{};
}

base::Expected<int, ApiError> Client::Exchange(http::Request& request, std::string_view verb, std::string_view resource,
                                               const Perform& perform) {
  for (int attempt = 0;; ++attempt) {
    if (auto auth = Authenticate(request); !auth.ok()) return base::Unexpected(auth.error());
    auto status = perform(request);
    if (!status.ok()) {
      const http::TransportError& error = status.error();
      if (observer_) observer_->OnApiRequest(verb, resource, error.status);
      // An answer too large to read is a malformed answer, not a network failure.
      const ErrorKind kind = error.response_too_large ? ErrorKind::kDecode : ErrorKind::kTransport;
      return base::Unexpected(ApiError{kind, error.status, error.message, {}});
    }
    if (observer_) observer_->OnApiRequest(verb, resource, *status);
    if (*status == 401 && attempt == 0) {
      access_.credentials->Invalidate();  // the token may have rotated since we read it
      continue;
    }
    return *status;
  }
}

base::Expected<http::Response, ApiError> Client::Do(http::Request request, std::string_view verb,
                                                    std::string_view resource) {
  http::Response response;
  auto status =
      Exchange(request, verb, resource, [&](const http::Request& r) -> base::Expected<int, http::TransportError> {
        auto sent = transport_.Send(r);
        if (!sent.ok()) return base::Unexpected(sent.error());
        response = std::move(sent).value();
        return response.status;
      });
  if (!status.ok()) return base::Unexpected(status.error());
  if (*status < 200 || *status >= 300) return base::Unexpected(ErrorFromResponse(response, clock_.WallNow()));
  return response;
}

base::Expected<std::string, ApiError> Client::GetRaw(std::string_view path, std::string_view resource,
                                                     std::size_t max_bytes, const base::StopSignal* cancel) {
  http::Request req;
  req.url = access_.server + std::string(path);
  req.max_response_bytes = max_bytes;
  req.cancel = cancel;
  req.headers.emplace_back("Accept", "application/json");
  auto resp = Do(std::move(req), "get", resource);
  if (!resp.ok()) return base::Unexpected(resp.error());
  return std::move(resp->body);
}

base::Expected<std::pair<std::string, std::string>, ApiError> DecodeListPage(std::string_view body,
                                                                             const ItemVisitor& visit,
                                                                             std::size_t& items) {
  ListDecoder decoder(visit);
  if (auto r = decoder.Feed(body); !r.ok()) return base::Unexpected(r.error());
  if (auto r = decoder.Finish(); !r.ok()) return base::Unexpected(r.error());
  items += decoder.items();
  return std::make_pair(decoder.resource_version(), decoder.continue_token());
}

base::Expected<ListResult, ApiError> Client::List(std::string_view path, std::string_view resource,
                                                  const ListOptions& options, const ItemVisitor& visit,
                                                  const base::StopSignal& stop) {
  ListResult result;
  std::string continue_token;
  do {
    if (stop.stopped()) return base::Unexpected(ApiError{ErrorKind::kOther, 0, "stopped", {}});
    http::Request req;
    req.url = access_.server + std::string(path);
    AddQuery(req.url, "limit", std::to_string(options.limit));
    if (!continue_token.empty()) AddQuery(req.url, "continue", continue_token);
    if (!options.label_selector.empty()) AddQuery(req.url, "labelSelector", options.label_selector);
    if (!options.field_selector.empty()) AddQuery(req.url, "fieldSelector", options.field_selector);
    req.headers.emplace_back("Accept", "application/json");
    req.timeout = std::chrono::seconds(60);
    req.cancel = &stop;
    auto page = ListPage(std::move(req), resource, visit, result);
    if (!page.ok()) return base::Unexpected(page.error());
    ++result.pages;
    result.resource_version = page->first;
    continue_token = page->second;
  } while (!continue_token.empty());
  return result;
}

base::Expected<std::pair<std::string, std::string>, ApiError> Client::ListPage(http::Request req,
                                                                               std::string_view resource,
                                                                               const ItemVisitor& visit,
                                                                               ListResult& result) {
  // A fresh decoder per attempt: a 401 body is kept as an error body, never decoded.
  std::optional<ListDecoder> decoder;
  std::optional<DecodingStream<ListDecoder>> stream;
  base::StopSignal never;
  auto status = Exchange(req, "list", resource, [&](const http::Request& r) {
    decoder.emplace(visit);
    stream.emplace(*decoder);
    return transport_.Stream(r, *stream, r.cancel ? *r.cancel : never);
  });
  if (!status.ok()) return base::Unexpected(status.error());
  if (*status < 200 || *status >= 300) {
    return base::Unexpected(ErrorFromResponse(stream->ErrorResponse(), clock_.WallNow()));
  }
  if (stream->error_) return base::Unexpected(*stream->error_);
  if (auto done = decoder->Finish(); !done.ok()) return base::Unexpected(done.error());
  result.items += decoder->items();
  if (decoder->skipped() > 0) {
    result.skipped += decoder->skipped();
    result.largest_skipped_bytes = std::max(result.largest_skipped_bytes, decoder->largest_skipped_bytes());
    result.skip_reason = decoder->skip_reason();
  }
  return std::make_pair(decoder->resource_version(), decoder->continue_token());
}

base::Expected<base::Ok, ApiError> WatchDecoder::DecodeLine(std::string_view line) {
  rapidjson::Document doc;
  if (auto parsed = base::ParseJson(doc, line, kWatchEventJson); !parsed.ok()) {
    return base::Unexpected(DecodeError("watch event " + parsed.error()));
  }
  if (!doc.IsObject()) return base::Unexpected(DecodeError("watch event is not a JSON object"));
  const std::string_view type = StringMember(doc, "type");
  auto obj = doc.FindMember("object");
  if (obj == doc.MemberEnd() || !obj->value.IsObject()) {
    return base::Unexpected(DecodeError(fmt::format("watch event '{}' has no object", type)));
  }
  if (type == "ERROR") {
    // The object is a metav1.Status; 410 means our resourceVersion is too old.
    ApiError err;
    auto code = obj->value.FindMember("code");
    err.http_status = code != obj->value.MemberEnd() && code->value.IsInt() ? code->value.GetInt() : 0;
    err.kind = err.http_status == 410   ? ErrorKind::kGone
               : err.http_status >= 500 ? ErrorKind::kServer
                                        : ErrorKind::kOther;
    err.message = std::string(StringMember(obj->value, "message"));
    return base::Unexpected(err);
  }
  EventType et;
  if (type == "ADDED")
    et = EventType::kAdded;
  else if (type == "MODIFIED")
    et = EventType::kModified;
  else if (type == "DELETED")
    et = EventType::kDeleted;
  else if (type == "BOOKMARK")
    et = EventType::kBookmark;
  else
    return base::Unexpected(DecodeError(fmt::format("unknown watch event type '{}'", type)));
  auto meta = obj->value.FindMember("metadata");
  if (meta != obj->value.MemberEnd()) {
    if (auto rv = StringMember(meta->value, "resourceVersion"); !rv.empty()) resource_version_ = rv;
  }
  ++events_;
  visit_(et, obj->value);
  return base::Ok{};
}

base::Expected<base::Ok, ApiError> WatchDecoder::Feed(std::string_view chunk) {
  pending_.append(chunk);
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(pending_.data() + start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    if (auto r = DecodeLine(line); !r.ok()) {
      pending_.clear();
      return r;
    }
  }
  pending_.erase(0, start);
  if (pending_.size() > kWatchEventJson.max_bytes) {
    pending_.clear();
    pending_.shrink_to_fit();
    return base::Unexpected(
        DecodeError(fmt::format("watch event is larger than {}", base::FormatBytes(kWatchEventJson.max_bytes))));
  }
  return base::Ok{};
}

base::Expected<WatchResult, ApiError> Client::Watch(std::string_view path, std::string_view resource,
                                                    const WatchOptions& options, const EventVisitor& visit,
                                                    const base::StopSignal& stop) {
  http::Request req;
  req.url = access_.server + std::string(path);
  AddQuery(req.url, "watch", "true");
  if (!options.resource_version.empty()) AddQuery(req.url, "resourceVersion", options.resource_version);
  if (options.allow_bookmarks) AddQuery(req.url, "allowWatchBookmarks", "true");
  AddQuery(req.url, "timeoutSeconds", std::to_string(options.timeout_seconds));
  if (!options.label_selector.empty()) AddQuery(req.url, "labelSelector", options.label_selector);
  if (!options.field_selector.empty()) AddQuery(req.url, "fieldSelector", options.field_selector);
  req.headers.emplace_back("Accept", "application/json");
  // The server closes the watch after timeoutSeconds; this bounds a server that does not.
  req.timeout = std::chrono::seconds(options.timeout_seconds + 30);
  req.stall_timeout = options.idle_timeout;
  std::optional<WatchDecoder> decoder;
  std::optional<DecodingStream<WatchDecoder>> stream;
  auto status = Exchange(req, "watch", resource, [&](const http::Request& r) {
    decoder.emplace(visit);
    stream.emplace(*decoder, options.on_open);
    return transport_.Stream(r, *stream, stop);
  });
  if (!status.ok()) return base::Unexpected(status.error());
  if (*status < 200 || *status >= 300) {
    return base::Unexpected(ErrorFromResponse(stream->ErrorResponse(), clock_.WallNow()));
  }
  if (stream->error_) return base::Unexpected(*stream->error_);
  WatchResult result;
  result.resource_version =
      decoder->resource_version().empty() ? options.resource_version : decoder->resource_version();
  result.events = decoder->events();
  return result;
}

base::Expected<ConfigMap, ApiError> Client::GetConfigMap(std::string_view ns, std::string_view name) {
  auto body = GetRaw(fmt::format("/api/v1/namespaces/{}/configmaps/{}", ns, name), "configmaps", kMaxConfigMapReply);
  if (!body.ok()) return base::Unexpected(body.error());
  rapidjson::Document doc;
  if (auto parsed = base::ParseJson(doc, *body, kObjectJson); !parsed.ok()) {
    return base::Unexpected(DecodeError("ConfigMap " + parsed.error()));
  }
  if (!doc.IsObject()) return base::Unexpected(DecodeError("ConfigMap is not a JSON object"));
  ConfigMap cm;
  auto read_map = [](const rapidjson::Value& parent, const char* key, std::map<std::string, std::string>& out) {
    if (!parent.IsObject()) return;
    auto m = parent.FindMember(key);
    if (m == parent.MemberEnd() || !m->value.IsObject()) return;
    for (const auto& kv : m->value.GetObject()) {
      if (kv.value.IsString()) out.emplace(kv.name.GetString(), kv.value.GetString());
    }
  };
  read_map(doc, "data", cm.data);
  if (auto meta = doc.FindMember("metadata"); meta != doc.MemberEnd()) {
    read_map(meta->value, "labels", cm.labels);
    cm.resource_version = std::string(StringMember(meta->value, "resourceVersion"));
  }
  return cm;
}

base::Expected<base::Ok, ApiError> Client::ApplyConfigMap(std::string_view ns, std::string_view name,
                                                          const std::map<std::string, std::string>& labels,
                                                          const std::map<std::string, std::string>& data,
                                                          base::Millis timeout, const base::StopSignal* cancel) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto write_map = [&](const std::map<std::string, std::string>& m) {
    w.StartObject();
    for (const auto& [k, v] : m) {
      str(k);
      str(v);
    }
    w.EndObject();
  };
  w.StartObject();
  str("apiVersion");
  str("v1");
  str("kind");
  str("ConfigMap");
  str("metadata");
  w.StartObject();
  str("name");
  str(name);
  str("namespace");
  str(ns);
  str("labels");
  write_map(labels);
  w.EndObject();
  str("data");
  write_map(data);
  w.EndObject();

  http::Request req;
  req.method = "PATCH";
  req.url = access_.server +
            fmt::format("/api/v1/namespaces/{}/configmaps/{}?fieldManager=kube9-operator&force=true", ns, name);
  req.headers.emplace_back("Content-Type", "application/apply-patch+yaml");  // JSON is YAML
  req.headers.emplace_back("Accept", "application/json");
  req.body.assign(buf.GetString(), buf.GetSize());
  req.timeout = timeout;
  req.cancel = cancel;
  req.max_response_bytes = kMaxConfigMapReply;  // the applied ConfigMap, which we do not read
  auto resp = Do(std::move(req), "apply", "configmaps");
  if (!resp.ok()) return base::Unexpected(resp.error());
  return base::Ok{};
}

}  // namespace kube9::kube
