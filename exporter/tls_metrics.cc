#include "exporter/tls_metrics.h"

namespace kube9::exporter {

TlsMetrics::TlsMetrics(prometheus::Registry& registry)
    : reloads_(prometheus::BuildCounter()
                   .Name("kube9_operator_web_tls_reloads_total")
                   .Help("Reloads of the TLS certificate, key and client CA files after they changed, by result.")
                   .Register(registry)),
      not_after_(prometheus::BuildGauge()
                     .Name("kube9_operator_web_tls_certificate_expiry_timestamp_seconds")
                     .Help("Unix time at which the certificate served on the HTTP port expires (its notAfter).")
                     .Register(registry)
                     .Add({})) {
  // Present from the start, so that alerts on failures see a zero rather than no series.
  reloads_.Add({{"result", "success"}});
  reloads_.Add({{"result", "failure"}});
}

void TlsMetrics::OnTlsReload(bool success) { reloads_.Add({{"result", success ? "success" : "failure"}}).Increment(); }

void TlsMetrics::OnTlsCertificate(base::WallTime not_after) {
  not_after_.Set(std::chrono::duration<double>(not_after.time_since_epoch()).count());
}

}  // namespace kube9::exporter
