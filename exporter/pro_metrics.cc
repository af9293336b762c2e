#include "exporter/pro_metrics.h"

#include <string>

namespace kube9::exporter {
namespace {

using sinks::collections::CollectionType;
using sinks::collections::TypeName;

const prometheus::Histogram::BucketBoundaries kCollectionBuckets = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

std::string Label(std::string_view v) { return std::string(v); }

}  // namespace

ProMetrics::ProMetrics(prometheus::Registry& registry, bool pro_tier, std::uint64_t spool_max_bytes)
    : collections_(prometheus::BuildCounter()
                       .Name("kube9_operator_collection_total")
                       .Help("Collections produced, by type and status (success, failure).")
                       .Register(registry)),
      collection_duration_(prometheus::BuildHistogram()
                               .Name("kube9_operator_collection_duration_seconds")
                               .Help("Time to build and store one collection, by type.")
                               .Register(registry)),
      collection_last_success_(prometheus::BuildGauge()
                                   .Name("kube9_operator_collection_last_success")
                                   .Help("Unix time of the last successful collection, by type.")
                                   .Register(registry)) {
  for (CollectionType t : sinks::collections::kAllTypes) {
    collections_.Add({{"type", Label(TypeName(t))}, {"status", "success"}});
    collections_.Add({{"type", Label(TypeName(t))}, {"status", "failure"}});
  }
  if (!pro_tier) return;
  registration_attempts_ = &prometheus::BuildCounter()
                                .Name("kube9_operator_registration_attempts_total")
                                .Help("Registration attempts with kube9-server, by result.")
                                .Register(registry);
  for (auto r : {sinks::registration::AttemptResult::kSuccess, sinks::registration::AttemptResult::kRejected,
                 sinks::registration::AttemptResult::kRateLimited, sinks::registration::AttemptResult::kError,
                 sinks::registration::AttemptResult::kInvalidResponse}) {
    registration_attempts_->Add({{"result", Label(AttemptResultName(r))}});
  }
  registration_state_ = &prometheus::BuildGauge()
                             .Name("kube9_operator_registration_state")
                             .Help("Registration state with kube9-server: 1 for the current state, 0 for the others.")
                             .Register(registry);
  OnRegistrationState(sinks::registration::State::kPending);
  uploads_ = &prometheus::BuildCounter()
                  .Name("kube9_operator_uploads_total")
                  .Help("Upload attempts to kube9-server, by collection type and result "
                        "(success, retry, rejected, split, unauthorized).")
                  .Register(registry);
  upload_bytes_ = &prometheus::BuildCounter()
                       .Name("kube9_operator_upload_bytes_total")
                       .Help("Compressed bytes sent to kube9-server, by collection type.")
                       .Register(registry);
  upload_retries_ = &prometheus::BuildCounter()
                         .Name("kube9_operator_upload_retries_total")
                         .Help("Uploads scheduled to be sent again after a failure, by collection type.")
                         .Register(registry);
  upload_drops_ = &prometheus::BuildCounter()
                       .Name("kube9_operator_upload_drops_total")
                       .Help("Payloads given up for good, by collection type and reason "
                             "(spool_full, too_large, rejected, unreadable, io_error).")
                       .Register(registry);
  // Every series from the start: increase() sees the first failure or drop as a step from zero.
  for (CollectionType t : sinks::collections::kAllTypes) {
    for (const char* result : {"success", "retry", "rejected", "split", "unauthorized"}) {
      uploads_->Add({{"type", Label(TypeName(t))}, {"result", result}});
    }
    upload_bytes_->Add({{"type", Label(TypeName(t))}});
    upload_retries_->Add({{"type", Label(TypeName(t))}});
    for (const char* reason : {"spool_full", "too_large", "rejected", "unreadable", "io_error"}) {
      upload_drops_->Add({{"type", Label(TypeName(t))}, {"reason", reason}});
    }
  }
  spool_bytes_ = &prometheus::BuildGauge()
                      .Name("kube9_operator_spool_bytes")
                      .Help("Bytes of payloads waiting in the upload spool.")
                      .Register(registry)
                      .Add({});
  spool_items_ = &prometheus::BuildGauge()
                      .Name("kube9_operator_spool_items")
                      .Help("Payloads waiting in the upload spool.")
                      .Register(registry)
                      .Add({});
  prometheus::BuildGauge()
      .Name("kube9_operator_spool_max_bytes")
      .Help("Bound of the upload spool (--spool.max-bytes).")
      .Register(registry)
      .Add({})
      .Set(static_cast<double>(spool_max_bytes));
}

void ProMetrics::OnCollection(CollectionType type, bool success, double seconds, base::WallTime at) {
  const std::string t = Label(TypeName(type));
  collections_.Add({{"type", t}, {"status", success ? "success" : "failure"}}).Increment();
  collection_duration_.Add({{"type", t}}, kCollectionBuckets).Observe(seconds);
  if (success) {
    collection_last_success_.Add({{"type", t}})
        .Set(std::chrono::duration<double>(at.time_since_epoch()).count());
  }
}

void ProMetrics::OnRegistrationAttempt(sinks::registration::AttemptResult result) {
  if (registration_attempts_ != nullptr) registration_attempts_->Add({{"result", Label(AttemptResultName(result))}}).Increment();
}

void ProMetrics::OnRegistrationState(sinks::registration::State state) {
  if (registration_state_ == nullptr) return;
  for (auto s : sinks::registration::kAllStates) {
    registration_state_->Add({{"state", Label(StateName(s))}}).Set(s == state ? 1 : 0);
  }
}

void ProMetrics::OnUpload(std::string_view type, std::string_view result, std::uint64_t bytes) {
  if (uploads_ == nullptr) return;
  uploads_->Add({{"type", Label(type)}, {"result", Label(result)}}).Increment();
  upload_bytes_->Add({{"type", Label(type)}}).Increment(static_cast<double>(bytes));
}

void ProMetrics::OnRetry(std::string_view type) {
  if (upload_retries_ != nullptr) upload_retries_->Add({{"type", Label(type)}}).Increment();
}

void ProMetrics::OnSpoolChanged(std::uint64_t bytes, std::size_t items) {
  if (spool_bytes_ == nullptr) return;
  spool_bytes_->Set(static_cast<double>(bytes));
  spool_items_->Set(static_cast<double>(items));
}

void ProMetrics::OnDrop(std::string_view type, std::string_view reason) {
  if (upload_drops_ != nullptr) upload_drops_->Add({{"type", Label(type)}, {"reason", Label(reason)}}).Increment();
}

}  // namespace kube9::exporter
