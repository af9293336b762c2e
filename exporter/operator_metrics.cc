#include "exporter/operator_metrics.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>

#include "base/version.h"

namespace kube9::exporter {
namespace {
// What the endpoints and the server answer; any other code is counted as "other", so that
// the label set stays small and fixed.
constexpr int kHttpCodes[] = {200, 400, 404, 405, 413, 414, 431, 500, 501, 503, 505};

double Seconds(base::WallTime t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }
}  // namespace

OperatorMetrics::OperatorMetrics(prometheus::Registry& registry)
    : status_writes_(prometheus::BuildCounter()
                         .Name("kube9_operator_status_writes_total")
                         .Help("Writes of the status ConfigMap, by result.")
                         .Register(registry)),
      status_last_success_family_(prometheus::BuildGauge()
                                      .Name("kube9_operator_status_last_success_timestamp_seconds")
                                      .Help("Unix time of the last successful status ConfigMap write.")
                                      .Register(registry)),
      status_last_success_(status_last_success_family_.Add({})),
      api_requests_(prometheus::BuildCounter()
                        .Name("kube9_operator_kubernetes_api_requests_total")
                        .Help("Requests to the Kubernetes API by verb, resource and HTTP code (0: no response).")
                        .Register(registry)),
      api_errors_(prometheus::BuildCounter()
                      .Name("kube9_operator_kubernetes_api_errors_total")
                      .Help("Failed list/watch calls by resource and error kind.")
                      .Register(registry)),
      watch_events_(prometheus::BuildCounter()
                        .Name("kube9_operator_watch_events_total")
                        .Help("Watch events received, by resource and type.")
                        .Register(registry)),
      relists_(prometheus::BuildCounter()
                   .Name("kube9_operator_relists_total")
                   .Help("Full LISTs by resource and reason (initial, expired, error, decode_error).")
                   .Register(registry)),
      last_sync_(prometheus::BuildGauge()
                     .Name("kube9_operator_last_sync_timestamp_seconds")
                     .Help("Unix time of the last completed LIST, by resource.")
                     .Register(registry)),
      store_objects_(prometheus::BuildGauge()
                         .Name("kube9_operator_store_objects")
                         .Help("Objects held in each collector's store.")
                         .Register(registry)),
      objects_skipped_(prometheus::BuildCounter()
                           .Name("kube9_operator_objects_skipped_total")
                           .Help("Objects from the API server that could not be used (no metadata), by resource.")
                           .Register(registry)),
      scrape_duration_(
          prometheus::BuildHistogram()
              .Name("kube9_operator_scrape_duration_seconds")
              .Help("Time to render /metrics.")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})),
      ready_(prometheus::BuildGauge()
                 .Name("kube9_operator_ready")
                 .Help("1 when /readyz answers 200: every collector listed and the first status written.")
                 .Register(registry)
                 .Add({})),
      http_connections_(prometheus::BuildGauge()
                            .Name("kube9_operator_http_connections")
                            .Help("Open connections to the HTTP port.")
                            .Register(registry)
                            .Add({})),
      http_closed_(prometheus::BuildCounter()
                       .Name("kube9_operator_http_connections_closed_total")
                       .Help("Connections to the HTTP port closed, by reason (timeouts, limits and errors "
                             "included).")
                       .Register(registry)),
      http_replies_(prometheus::BuildCounter()
                        .Name("kube9_operator_http_requests_total")
                        .Help("Replies written by the HTTP server, by status code (its own errors included).")
                        .Register(registry)),
      thread_failures_(prometheus::BuildCounter()
                           .Name("kube9_operator_thread_failures_total")
                           .Help("Exceptions that escaped an operator thread's body, by thread.")
                           .Register(registry)) {
  prometheus::BuildGauge()
      .Name("kube9_operator_build_info")
      .Help("Build of the running operator; always 1.")
      .Register(registry)
      .Add({{"version", base::kVersion}, {"commit", base::kGitCommit}})
      .Set(1);
  // Present from the start, so that rate() and alerts see a zero rather than no series.
  status_writes_.Add({{"result", "success"}});
  status_writes_.Add({{"result", "failure"}});
  for (http::CloseReason reason : http::kAllCloseReasons) {
    http_closed_.Add({{"reason", std::string(http::CloseReasonName(reason))}});
  }
  for (int code : kHttpCodes) http_replies_.Add({{"code", std::to_string(code)}});
}

void OperatorMetrics::DeclareThread(std::string_view thread) {
  thread_failures_.Add({{"thread", std::string(thread)}});
}

void OperatorMetrics::OnThreadFailure(std::string_view thread) {
  thread_failures_.Add({{"thread", std::string(thread)}}).Increment();
}

void OperatorMetrics::OnApiRequest(std::string_view verb, std::string_view resource, int code) {
  api_requests_.Add({{"verb", std::string(verb)}, {"resource", std::string(resource)}, {"code", std::to_string(code)}})
      .Increment();
}

void OperatorMetrics::OnRelist(std::string_view resource, std::string_view reason) {
  relists_.Add({{"resource", std::string(resource)}, {"reason", std::string(reason)}}).Increment();
}

void OperatorMetrics::OnSynced(std::string_view resource, std::size_t) {
  // Millisecond resolution (Gauge::SetToCurrentTime keeps whole seconds only).
  last_sync_.Add({{"resource", std::string(resource)}}).Set(Seconds(std::chrono::system_clock::now()));
}

void OperatorMetrics::OnStopped(std::string_view resource) {
  const std::map<std::string, std::string> labels = {{"resource", std::string(resource)}};
  // Family::Add returns the existing series for these labels (or makes one), which Remove drops.
  last_sync_.Remove(&last_sync_.Add(labels));
  store_objects_.Remove(&store_objects_.Add(labels));
  // Its value follows the store's running count, which starts over with the next store.
  objects_skipped_.Remove(&objects_skipped_.Add(labels));
}

void OperatorMetrics::OnWatchEvent(std::string_view resource, kube::EventType type) {
  watch_events_.Add({{"resource", std::string(resource)}, {"type", std::string(kube::EventTypeName(type))}})
      .Increment();
}

void OperatorMetrics::OnError(std::string_view resource, const kube::ApiError& error) {
  api_errors_.Add({{"resource", std::string(resource)}, {"kind", std::string(kube::ErrorKindName(error.kind))}})
      .Increment();
}

void OperatorMetrics::OnStatusWrite(bool success, base::WallTime when) {
  status_writes_.Add({{"result", success ? "success" : "failure"}}).Increment();
  if (success) status_last_success_.Set(Seconds(when));
}

void OperatorMetrics::NotStatusWriter() {
  status_last_success_family_.Remove(&status_last_success_);
  for (const char* result : {"success", "failure"}) status_writes_.Remove(&status_writes_.Add({{"result", result}}));
}

void OperatorMetrics::SetStoreStats(std::string_view resource, std::size_t objects, std::uint64_t skipped) {
  store_objects_.Add({{"resource", std::string(resource)}}).Set(static_cast<double>(objects));
  // The store counts; the counter follows it (one caller, so no race between read and add).
  prometheus::Counter& counter = objects_skipped_.Add({{"resource", std::string(resource)}});
  const double behind = static_cast<double>(skipped) - counter.Value();
  if (behind > 0) counter.Increment(behind);
}

void OperatorMetrics::OnConnectionOpened() { http_connections_.Increment(); }

void OperatorMetrics::OnConnectionClosed(http::CloseReason reason) {
  http_connections_.Decrement();
  http_closed_.Add({{"reason", std::string(http::CloseReasonName(reason))}}).Increment();
}

void OperatorMetrics::OnReply(int status) {
  const bool known = std::find(std::begin(kHttpCodes), std::end(kHttpCodes), status) != std::end(kHttpCodes);
  http_replies_.Add({{"code", known ? std::to_string(status) : std::string("other")}}).Increment();
}

void OperatorMetrics::ObserveScrape(double seconds) { scrape_duration_.Observe(seconds); }

void OperatorMetrics::SetReady(bool ready) { ready_.Set(ready ? 1 : 0); }

}  // namespace kube9::exporter
