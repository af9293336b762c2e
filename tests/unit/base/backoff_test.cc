#include "base/backoff.h"

#include <set>

#include <gtest/gtest.h>

namespace kube9::base {
namespace {

TEST(BackoffTest, GrowsExponentiallyUpToTheCapWithoutJitter) {
  Backoff b(BackoffPolicy{Millis(100), Millis(1000), 2.0, 0.0}, 1);
  EXPECT_EQ(b.Next(), Millis(100));
  EXPECT_EQ(b.Next(), Millis(200));
  EXPECT_EQ(b.Next(), Millis(400));
  EXPECT_EQ(b.Next(), Millis(800));
  EXPECT_EQ(b.Next(), Millis(1000));
  EXPECT_EQ(b.Next(), Millis(1000));
  EXPECT_EQ(b.failures(), 6);
}

TEST(BackoffTest, DelayAfterFollowsTheSameCurveWithoutCounting) {
  Backoff b(BackoffPolicy{Millis(100), Millis(1000), 2.0, 0.0}, 1);
  EXPECT_EQ(b.DelayAfter(0), Millis(0));
  EXPECT_EQ(b.DelayAfter(1), Millis(100));
  EXPECT_EQ(b.DelayAfter(3), Millis(400));
  EXPECT_EQ(b.DelayAfter(1000), Millis(1000));
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.Next(), Millis(100));  // Next() is DelayAfter of the growing count
  EXPECT_EQ(b.Next(), Millis(200));
}

TEST(BackoffTest, ResetStartsAgainFromInitial) {
  Backoff b(BackoffPolicy{Millis(100), Millis(1000), 2.0, 0.0}, 1);
  b.Next();
  b.Next();
  b.Reset();
  EXPECT_EQ(b.Next(), Millis(100));
}

TEST(BackoffTest, JitterStaysWithinItsFractionAndSpreadsValues) {
  Backoff b(BackoffPolicy{Millis(1000), Millis(1000), 2.0, 0.5}, 42);
  std::set<long long> seen;
  for (int i = 0; i < 200; ++i) {
    const auto d = b.Next();
    ASSERT_GE(d, Millis(500));
    ASSERT_LE(d, Millis(1000));
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 50u) << "jitter should spread a fleet's retries";
}

TEST(BackoffTest, FullJitterCanBeAnywhereBelowTheBase) {
  Backoff b(BackoffPolicy{Millis(1000), Millis(1000), 2.0, 1.0}, 7);
  long long min = 1000;
  for (int i = 0; i < 500; ++i) min = std::min<long long>(min, b.Next().count());
  EXPECT_LT(min, 100);
}

TEST(BackoffTest, ALongOutageNeverOverflows) {
  Backoff b(BackoffPolicy{Millis(1000), Millis(30'000), 2.0, 0.0}, 1);
  for (int i = 0; i < 10'000; ++i) b.Next();
  EXPECT_EQ(b.Next(), Millis(30'000));
}

TEST(FakeClockTest, SleepAdvancesTimeAndStopsWhenSignalled) {
  FakeClock clock;
  StopSignal stop;
  const auto t0 = clock.Now();
  const auto w0 = clock.WallNow();
  EXPECT_FALSE(clock.SleepFor(Millis(1500), stop));
  EXPECT_EQ(clock.Now() - t0, Millis(1500));
  EXPECT_EQ(clock.WallNow() - w0, Millis(1500));
  stop.Stop();
  EXPECT_TRUE(clock.SleepFor(Millis(1500), stop));
  EXPECT_EQ(clock.slept(), Millis(1500));
}

TEST(StopSignalTest, WaitReturnsAtOnceWhenStopped) {
  StopSignal stop;
  EXPECT_FALSE(stop.WaitFor(Millis(1)));
  stop.Stop();
  EXPECT_TRUE(stop.stopped());
  EXPECT_TRUE(stop.WaitFor(Millis(60'000)));  // would hang the test if it waited
}

}  // namespace
}  // namespace kube9::base
