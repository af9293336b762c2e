#include "assessment/engine.h"

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture.h"

namespace kube9::assessment {
namespace {

using ::testing::HasSubstr;

constexpr CheckInfo kThrowsInfo{"security.throws", "Throws", Pillar::kSecurity, Severity::kHigh, "none"};
constexpr CheckInfo kSlowInfo{"reliability.slow", "Slow", Pillar::kReliability, Severity::kHigh, "none"};
constexpr CheckInfo kFailsInfo{"reliability.fails", "Fails", Pillar::kReliability, Severity::kCritical, "none"};
constexpr CheckInfo kWarnsInfo{"sustainability.warns", "Warns", Pillar::kSustainability, Severity::kLow, "none"};

class Throws final : public Check {
 public:
  const CheckInfo& info() const override { return kThrowsInfo; }
  Result Run(const Inputs&) const override { throw std::runtime_error("bad input\nsecond line"); }
};

// Advances the fake clock by `took` while it runs.
class Slow final : public Check {
 public:
  Slow(base::FakeClock& clock, base::Millis took) : clock_(clock), took_(took) {}
  const CheckInfo& info() const override { return kSlowInfo; }
  Result Run(const Inputs&) const override {
    clock_.Advance(took_);
    return {Status::kPassing, "fine"};
  }

 private:
  base::FakeClock& clock_;
  base::Millis took_;
};

class Fixed final : public Check {
 public:
  Fixed(const CheckInfo& info, Result r) : info_(info), result_(std::move(r)) {}
  const CheckInfo& info() const override { return info_; }
  Result Run(const Inputs&) const override { return result_; }

 private:
  const CheckInfo& info_;
  Result result_;
};

class EngineTest : public ::testing::Test {
 protected:
  collectors::ClusterStores stores_;
  base::FakeClock clock_;
  Inputs in_{stores_, clock_.WallNow(), {}};
};

TEST_F(EngineTest, AThrowingCheckIsAnErrorAndTheOthersStillRun) {
  Throws throws;
  Fixed fails(kFailsInfo, {Status::kFailing, "2 of 3"});
  Report r = assessment::Run({&throws, &fails}, {}, in_, clock_);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].result.status, Status::kError);
  EXPECT_EQ(r.checks[0].result.message, "check failed: bad input second line");  // one line
  EXPECT_EQ(r.checks[1].result.status, Status::kFailing);
  Totals t = r.totals();
  EXPECT_EQ(t.total, 2);
  EXPECT_EQ(t.completed, 1);
  EXPECT_EQ(t.failed, 1);
}

TEST_F(EngineTest, ACheckOverItsBudgetTimesOutAndIsTimed) {
  Slow slow(clock_, base::Millis(2500)), quick(clock_, base::Millis(5));
  Report r = assessment::Run({&slow, &quick}, {}, in_, clock_, std::chrono::milliseconds(2000));
  EXPECT_EQ(r.checks[0].result.status, Status::kTimeout);
  EXPECT_EQ(r.checks[0].result.message, "took 2500 ms, over its budget of 2000 ms");
  EXPECT_EQ(r.checks[1].result.status, Status::kPassing);
  EXPECT_EQ(r.checks[1].took, std::chrono::milliseconds(5));
  EXPECT_EQ(r.took, std::chrono::milliseconds(2505));
}

TEST_F(EngineTest, SelectionByPillarAndId) {
  Fixed fails(kFailsInfo, {Status::kFailing, "x"}), warns(kWarnsInfo, {Status::kWarning, "y"});
  Selection pillar{Pillar::kSustainability, {}};
  EXPECT_EQ(assessment::Run({&fails, &warns}, pillar, in_, clock_).checks.size(), 1u);
  Selection ids{std::nullopt, {"reliability.fails"}};
  Report r = assessment::Run({&fails, &warns}, ids, in_, clock_);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].info->id, "reliability.fails");
}

TEST_F(EngineTest, MessagesAreBoundedOneLineUtf8) {
  Fixed long_message(kWarnsInfo, {Status::kWarning, std::string(1000, 'x') + "\xC3\xA9"});
  Report r = assessment::Run({&long_message}, {}, in_, clock_);
  EXPECT_LE(r.checks[0].result.message.size(), kMaxMessageBytes);
  EXPECT_TRUE(r.checks[0].result.message.ends_with("..."));
  EXPECT_EQ(OneLine("caf\xC3\xA9", 4), "c...");
}

TEST_F(EngineTest, PillarScoresCountPassingAndHalfOfWarnings) {
  Fixed fails(kFailsInfo, {Status::kFailing, "x"}), warns(kWarnsInfo, {Status::kWarning, "y"});
  Slow passes(clock_, base::Millis(0));
  Fixed skipped(kThrowsInfo, {Status::kSkipped, "z"});
  Report r = assessment::Run({&fails, &warns, &passes, &skipped}, {}, in_, clock_);
  auto pillars = SummarizePillars(r);
  ASSERT_EQ(pillars.size(), 6u);
  EXPECT_EQ(pillars[0].score, 100);  // security: only skipped
  EXPECT_EQ(pillars[0].skipped, 1);
  EXPECT_EQ(pillars[1].score, 50);   // reliability: one failing, one passing
  EXPECT_EQ(pillars[5].score, 50);   // sustainability: one warning
  EXPECT_EQ(pillars[2].score, 100);  // nothing evaluated
}

TEST_F(EngineTest, TheWholeCatalogueRunsOverAnEmptyClusterWithoutErrors) {
  testing::Cluster c;
  const auto health = collectors::Aggregate(c.stores(), testing::kNow, "");
  Report r = assessment::Run(CatalogueChecks(), {}, Inputs{c.stores(), testing::kNow, {}, &health}, clock_);
  EXPECT_EQ(r.checks.size(), CatalogueChecks().size());
  for (const auto& check : r.checks) {
    EXPECT_NE(check.result.status, Status::kError) << check.info->id << ": " << check.result.message;
    EXPECT_FALSE(check.result.message.empty()) << check.info->id;
  }
}

TEST(LastRun, KeepsTheLastReportAndAFailureUntilTheNextSuccess) {
  LastRun last;
  EXPECT_FALSE(last.Get().has_value());
  last.SetFailure(std::string(500, 'e'), base::WallTime{});
  EXPECT_LE(last.failure()->size(), 200u);
  Report r;
  r.run_id = "run-1";
  last.Set(r);
  EXPECT_FALSE(last.failure().has_value());
  EXPECT_EQ(last.Get()->run_id, "run-1");
  EXPECT_EQ(last.runs(), 1u);
}

}  // namespace
}  // namespace kube9::assessment

namespace kube9::assessment {
namespace {

TEST(Findings, KeepsTheFirstThreeExamplesInNameOrderWhateverTheOrderSeen) {
  Findings f("things");
  for (auto name : {"d", "b", "e", "a", "c"}) {
    f.Examine();
    f.Affected("ns", name);
  }
  EXPECT_EQ(f.Verdict(Status::kWarning).message, "5 of 5 things (e.g. ns/a, ns/b, ns/c)");
}

}  // namespace
}  // namespace kube9::assessment
