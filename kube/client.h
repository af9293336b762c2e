#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/clock.h"
#include "base/expected.h"
#include "http/transport.h"
#include "kube/api_error.h"
#include "kube/cluster_access.h"
#include "kube/limits.h"

namespace kube9::kube {

// Told about every API request, for the request counters on /metrics.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // `code` is the HTTP status, or 0 when no response arrived.
  virtual void OnApiRequest(std::string_view verb, std::string_view resource, int code) = 0;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 500;  // items per page; bounds what one response holds in memory
};

struct ListResult {
  std::string resource_version;  // of the whole list: where a watch continues from
  std::size_t items = 0;
  int pages = 0;
  // Items left out for passing kObjectJson (see ListDecoder): how many, the largest one's
  // size, and why.
  std::size_t skipped = 0;
  std::size_t largest_skipped_bytes = 0;
  std::string skip_reason;
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark };
std::string_view EventTypeName(EventType type);

// A watch that delivers no byte for this long is abandoned as a transport error, and the
// caller re-watches from its last resourceVersion. With allowWatchBookmarks the API server's
// watch cache sends a bookmark about once a minute even when nothing changes, so a healthy
// watch never gets there; without this bound a connection that stays up but carries nothing
// (a stuck proxy or load balancer, a wedged server) would hold the watch until timeoutSeconds,
// 5 to 10 minutes, while every change is missed.
inline constexpr base::Millis kWatchIdleTimeout{90'000};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  int timeout_seconds = 300;  // the server ends the watch after this; the caller re-watches
  bool allow_bookmarks = true;
  // Called when the server accepts the watch (2xx headers), before any event.
  std::function<void()> on_open;
  base::Millis idle_timeout = kWatchIdleTimeout;  // 0: a silent watch is kept until timeout_seconds
};

struct WatchResult {
  std::string resource_version;  // the last one seen (events and bookmarks)
  std::size_t events = 0;
};

using ItemVisitor = std::function<void(const rapidjson::Value& item)>;
using EventVisitor = std::function<void(EventType type, const rapidjson::Value& object)>;

struct ConfigMap {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> data;
  std::string resource_version;
};

// A Kubernetes API client: one call is one request (or one paginated LIST); retry policy
// belongs to the caller, which gets typed errors (with Retry-After on 429). A 401 refreshes
// the credentials and retries once, since tokens rotate. Thread-safe.
class Client {
 public:
  Client(ClusterAccess access, http::Transport& transport, const base::Clock& clock,
         RequestObserver* observer = nullptr);

  // GET of any path (e.g. /version); returns the body, at most `max_bytes` of it (a longer
  // one is a kDecode error). `cancel` abandons it within about a second (shutdown).
  base::Expected<std::string, ApiError> GetRaw(std::string_view path, std::string_view resource,
                                               std::size_t max_bytes = kObjectJson.max_bytes,
                                               const base::StopSignal* cancel = nullptr);

  // Paginated LIST of a collection path (e.g. /api/v1/pods): each item is visited once; pages
  // are requested with `limit` and `continue`. A 410 mid-list means the continue token
  // expired: the caller relists from the start.
  base::Expected<ListResult, ApiError> List(std::string_view path, std::string_view resource,
                                            const ListOptions& options, const ItemVisitor& visit,
                                            const base::StopSignal& stop);

  // WATCH from a resourceVersion until the server ends it, `stop` fires, or an error.
  // An ERROR event becomes the returned error (410 Gone: relist).
  base::Expected<WatchResult, ApiError> Watch(std::string_view path, std::string_view resource,
                                              const WatchOptions& options, const EventVisitor& visit,
                                              const base::StopSignal& stop);

  base::Expected<ConfigMap, ApiError> GetConfigMap(std::string_view ns, std::string_view name);

  // Creates or updates a ConfigMap by server-side apply (field manager kube9-operator,
  // force): no read-modify-write, so it never loses to a 409.
  base::Expected<base::Ok, ApiError> ApplyConfigMap(std::string_view ns, std::string_view name,
                                                    const std::map<std::string, std::string>& labels,
                                                    const std::map<std::string, std::string>& data,
                                                    base::Millis timeout = std::chrono::seconds(10),
                                                    const base::StopSignal* cancel = nullptr);

  const std::string& server() const { return access_.server; }

 private:
  base::Expected<http::Response, ApiError> Do(http::Request request, std::string_view verb, std::string_view resource);
  base::Expected<base::Ok, ApiError> Authenticate(http::Request& request);
  // One authenticated, counted request: `perform` sends it and returns the HTTP status. A
  // first 401 refreshes the credentials and sends it again; every call goes through here.
  using Perform = std::function<base::Expected<int, http::TransportError>(const http::Request&)>;
  base::Expected<int, ApiError> Exchange(http::Request& request, std::string_view verb, std::string_view resource,
                                         const Perform& perform);
  // One LIST page, streamed through a ListDecoder: returns (resourceVersion, continue) and
  // adds its items and skipped items to `result`.
  base::Expected<std::pair<std::string, std::string>, ApiError> ListPage(http::Request request,
                                                                         std::string_view resource,
                                                                         const ItemVisitor& visit, ListResult& result);

  ClusterAccess access_;
  http::Transport& transport_;
  const base::Clock& clock_;
  RequestObserver* observer_;
};

// Decodes one LIST page: visits items, returns (resourceVersion, continue). Exposed for tests.
base::Expected<std::pair<std::string, std::string>, ApiError> DecodeListPage(std::string_view body,
                                                                             const ItemVisitor& visit,
                                                                             std::size_t& items);

// Splits a watch stream into events. Feed it chunks as they arrive. Exposed for tests.
class WatchDecoder {
 public:
  explicit WatchDecoder(const EventVisitor& visit) : visit_(visit) {}
  // Returns an error for a malformed event or an ERROR event; the stream should then end.
  base::Expected<base::Ok, ApiError> Feed(std::string_view chunk);
  const std::string& resource_version() const { return resource_version_; }
  std::size_t events() const { return events_; }

 private:
  base::Expected<base::Ok, ApiError> DecodeLine(std::string_view line);

  const EventVisitor& visit_;
  std::string pending_;
  std::string resource_version_;
  std::size_t events_ = 0;
};

std::string UrlEncode(std::string_view s);

}  // namespace kube9::kube
