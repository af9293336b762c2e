#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "base/clock.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/reflector.h"
#include "sinks/status/observer.h"

namespace kube9::exporter {

// The operator's own metrics (kube9_operator_*), declared once. Observers of the Kubernetes
// client and reflectors feed it; the status loop reports its writes. Thread-safe.
class OperatorMetrics final : public kube::RequestObserver,
                              public kube::ReflectorObserver,
                              public http::ServerObserver,
                              public sinks::StatusWriteObserver {
 public:
  explicit OperatorMetrics(prometheus::Registry& registry);

  void OnApiRequest(std::string_view verb, std::string_view resource, int code) override;
  void OnRelist(std::string_view resource, std::string_view reason) override;
  void OnSynced(std::string_view resource, std::size_t objects) override;
  void OnWatchEvent(std::string_view resource, kube::EventType type) override;
  void OnError(std::string_view resource, const kube::ApiError& error) override;
  // Removes the resource's store and sync series (its counters of requests, events, relists
  // and errors stay: they are totals over the process' life).
  void OnStopped(std::string_view resource) override;

  // The HTTP server's connections and replies.
  void OnConnectionOpened() override;
  void OnConnectionClosed(http::CloseReason reason) override;
  void OnReply(int status) override;

  void OnStatusWrite(bool success, base::WallTime when) override;
  // A shard other than 0 writes no status: its status series are removed, so that an alert on
  // the last successful write (0 here) does not fire for it. Call before serving.
  void NotStatusWriter();
  void ObserveScrape(double seconds);
  // `skipped`: the store's running count of objects it could not use (no metadata).
  void SetStoreStats(std::string_view resource, std::size_t objects, std::uint64_t skipped);
  // What /readyz answers, as 1 or 0 (refreshed on every scrape).
  void SetReady(bool ready);
  // A named thread started: its failure counter exists from then on, at 0.
  void DeclareThread(std::string_view thread);
  // An exception escaped the thread's body (docs/development.md "Threads").
  void OnThreadFailure(std::string_view thread);

 private:
  prometheus::Family<prometheus::Counter>& status_writes_;
  prometheus::Family<prometheus::Gauge>& status_last_success_family_;
  prometheus::Gauge& status_last_success_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Family<prometheus::Counter>& api_errors_;
  prometheus::Family<prometheus::Counter>& watch_events_;
  prometheus::Family<prometheus::Counter>& relists_;
  prometheus::Family<prometheus::Gauge>& last_sync_;
  prometheus::Family<prometheus::Gauge>& store_objects_;
  prometheus::Family<prometheus::Counter>& objects_skipped_;
  prometheus::Histogram& scrape_duration_;
  prometheus::Gauge& ready_;
  prometheus::Gauge& http_connections_;
  prometheus::Family<prometheus::Counter>& http_closed_;
  prometheus::Family<prometheus::Counter>& http_replies_;
  prometheus::Family<prometheus::Counter>& thread_failures_;
};

}  // namespace kube9::exporter
