#pragma once

#include <functional>
#include <optional>

#include "base/clock.h"
#include "gitops/argocd_api.h"
#include "gitops/detection.h"

namespace kube9::gitops {

// Whether `query argocd resource-tree get` would work now (the status' resourceTreeCapable
// and resourceTreeLastError).
struct ResourceTreeProbe {
  bool capable = false;
  std::optional<ArgoCdError> last_error;  // why not, when not

  bool operator==(const ResourceTreeProbe&) const = default;
};

// Answers the probe. Production: ArgoCdApi::Probe; tests: a script.
using Prober =
    std::function<base::Expected<base::Ok, ArgoCdError>(base::Millis timeout, const base::StopSignal* cancel)>;

// The gitops thread: a discovery every `discovery_interval` (at once at start), and, while
// Argo CD is detected, a resource-tree probe every `probe_interval` (the status interval: each
// status write carries a fresh answer, and Argo CD is asked no more often than that). Neither
// runs on the status loop's thread, so neither can hold up a status write; the probe is
// bounded by `probe_timeout` besides. After each round `publish` gets the detection and the
// probe (none while Argo CD is not detected). Run() on one dedicated thread.
class GitOpsLoop {
 public:
  static constexpr const char* kLoopName = "gitops";
  struct Options {
    base::Millis discovery_interval{std::chrono::minutes(3)};
    base::Millis probe_interval{std::chrono::seconds(60)};
    base::Millis probe_timeout{std::chrono::seconds(5)};
  };
  using Publish = std::function<void(const GitOpsSnapshot&, const std::optional<ResourceTreeProbe>&)>;
  // Called after every round, for the liveness budget.
  using Heartbeat = std::function<void()>;

  GitOpsLoop(Detector& detector, Prober prober, const base::Clock& clock, Options options, Publish publish,
             Heartbeat heartbeat = {});

  void Run(const base::StopSignal& stop);
  // One round: a discovery when it is due, then the probe. Exposed for tests.
  void RunOnce(const base::StopSignal& stop);

 private:
  Detector& detector_;
  Prober prober_;
  const base::Clock& clock_;
  const Options options_;
  Publish publish_;
  Heartbeat heartbeat_;
  std::optional<base::SteadyTime> last_discovery_;
  std::optional<ResourceTreeProbe> last_probe_;  // to log a change of outcome once
};

}  // namespace kube9::gitops
