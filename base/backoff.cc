#include "base/backoff.h"

#include <algorithm>
#include <cmath>

namespace kube9::base {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  policy_.multiplier = std::max(1.0, policy_.multiplier);
}

Millis Backoff::Next() { return DelayAfter(++failures_); }

Millis Backoff::DelayAfter(int failures) {
  if (failures <= 0) return Millis(0);
  const double initial = static_cast<double>(policy_.initial.count());
  const double cap = static_cast<double>(policy_.max.count());
  // Capping the exponent keeps pow() finite however long an outage lasts.
  const double exponent = std::min(failures - 1, 62);
  const double base = std::min(cap, initial * std::pow(policy_.multiplier, exponent));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double delay = base * (1.0 - policy_.jitter) + base * policy_.jitter * unit(rng_);
  return Millis(static_cast<Millis::rep>(delay));
}

}  // namespace kube9::base
