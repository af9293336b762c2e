#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "base/clock.h"

namespace kube9::base {

struct BackoffPolicy {
  Millis initial{1000};
  Millis max{30000};
  double multiplier = 2.0;
  // Fraction of each delay that is randomised: 0 = none, 1 = "full jitter" (uniform in
  // [0, delay]). Spreads retries of a fleet so they do not arrive in lockstep.
  double jitter = 0.5;
};

// Jittered exponential backoff. Not thread-safe: one per retrying loop.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());
  // The delay before the next attempt; each call grows the base delay up to policy.max.
  Millis Next();
  // The delay after `failures` consecutive failures (1 = the first), without changing the count:
  // for callers that keep a count per item rather than per loop.
  Millis DelayAfter(int failures);
  // After a success: the next failure starts again from policy.initial.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

}  // namespace kube9::base
