#pragma once

#include <string>
#include <vector>

#include "collectors/cluster_stores.h"

namespace kube9::collectors {

// What the sampler reads (the seam between the collectors and the Sampler): the stores, and
// which collectors' first LIST is still running. CollectorSet is the one in production.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual const ClusterStores& stores() const = 0;
  // Collectors whose first LIST has not completed yet, in order; empty once all have.
  virtual std::vector<std::string> Unsynced() const = 0;
};

}  // namespace kube9::collectors
