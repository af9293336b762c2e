#include "exporter/endpoints.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "base/gzip.h"
#include "base/parallel_gzip.h"
#include "base/version.h"
#include "exporter/gauge_family.h"
#include "exporter/send_ahead.h"
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

// The kubelet's probes: cheap, open without credentials, and all the probe socket serves.
bool IsProbe(std::string_view path) { return path == "/healthz" || path == "/readyz"; }

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
  // Everything on the probe socket is a probe or a 404.
  return request.probe_socket || IsProbe(request.path);
}

HttpReply Endpoints::Handle(const http::ServerRequest& request) const {
  HttpReply reply;
  if (request.probe_socket && !IsProbe(request.path)) {
    // The probe socket skips TLS and client certificates: it answers the probes only.
    reply = {404, "text/plain; charset=utf-8", "Not Found: the probe socket serves /healthz and /readyz only\n", {}};
  } else if (Authorized(request)) {
    reply = Route(request);
  } else {
    reply = {401, "text/plain; charset=utf-8", "Unauthorized\n", {{"WWW-Authenticate", "Basic realm=\"kube9-operator\""}}};
  }
  reply.headers.insert(reply.headers.end(), extra_headers_.begin(), extra_headers_.end());
  return reply;
}

bool Endpoints::Authorized(const http::ServerRequest& request) const {
  if (!basic_auth_ || IsProbe(request.path)) return true;
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
  std::string text;  // the aggregates and self metrics: about 0.5 MB at 10k pods
  text.reserve(64 * 1024);
  for (const auto* c : collectables_) {
    // The aggregates come rendered from their last sample: appended, not copied and formatted
    // again (a few hundred microseconds before the first byte at 1k pods).
    if (const auto* prerendered = dynamic_cast<const PrerenderedFamilies*>(c)) {
      prerendered->AppendText(text);
    } else {
      AppendTextFormat(c->Collect(), text);
    }
  }
  HttpReply reply;
  // Text format 0.0.4 whatever the Accept header asks: every Prometheus accepts it.
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  const bool gzip = AcceptsGzip(accept_encoding) && (ksm_ == nullptr || ksm_gzip_);
  if (gzip) reply.headers.emplace_back("Content-Encoding", "gzip");
  reply.headers.emplace_back("Vary", "Accept-Encoding");
  if (ksm_ == nullptr) {
    reply.body = gzip ? base::GzipCompress(text, 1) : std::move(text);  // level 1: scrapes are frequent
    metrics_.ObserveScrape(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return reply;
  }
  // The per-object families are tens of MB at 10k pods: streamed, written as the client takes
  // them, so that neither their text nor its compressed form is ever held whole. The scrape's
  // duration then includes the client's reading, as kube-state-metrics' does.
  reply.stream = [this, text = std::move(text), gzip, start](http::BodyWriter& out) {
    StreamMetrics(out, text, gzip);
    metrics_.ObserveScrape(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  return reply;
}

void Endpoints::StreamMetrics(http::BodyWriter& out, std::string_view aggregates, bool gzip) const {
  using collectors::ksm::TextWriter;
  constexpr std::size_t kPiece = TextWriter::kChunk;
  auto pieces = [](std::string_view text, auto&& write) {
    for (std::size_t at = 0; at < text.size(); at += kPiece) write(text.substr(at, kPiece));
  };
  if (!gzip) {
    // Rendered on this thread while another sends: the two cost about the same.
    SendAhead ahead([&out](std::string_view piece) { out.Write(piece); }, kPlainPiece);
    pieces(aggregates, [&ahead](std::string_view piece) { ahead.SendView(piece); });
    TextWriter w(ahead);
    ksm_->Render(w);
    w.Flush();
    ahead.Finish();
    return;
  }
  // Compressed as it is written, at level 1 (scrapes are frequent), on two threads when the
  // body passes one block: deflating is most of a gzip scrape's time (~270 MB/s a core, where
  // rendering runs at GB/s). The compressed bytes leave on this thread, so the client's pace
  // holds the compression back too.
  base::ParallelGzipWriter z([&out](std::string_view compressed) { out.Write(compressed); });
  auto compress = [&z](std::string_view plain) { z.Write(plain); };
  pieces(aggregates, compress);
  TextWriter w(compress);
  ksm_->Render(w);
  w.Flush();
  z.Finish();
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
