#include "sinks/upload/outage_gate.h"

#include <gtest/gtest.h>

namespace kube9::sinks::upload {
namespace {

using std::chrono::seconds;

class OutageGateTest : public ::testing::Test {
 protected:
  // Exact delays: 5 s, 10 s, 20 s, ... up to 300 s.
  base::Backoff backoff_{base::BackoffPolicy{seconds(5), seconds(300), 2.0, 0.0}, 1};
  OutageGate gate_{backoff_};
  const base::SteadyTime t0_ = base::SteadyTime(seconds(1000));
};

TEST_F(OutageGateTest, OneFailureHoldsNothingBackTheSecondInARowDoes) {
  gate_.Failed(gate_.round(), t0_);
  EXPECT_EQ(gate_.open_at(), t0_) << "one bad payload must not hold up the rest";
  gate_.Failed(gate_.round(), t0_ + seconds(1));
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(1 + 5));
  gate_.Failed(gate_.round(), t0_ + seconds(6));
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(6 + 10));
  EXPECT_EQ(gate_.failures(), 3);
}

TEST_F(OutageGateTest, RequestsInFlightTogetherGrowTheWaitOnceNotOncePerWorker) {
  // Eight workers each have a request in flight when the server goes away, round after round.
  base::SteadyTime now = t0_;
  for (int round = 0; round < 4; ++round) {
    const std::uint64_t r = gate_.round();
    for (int worker = 0; worker < 8; ++worker) gate_.Failed(r, now);
    now = gate_.open_at();
  }
  // Waits of 0, 5, 10, 20 s: four steps for four rounds. Counting each worker's failure would
  // have reached the cap (300 s) in the second round.
  EXPECT_EQ(gate_.failures(), 4);
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(0 + 5 + 10 + 20));
}

TEST_F(OutageGateTest, TheWaitNeverExceedsTheBackoffCapHoweverLongTheOutage) {
  base::SteadyTime now = t0_;
  for (int round = 0; round < 1000; ++round) {
    now = gate_.open_at();
    gate_.Failed(gate_.round(), now);
    ASSERT_LE(gate_.open_at() - now, seconds(300));
  }
  EXPECT_EQ(gate_.open_at() - now, seconds(300)) << "still retrying, at the cap";
}

TEST_F(OutageGateTest, AnAnswerEndsTheOutageAndLateFailuresOfItDoNotRestartIt) {
  const std::uint64_t during = gate_.round();
  gate_.Failed(during, t0_);
  gate_.Failed(gate_.round(), t0_);
  EXPECT_FALSE(OutageGate(backoff_).Answered()) << "no outage, nothing ended";
  EXPECT_TRUE(gate_.Answered());
  EXPECT_EQ(gate_.failures(), 0);
  gate_.Failed(during, t0_ + seconds(10));  // a request from before the answer, failing late
  EXPECT_EQ(gate_.failures(), 0);
  gate_.Failed(gate_.round(), t0_ + seconds(10));
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(10)) << "a new first failure holds nothing back";
}

TEST_F(OutageGateTest, RetryAfterHoldsEverythingBackAndIsNeverShortened) {
  gate_.PauseUntil(t0_ + seconds(120));
  gate_.Failed(gate_.round(), t0_);
  gate_.Failed(gate_.round(), t0_);
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(120)) << "a failure's shorter wait does not cut the pause";
  gate_.PauseUntil(t0_ + seconds(60));
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(120));
  EXPECT_TRUE(gate_.Answered());
  EXPECT_EQ(gate_.open_at(), t0_ + seconds(120)) << "an answer does not lift a Retry-After pause";
}

}  // namespace
}  // namespace kube9::sinks::upload
