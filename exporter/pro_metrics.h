#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sinks/collections/scheduler.h"
#include "sinks/registration/registrar.h"
#include "sinks/upload/observer.h"

namespace kube9::exporter {

// The self metrics of collections (both tiers) and of the Pro tier's registration, uploads and
// spool (kube9_operator_*). The registration, upload and spool series exist only when an API key
// is configured, so that free-tier alerts see no series rather than zeros. Thread-safe.
class ProMetrics final : public sinks::collections::CollectionObserver,
                         public sinks::registration::RegistrationObserver,
                         public sinks::upload::UploadObserver,
                         public sinks::upload::SpoolObserver {
 public:
  ProMetrics(prometheus::Registry& registry, bool pro_tier, std::uint64_t spool_max_bytes);

  void OnCollection(sinks::collections::CollectionType type, bool success, double seconds,
                    base::WallTime at) override;
  void OnRegistrationAttempt(sinks::registration::AttemptResult result) override;
  void OnRegistrationState(sinks::registration::State state) override;
  void OnUpload(std::string_view type, std::string_view result, std::uint64_t bytes) override;
  void OnRetry(std::string_view type) override;
  void OnSpoolChanged(std::uint64_t bytes, std::size_t items) override;
  void OnDrop(std::string_view type, std::string_view reason) override;

 private:
  prometheus::Family<prometheus::Counter>& collections_;
  prometheus::Family<prometheus::Histogram>& collection_duration_;
  prometheus::Family<prometheus::Gauge>& collection_last_success_;
  prometheus::Family<prometheus::Counter>* registration_attempts_ = nullptr;
  prometheus::Family<prometheus::Gauge>* registration_state_ = nullptr;
  prometheus::Family<prometheus::Counter>* uploads_ = nullptr;
  prometheus::Family<prometheus::Counter>* upload_bytes_ = nullptr;
  prometheus::Family<prometheus::Counter>* upload_retries_ = nullptr;
  prometheus::Family<prometheus::Counter>* upload_drops_ = nullptr;
  prometheus::Gauge* spool_bytes_ = nullptr;
  prometheus::Gauge* spool_items_ = nullptr;
};

}  // namespace kube9::exporter
