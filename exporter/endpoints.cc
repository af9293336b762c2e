#include "exporter/endpoints.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "base/gzip.h"
#include "base/version.h"
#include "exporter/text_format.h"

namespace kube9::exporter {
namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    const bool gzip = coding.size() == 4 && std::equal(coding.begin(), coding.end(), "gzip", [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) == b;
                      });
    if (!gzip && coding != "*") continue;
    auto q = item.find("q=");
    if (q != std::string_view::npos) {
      std::string qv(item.substr(q + 2));
      if (std::strtod(qv.c_str(), nullptr) <= 0.0) return false;
    }
    return true;
  }
  return false;
}

Endpoints::Endpoints(std::string telemetry_path, std::vector<const prometheus::Collectable*> collectables,
                     const HealthState& health, OperatorMetrics& metrics, std::function<LandingInfo()> landing)
    : telemetry_path_(std::move(telemetry_path)),
      collectables_(std::move(collectables)),
      health_(health),
      metrics_(metrics),
      landing_(std::move(landing)) {}

bool Endpoints::IsCheap(const http::ServerRequest& request) const {
  return request.path == "/healthz" || request.path == "/readyz";
}

HttpReply Endpoints::Handle(const http::ServerRequest& request) const {
  HttpReply reply;
  if (Authorized(request)) {
    reply = Route(request);
  } else {
    reply = {401, "text/plain; charset=utf-8", "Unauthorized\n", {{"WWW-Authenticate", "Basic realm=\"kube9-operator\""}}};
  }
  reply.headers.insert(reply.headers.end(), extra_headers_.begin(), extra_headers_.end());
  return reply;
}

bool Endpoints::Authorized(const http::ServerRequest& request) const {
  if (!basic_auth_ || request.path == "/healthz" || request.path == "/readyz") return true;
  return basic_auth_->Check(request.headers.Get("authorization"));
}

HttpReply Endpoints::Route(const http::ServerRequest& request) const {
  const std::string_view method = request.method;
  const std::string_view path = request.path;
  if (method != "GET" && method != "HEAD") {
    HttpReply r{405, "text/plain; charset=utf-8", "Method Not Allowed\n", {{"Allow", "GET, HEAD"}}};
    return r;
  }
  if (path == telemetry_path_) return Metrics(request.headers.Get("accept-encoding"));
  if (path == "/healthz") {
    Verdict v = health_.Live();
    return {v.ok ? 200 : 500, "text/plain; charset=utf-8", v.reason + "\n", {}};
  }
  if (path == "/readyz") {
    Verdict v = health_.Ready();
    return {v.ok ? 200 : 503, "text/plain; charset=utf-8", v.reason + "\n", {}};
  }
  if (path == "/") return Landing();
  return {404, "text/plain; charset=utf-8", "Not Found\n", {}};
}

HttpReply Endpoints::Metrics(std::string_view accept_encoding) const {
  const auto start = std::chrono::steady_clock::now();
  metrics_.SetReady(health_.Ready().ok);
  std::vector<prometheus::MetricFamily> families;
  for (const auto* c : collectables_) {
    auto f = c->Collect();
    families.insert(families.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
  }
  HttpReply reply;
  // Text format 0.0.4 whatever the Accept header asks: every Prometheus accepts it.
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  reply.body.reserve(64 * 1024);
  AppendTextFormat(families, reply.body);
  if (AcceptsGzip(accept_encoding)) {
    // Compressed as it is written: the per-object families' plain text never exists whole.
    std::string plain = std::move(reply.body);
    reply.body.clear();
    base::GzipWriter gzip(reply.body, 1);  // fast: scrapes are frequent
    gzip.Write(plain);
    plain = std::string();
    if (ksm_ != nullptr) {
      collectors::ksm::TextWriter w([&gzip](std::string_view chunk) { gzip.Write(chunk); });
      ksm_->Render(w);
    }
    gzip.Finish();
    reply.headers.emplace_back("Content-Encoding", "gzip");
  } else if (ksm_ != nullptr) {
    // Sized from the previous scrape, with room for the HTTP head the server puts in front: the
    // body of per-object families is large, and growing it by doubling would hold up to twice
    // its size.
    reply.body.reserve(last_plain_size_.load() * 11 / 10 + 4096);
    collectors::ksm::TextWriter w([&reply](std::string_view chunk) { reply.body += chunk; });
    ksm_->Render(w);
    w.Flush();
    last_plain_size_.store(reply.body.size());
  }
  reply.headers.emplace_back("Vary", "Accept-Encoding");
  metrics_.ObserveScrape(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return reply;
}

HttpReply Endpoints::Landing() const {
  const LandingInfo info = landing_();
  const Verdict live = health_.Live();
  const Verdict ready = health_.Ready();
  std::string rows;
  for (const auto& [name, v] : health_.Conditions()) {
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", HtmlEscape(name),
                        v.ok ? "ok" : "not ready", HtmlEscape(v.reason));
  }
  std::string body = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kube9-operator</title></head>\n"
      "<body>\n<h1>kube9-operator {}</h1>\n"
      "<ul>\n<li><a href=\"{}\">{}</a> (Prometheus metrics)</li>\n"
      "<li><a href=\"/healthz\">/healthz</a>: {}</li>\n<li><a href=\"/readyz\">/readyz</a>: {}</li>\n</ul>\n"
      "<p>Mode: {} &middot; tier: {} &middot; health: {} &middot; namespace: {}</p>\n"
      "<p>Events history: {}</p>\n"
      "<table border=\"1\"><tr><th>component</th><th>state</th><th>detail</th></tr>\n{}</table>\n"
      "</body></html>\n",
      HtmlEscape(base::kVersion), HtmlEscape(telemetry_path_), HtmlEscape(telemetry_path_), HtmlEscape(live.reason),
      HtmlEscape(ready.reason), HtmlEscape(info.mode), HtmlEscape(info.tier), HtmlEscape(info.health),
      HtmlEscape(info.ns), HtmlEscape(info.events.empty() ? "off" : info.events), rows);
  return {200, "text/html; charset=utf-8", std::move(body), {}};
}

}  // namespace kube9::exporter
