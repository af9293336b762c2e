#include "http/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/bytes.h"

namespace kube9::http {
namespace {

constexpr std::size_t kMaxIdleHandles = 4;

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// State shared with libcurl's callbacks during one exchange.
struct Exchange {
  Response response;
  StreamHandler* handler = nullptr;  // null: buffer the body
  const base::StopSignal* stop = nullptr;
  bool headers_delivered = false;
  bool declined = false;     // the handler asked to end the stream
  std::size_t max_body = 0;  // Send(): Request::max_response_bytes
  bool too_large = false;    // the body passed max_body: the transfer was aborted
  CURL* curl = nullptr;

  bool DeliverHeaders() {
    if (headers_delivered || handler == nullptr) return true;
    headers_delivered = true;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    if (!handler->OnHeaders(response.status, response.headers)) declined = true;
    return !declined;
  }
};

std::size_t OnHeaderLine(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    ex->response.headers = Headers();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    ex->response.headers.Add(line.substr(0, colon), value);
  }
  return size * n;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t len = size * n;
  if (ex->handler == nullptr) {
    if (len > ex->max_body - ex->response.body.size()) {
      ex->too_large = true;
      return 0;  // aborts with CURLE_WRITE_ERROR; nothing more is buffered
    }
    ex->response.body.append(data, len);
    return len;
  }
  if (!ex->DeliverHeaders()) return 0;
  if (!ex->handler->OnData(std::string_view(data, len))) {
    ex->declined = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  // libcurl calls this at least once a second even when idle, so a stop ends a quiet watch.
  if (ex->stop != nullptr && ex->stop->stopped()) {
    ex->declined = true;
    return 1;
  }
  return 0;
}

}  // namespace

class CurlTransport::Handle {
 public:
  Handle() : curl_(curl_easy_init()) {
    if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  ~Handle() { curl_easy_cleanup(curl_); }
  CURL* get() const { return curl_; }

 private:
  CURL* curl_;
};

CurlTransport::CurlTransport(TlsTrust trust, std::string user_agent)
    : trust_(std::move(trust)), user_agent_(std::move(user_agent)) {
  static GlobalInit init;
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Handle> CurlTransport::Acquire() {
  std::lock_guard lock(mu_);
  if (!idle_.empty()) {
    auto h = std::move(idle_.back());
    idle_.pop_back();
    return h;
  }
  return std::make_unique<Handle>();
}

void CurlTransport::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

namespace {

// Configures `curl` for one exchange. Returns the header list to free afterwards.
curl_slist* Prepare(CURL* curl, const Request& req, const TlsTrust& trust, const std::string& ua, Exchange& ex) {
  curl_easy_reset(curl);  // keeps the connection cache
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, ua.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // HTTP/1.1: each exchange has its own connection anyway (a watch holds one for its life), so
  // HTTP/2's multiplexing would buy nothing, and its per-connection session state (nghttp2's,
  // and libcurl's larger receive buffers) costs about 0.9 MiB at 21 watches
  // (docs/benchmarks.md "Resident memory at 1,000 pods").
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  if (req.stall_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<long long>(1, req.stall_timeout.count() / 1000)));
  }
  if (!trust.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, trust.ca_file.c_str());
  if (!trust.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(trust.ca_pem.data()), trust.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!req.client_cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(req.client_cert_pem.data()), req.client_cert_pem.size(), CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(req.client_key_pem.data()), req.client_key_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (req.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  ex.curl = curl;
  if (ex.stop == nullptr) ex.stop = req.cancel;
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ex);
  return headers;
}

std::string Describe(CURLcode rc, const char* errbuf) {
  return errbuf[0] != '\0' ? fmt::format("{} ({})", errbuf, curl_easy_strerror(rc))
                           : std::string(curl_easy_strerror(rc));
}

}  // namespace

base::Expected<Response, TransportError> CurlTransport::Send(const Request& request) {
  auto handle = Acquire();
  Exchange ex;
  ex.max_body = request.max_response_bytes;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = Prepare(handle->get(), request, trust_, user_agent_, ex);
  curl_easy_setopt(handle->get(), CURLOPT_ERRORBUFFER, errbuf);
  // A Content-Length above the limit fails the transfer before any of the body is read.
  curl_easy_setopt(handle->get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_response_bytes));
  CURLcode rc = curl_easy_perform(handle->get());
  curl_slist_free_all(headers);
  if ((ex.too_large && rc == CURLE_WRITE_ERROR) || rc == CURLE_FILESIZE_EXCEEDED) {
    long code = 0;
    curl_easy_getinfo(handle->get(), CURLINFO_RESPONSE_CODE, &code);
    // The rest of the body is still on the wire: the connection cannot be reused.
    return base::Unexpected(
        TransportError{fmt::format("response body larger than {}", base::FormatBytes(request.max_response_bytes)), true,
                       static_cast<int>(code)});
  }
  if (rc != CURLE_OK) {
    TransportError error{Describe(rc, errbuf)};
    error.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    Release(std::move(handle));
    return base::Unexpected(std::move(error));
  }
  long code = 0;
  curl_easy_getinfo(handle->get(), CURLINFO_RESPONSE_CODE, &code);
  ex.response.status = static_cast<int>(code);
  Release(std::move(handle));
  return std::move(ex.response);
}

base::Expected<int, TransportError> CurlTransport::Stream(const Request& request, StreamHandler& handler,
                                                          const base::StopSignal& stop) {
  auto handle = Acquire();
  Exchange ex;
  ex.handler = &handler;
  ex.stop = &stop;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = Prepare(handle->get(), request, trust_, user_agent_, ex);
  curl_easy_setopt(handle->get(), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(handle->get());
  curl_slist_free_all(headers);
  if (rc == CURLE_OK) ex.DeliverHeaders();  // a response with an empty body
  const int status = ex.response.status;
  const bool ended_by_us = ex.declined && (rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK);
  if (rc != CURLE_OK && !ended_by_us) {
    std::string msg = Describe(rc, errbuf);
    Release(std::move(handle));
    return base::Unexpected(TransportError{msg});
  }
  // A connection we cut mid-stream cannot be reused.
  if (!ended_by_us) Release(std::move(handle));
  return status;
}

}  // namespace kube9::http
