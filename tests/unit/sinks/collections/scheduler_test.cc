#include "sinks/collections/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace kube9::sinks::collections {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class RecordingSink final : public PayloadSink {
 public:
  base::Expected<base::Ok, std::string> Store(CollectionType type, const std::string& id,
                                              const std::string& json) override {
    if (fail) return base::Unexpected(std::string("disk full"));
    stored.push_back({type, id, json});
    return base::Ok{};
  }
  std::size_t Stored() const override { return stored.size(); }
  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const auto& s : stored) out.emplace_back(TypeName(s.type));
    return out;
  }
  struct Item {
    CollectionType type;
    std::string id, json;
  };
  std::vector<Item> stored;
  bool fail = false;
};

class SchedulerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Scheduler> Make(Scheduler::Options o) {
    return std::make_unique<Scheduler>(
        stores_, clock_, [this]() -> std::optional<ClusterIdentity> {
          if (!identity_known_) return std::nullopt;
          return ClusterIdentity("uid");
        },
        sink_, o, [this] { return "coll_" + std::string(31, '0') + std::to_string(next_id_++ % 10); });
  }
  void RunFor(Scheduler& s, base::Millis span) {
    const auto end = clock_.Now() + span;
    while (clock_.Now() < end) clock_.Advance(std::max(std::min(s.Step(), std::chrono::duration_cast<base::Millis>(end - clock_.Now())), milliseconds(1)));
  }
  static Scheduler::Options Fast() {
    Scheduler::Options o;
    o.cluster_metadata_interval = hours(24);
    o.resource_inventory_interval = hours(6);
    o.resource_configuration_patterns_interval = hours(12);
    o.initial_delay = seconds(2);
    return o;
  }
  base::FakeClock clock_;
  collectors::ClusterStores stores_;
  collectors::ClusterAggregates sample_;
  RecordingSink sink_;
  bool identity_known_ = true;
  int next_id_ = 0;
};

TEST_F(SchedulerTest, EachTypeRunsAfterItsDelayThenOnItsInterval) {
  auto s = Make(Fast());
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, milliseconds(1900));
  EXPECT_TRUE(sink_.stored.empty());
  RunFor(*s, milliseconds(200));
  EXPECT_THAT(sink_.Types(), ::testing::ElementsAre("cluster-metadata", "resource-inventory",
                                                    "resource-configuration-patterns"));
  RunFor(*s, hours(6));
  EXPECT_EQ(sink_.stored.size(), 4u);  // inventory again
  RunFor(*s, hours(6));
  EXPECT_EQ(sink_.stored.size(), 6u);  // inventory and patterns
  RunFor(*s, hours(12));
  EXPECT_EQ(sink_.stored.size(), 10u);  // inventory twice, patterns, and metadata: a day has passed
  const CollectionStats stats = s->Stats();
  EXPECT_EQ(stats.success, 10u);
  EXPECT_EQ(stats.failure, 0u);
  EXPECT_EQ(stats.stored, 10u);
  EXPECT_TRUE(stats.last_success.has_value());
}

TEST_F(SchedulerTest, DefaultFirstRunsAreSpreadOverOneToFifteenMinutes) {
  Scheduler::Options o;  // no initial delay: per-type random offsets
  auto s = Make(o);
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, seconds(59));
  EXPECT_TRUE(sink_.stored.empty());
  RunFor(*s, minutes(14) + seconds(2));
  EXPECT_EQ(sink_.stored.size(), 3u);
}

TEST_F(SchedulerTest, WaitsForACompleteSampleAndTheIdentity) {
  identity_known_ = false;
  auto s = Make(Fast());
  RunFor(*s, seconds(10));  // no sample yet
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, seconds(10));  // identity unknown
  EXPECT_TRUE(sink_.stored.empty());
  identity_known_ = true;
  RunFor(*s, seconds(6));
  EXPECT_EQ(sink_.stored.size(), 3u);
}

TEST_F(SchedulerTest, MetricsBatchCloseAtTenSamples) {
  auto s = Make(Fast());
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, seconds(3));
  sink_.stored.clear();
  s->SetMetrics(true, seconds(1));
  RunFor(*s, milliseconds(8500));  // samples at 0 s, 1 s, ... 8 s
  EXPECT_TRUE(sink_.stored.empty());
  RunFor(*s, seconds(1));
  ASSERT_EQ(sink_.stored.size(), 1u);
  EXPECT_EQ(sink_.stored[0].type, CollectionType::kMetricsBatch);
  rapidjson::Document d;
  d.Parse(sink_.stored[0].json.c_str());
  EXPECT_EQ(d["data"]["samples"].Size(), 10u);
  EXPECT_EQ(d["data"]["intervalSeconds"].GetInt(), 1);
  EXPECT_EQ(std::string(d["data"]["collectionId"].GetString()), sink_.stored[0].id);
}

TEST_F(SchedulerTest, MetricsBatchClosesAtItsMaximumAge) {
  Scheduler::Options o = Fast();
  o.max_batch_age = minutes(10);
  auto s = Make(o);
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, seconds(3));
  sink_.stored.clear();
  s->SetMetrics(true, minutes(4));  // samples at 0, 4 and 8 minutes
  RunFor(*s, minutes(9));
  EXPECT_TRUE(sink_.stored.empty());
  RunFor(*s, minutes(1) + seconds(1));
  ASSERT_EQ(sink_.stored.size(), 1u);
  rapidjson::Document d;
  d.Parse(sink_.stored[0].json.c_str());
  EXPECT_EQ(d["data"]["samples"].Size(), 3u);
}

TEST_F(SchedulerTest, DisabledMetricsProduceNoBatch) {
  auto s = Make(Fast());
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, hours(1));
  for (const auto& item : sink_.stored) EXPECT_NE(item.type, CollectionType::kMetricsBatch);
}

TEST_F(SchedulerTest, ShutdownKeepsTheOpenBatch) {
  auto s = Make(Fast());
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  s->SetMetrics(true, seconds(1));
  RunFor(*s, seconds(3));
  base::StopSignal stop;
  stop.Stop();
  s->Run(stop);
  ASSERT_EQ(sink_.stored.back().type, CollectionType::kMetricsBatch);
  rapidjson::Document d;
  d.Parse(sink_.stored.back().json.c_str());
  EXPECT_EQ(d["data"]["samples"].Size(), 3u);
}

TEST_F(SchedulerTest, StoreFailuresAreCounted) {
  sink_.fail = true;
  auto s = Make(Fast());
  s->OnSample(std::make_shared<const collectors::ClusterAggregates>(sample_));
  RunFor(*s, seconds(3));
  EXPECT_EQ(s->Stats().failure, 3u);
  EXPECT_EQ(s->Stats().success, 0u);
  EXPECT_FALSE(s->Stats().last_success.has_value());
}

TEST(MemoryRingTest, KeepsTheLastHundred) {
  MemoryRing ring;
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(ring.Store(CollectionType::kResourceInventory, "id", std::to_string(i)).ok());
  EXPECT_EQ(ring.Stored(), 100u);
  EXPECT_EQ(ring.Payloads().front(), "50");
  EXPECT_EQ(ring.Payloads().back(), "149");
}

}  // namespace
}  // namespace kube9::sinks::collections
