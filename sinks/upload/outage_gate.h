#pragma once

#include <cstdint>

#include "base/backoff.h"
#include "base/clock.h"

namespace kube9::sinks::upload {

// Decides when uploads may go out while kube9-server is failing, for all payloads at once.
//
// The first failure holds nothing back (one bad payload must not hold up the rest). From the
// second failure in a row, every request waits one backoff step, and each further failure grows
// the wait by one step, up to the backoff's cap. Failures grow the wait once per round: requests
// that were already in flight when the wait last grew fail for the same reason and share that
// step, so that more workers never make the wait grow faster. Any answer that is not a failure
// ends the outage. A 429's Retry-After holds everything back on its own terms.
//
// Not thread-safe: the uploader calls it under its lock.
class OutageGate {
 public:
  // `backoff` supplies the delays (its jittered curve) and must outlive the gate.
  explicit OutageGate(base::Backoff& backoff) : backoff_(backoff) {}

  // No request may start before this.
  base::SteadyTime open_at() const { return open_at_; }
  // The round a request starting now belongs to; hand it back to Failed().
  std::uint64_t round() const { return round_; }

  // A request of `round` failed at `now`.
  void Failed(std::uint64_t round, base::SteadyTime now) {
    if (round != round_) return;  // started before the wait last grew: that step counted it
    ++round_;
    open_at_ = std::max(open_at_, now + backoff_.DelayAfter(failures_++));
  }
  // kube9-server asked for a pause (429 Retry-After): nothing before `until`.
  void PauseUntil(base::SteadyTime until) { open_at_ = std::max(open_at_, until); }
  // A request got an answer that is not a failure. Returns whether that ended an outage.
  bool Answered() {
    if (failures_ == 0) return false;
    failures_ = 0;
    ++round_;
    return true;
  }
  // Failures in a row so far (0 when the last answer was not a failure).
  int failures() const { return failures_; }

 private:
  base::Backoff& backoff_;
  base::SteadyTime open_at_{};
  std::uint64_t round_ = 0;
  int failures_ = 0;
};

}  // namespace kube9::sinks::upload
