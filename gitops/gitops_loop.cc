#include "gitops/gitops_loop.h"

#include <algorithm>

#include "base/log.h"
#include "base/time_format.h"

namespace kube9::gitops {

GitOpsLoop::GitOpsLoop(Detector& detector, Prober prober, const base::Clock& clock, Options options, Publish publish,
                       Heartbeat heartbeat)
    : detector_(detector),
      prober_(std::move(prober)),
      clock_(clock),
      options_(options),
      publish_(std::move(publish)),
      heartbeat_(std::move(heartbeat)) {}

void GitOpsLoop::RunOnce(const base::StopSignal& stop) {
  const auto now = clock_.Now();
  if (!last_discovery_ || now - *last_discovery_ >= options_.discovery_interval) {
    last_discovery_ = now;
    if (auto looked = detector_.Refresh(&stop); !looked.ok() && !stop.stopped()) {
      // What the last completed look found stays (and with it the status block): an outage
      // of the API server is not a removal of Argo CD.
      log::Warn(
          "API discovery failed; keeping what was detected before",
          {{"error", looked.error().ToString()}, {"retry_in", base::FormatDuration(options_.discovery_interval)}});
    }
  }
  if (stop.stopped()) return;
  const GitOpsSnapshot snapshot = detector_.Snapshot();
  std::optional<ResourceTreeProbe> probe;
  if (snapshot.looked && snapshot.argocd.detected) {
    auto answer = prober_(options_.probe_timeout, &stop);
    if (stop.stopped()) return;
    probe = ResourceTreeProbe{answer.ok(), answer.ok() ? std::nullopt : std::optional(answer.error())};
    if (probe != last_probe_) {
      if (probe->capable) {
        log::Info("Argo CD resource tree reachable: the token is accepted");
      } else {
        log::Info("Argo CD resource tree not reachable",
                  {{"code", CodeName(probe->last_error->code)}, {"reason", probe->last_error->message}});
      }
    }
  }
  last_probe_ = probe;
  publish_(snapshot, probe);
}

void GitOpsLoop::Run(const base::StopSignal& stop) {
  while (!stop.stopped()) {
    const auto started = clock_.Now();
    RunOnce(stop);
    if (heartbeat_) heartbeat_();
    // The next round: a probe is due every probe_interval, a discovery every
    // discovery_interval; wake for whichever comes first.
    auto wake = started + options_.probe_interval;
    if (last_discovery_) wake = std::min(wake, *last_discovery_ + options_.discovery_interval);
    const auto left = std::chrono::duration_cast<base::Millis>(wake - clock_.Now());
    if (clock_.SleepFor(std::max(left, base::Millis(100)), stop)) break;
  }
}

}  // namespace kube9::gitops
