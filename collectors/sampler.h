#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "collectors/aggregates.h"
#include "collectors/sample_source.h"
#include "kube/client.h"

namespace kube9::collectors {

// Recomputes the aggregates from the stores every `interval` (sooner while collectors are
// still syncing, so the first full sample follows the first LISTs at once) and hands each
// sample to the consumers. Also reads /version now and then. Run() on one dedicated thread.
class Sampler {
 public:
  // Shared rather than copied: a consumer that keeps the latest sample just holds the pointer.
  using Consumer = std::function<void(const std::shared_ptr<const ClusterAggregates>& sample,
                                      const std::vector<std::string>& unsynced)>;
  static constexpr const char* kLoopName = "sampler";

  Sampler(const SampleSource& collectors, kube::Client& client, const base::Clock& clock, base::Millis interval,
          std::vector<Consumer> consumers);

  void Run(const base::StopSignal& stop);
  // One sample now (also used by tests). Returns whether it was complete: every collector had
  // synced when it was taken. Run decides on this, not on a second look, which could see a LIST
  // that ended just after the sample and sleep a whole interval on an incomplete one.
  bool SampleOnce();

 private:
  void RefreshVersion();

  const SampleSource& collectors_;
  kube::Client& client_;
  const base::Clock& clock_;
  base::Millis interval_;
  std::vector<Consumer> consumers_;
  std::string version_;
  std::optional<base::SteadyTime> version_read_at_;
};

// The gitVersion of a /version response, or "" when it has none.
std::string ParseGitVersion(std::string_view body);

}  // namespace kube9::collectors
