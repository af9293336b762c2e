#include "exporter/events_metrics.h"

#include <string>

#include "sinks/events/event_record.h"

namespace kube9::exporter {

EventsMetrics::EventsMetrics(prometheus::Registry& registry)
    : recorded_(prometheus::BuildCounter()
                    .Name("kube9_operator_events_recorded_total")
                    .Help("Kubernetes events written to the events history (new or repeated), by severity.")
                    .Register(registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("kube9_operator_events_dropped_total")
                   .Help("Events the history lost, by reason (queue_full, disk_full, write_error, corrupt, "
                         "store_unavailable, too_large).")
                   .Register(registry)),
      prune_runs_(prometheus::BuildCounter()
                      .Name("kube9_operator_events_prune_runs_total")
                      .Help("Prune runs of the events history, by reason (age, size).")
                      .Register(registry)),
      pruned_(prometheus::BuildCounter()
                  .Name("kube9_operator_events_pruned_total")
                  .Help("Rows the events history pruned, by reason (age, size).")
                  .Register(registry)),
      recoveries_(prometheus::BuildCounter()
                      .Name("kube9_operator_events_store_recoveries_total")
                      .Help("Events stores moved aside and recreated, by reason (corrupt, unreadable).")
                      .Register(registry)),
      rows_(prometheus::BuildGauge()
                .Name("kube9_operator_events_rows")
                .Help("Rows (one per Kubernetes event) in the events history.")
                .Register(registry)
                .Add({})),
      bytes_(prometheus::BuildGauge()
                 .Name("kube9_operator_events_bytes")
                 .Help("Bytes of the events history's store in use (bounded by --events.max-bytes).")
                 .Register(registry)
                 .Add({})),
      enabled_(prometheus::BuildGauge()
                   .Name("kube9_operator_events_history_enabled")
                   .Help("1 while the events history records; 0 when it is off (the reason is on / and in the logs).")
                   .Register(registry)
                   .Add({})) {
  for (std::string_view s : sinks::events::kSeverityNames) recorded_.Add({{"severity", std::string(s)}});
  for (const char* r : {"queue_full", "disk_full", "write_error", "corrupt", "store_unavailable", "too_large"}) {
    dropped_.Add({{"reason", r}});
  }
  for (const char* r : {"age", "size"}) {
    prune_runs_.Add({{"reason", r}});
    pruned_.Add({{"reason", r}});
  }
  for (const char* r : {"corrupt", "unreadable"}) recoveries_.Add({{"reason", r}});
}

void EventsMetrics::SetEnabled(bool enabled) { enabled_.Set(enabled ? 1 : 0); }

void EventsMetrics::OnRecorded(std::string_view severity, std::uint64_t events) {
  recorded_.Add({{"severity", std::string(severity)}}).Increment(static_cast<double>(events));
}

void EventsMetrics::OnDropped(std::string_view reason, std::uint64_t events) {
  dropped_.Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(events));
}

void EventsMetrics::OnPrune(std::string_view reason, std::uint64_t rows) {
  prune_runs_.Add({{"reason", std::string(reason)}}).Increment();
  pruned_.Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(rows));
}

void EventsMetrics::OnRecovery(std::string_view reason) {
  recoveries_.Add({{"reason", std::string(reason)}}).Increment();
}

void EventsMetrics::OnStoreSize(std::uint64_t rows, std::uint64_t bytes) {
  rows_.Set(static_cast<double>(rows));
  bytes_.Set(static_cast<double>(bytes));
}

}  // namespace kube9::exporter
