#include "base/clock.h"

namespace kube9::base {

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

bool StopSignal::WaitFor(Millis timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return stopped_; });
}

FakeClock::FakeClock(WallTime wall_start) : wall_start_(wall_start) {}

SteadyTime FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return SteadyTime(offset_);
}

WallTime FakeClock::WallNow() const {
  std::lock_guard lock(mu_);
  return wall_start_ + offset_;
}

bool FakeClock::SleepFor(Millis d, const StopSignal& stop) const {
  if (stop.stopped()) return true;
  Advance(d);
  std::lock_guard lock(mu_);
  slept_ += d;
  return stop.stopped();
}

void FakeClock::Advance(Millis d) const {
  std::lock_guard lock(mu_);
  offset_ += d;
}

Millis FakeClock::slept() const {
  std::lock_guard lock(mu_);
  return slept_;
}

}  // namespace kube9::base
