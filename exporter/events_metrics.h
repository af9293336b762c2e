#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "sinks/events/observer.h"

namespace kube9::exporter {

// The events history's self metrics (kube9_operator_events_*, docs/metrics.md). Every drop
// reason and severity exists from the start at 0, so that rate() alerts see a series. Thread-safe.
class EventsMetrics final : public sinks::events::HistoryObserver {
 public:
  explicit EventsMetrics(prometheus::Registry& registry);

  // 1 while the history records, 0 when it is off (read-only data directory, ...).
  void SetEnabled(bool enabled);
  void OnRecorded(std::string_view severity, std::uint64_t events) override;
  void OnDropped(std::string_view reason, std::uint64_t events) override;
  void OnPrune(std::string_view reason, std::uint64_t rows) override;
  void OnRecovery(std::string_view reason) override;
  void OnStoreSize(std::uint64_t rows, std::uint64_t bytes) override;

 private:
  prometheus::Family<prometheus::Counter>& recorded_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& prune_runs_;
  prometheus::Family<prometheus::Counter>& pruned_;
  prometheus::Family<prometheus::Counter>& recoveries_;
  prometheus::Gauge& rows_;
  prometheus::Gauge& bytes_;
  prometheus::Gauge& enabled_;
};

}  // namespace kube9::exporter
