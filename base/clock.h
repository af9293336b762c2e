#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kube9::base {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

// Set once when the process should stop; every loop waits on it instead of sleeping, so that
// shutdown interrupts waits at once. Thread-safe.
class StopSignal {
 public:
  void Stop();
  bool stopped() const;
  // Waits up to `timeout`; returns true when stopped (now or during the wait).
  bool WaitFor(Millis timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopped_ = false;
};

// Time, injected everywhere so that tests run on simulated time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime Now() const = 0;
  virtual WallTime WallNow() const = 0;
  // Sleeps for `d` or until `stop` fires; returns true when stopped.
  virtual bool SleepFor(Millis d, const StopSignal& stop) const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  bool SleepFor(Millis d, const StopSignal& stop) const override { return stop.WaitFor(d); }
};

// Simulated time for tests: sleeping advances the clock at once. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime wall_start = WallTime(std::chrono::seconds(1'800'000'000)));
  SteadyTime Now() const override;
  WallTime WallNow() const override;
  bool SleepFor(Millis d, const StopSignal& stop) const override;
  void Advance(Millis d) const;
  // Total simulated time slept through SleepFor.
  Millis slept() const;

 private:
  mutable std::mutex mu_;
  mutable Millis offset_{0};
  mutable Millis slept_{0};
  WallTime wall_start_;
};

}  // namespace kube9::base
