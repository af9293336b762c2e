#include "sinks/events/event_db.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kube9::sinks::events {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class EventDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("kube9_eventdb_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "events.db").string();
    auto db = EventDb::OpenForWriting(path_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    writer_ = std::move(*db);
    // Five events, a minute apart: e0 is the oldest.
    std::vector<EventRecord> batch;
    const char* reasons[] = {"NodeNotReady", "FailedMount", "BackOff", "Preempted", "FailedScheduling"};
    const char* kinds[] = {"Node", "Pod", "Pod", "Pod", "Pod"};
    const char* namespaces[] = {"", "shop", "shop", "batch", "shop"};
    for (int i = 0; i < 5; ++i) {
      EventRecord r;
      r.uid = "e" + std::to_string(i);
      r.type = i == 3 ? "Normal" : "Warning";
      r.reason = reasons[i];
      r.severity = SeverityOf(r.type, r.reason);
      r.object_kind = kinds[i];
      r.object_namespace = namespaces[i];
      r.object_name = i == 0 ? "node-1" : "api-" + std::to_string(i);
      r.first_ms = r.last_ms = kBase + i * 60'000;
      r.source = "test";
      batch.push_back(r);
    }
    ASSERT_TRUE(writer_->Upsert(batch).ok());
  }
  void TearDown() override {
    writer_.reset();
    fs::remove_all(dir_);
  }

  std::vector<std::string> Query(EventFilter f, std::int64_t* total = nullptr) {
    auto reader = EventDb::OpenForReading(path_);  // a second connection, as the command opens
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    auto r = (*reader)->Query(f);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::vector<std::string> uids;
    for (const auto& row : r->rows) uids.push_back(row.uid);
    if (total) *total = r->total;
    return uids;
  }

  static constexpr std::int64_t kBase = 1'796'000'000'000;
  fs::path dir_;
  std::string path_;
  std::unique_ptr<EventDb> writer_;
};

TEST_F(EventDbTest, NewestFirstWhileTheWriterKeepsTheStoreOpen) {
  std::int64_t total = 0;
  EXPECT_THAT(Query({}, &total), ElementsAre("e4", "e3", "e2", "e1", "e0"));
  EXPECT_EQ(total, 5);
}

TEST_F(EventDbTest, FiltersCombine) {
  EXPECT_THAT(Query({.severities = {Severity::kCritical, Severity::kError}}), ElementsAre("e4", "e1", "e0"));
  EXPECT_THAT(Query({.since_ms = kBase + 60'000, .until_ms = kBase + 180'000}), ElementsAre("e3", "e2", "e1"));
  EXPECT_THAT(Query({.object_kind = "Pod", .object_namespace = "shop"}), ElementsAre("e4", "e2", "e1"));
  EXPECT_THAT(Query({.object_name = "node-1"}), ElementsAre("e0"));
  EXPECT_THAT(Query({.severities = {Severity::kInfo}, .object_namespace = "batch"}), ElementsAre("e3"));
  EXPECT_THAT(Query({.match_nothing = true}), ElementsAre());
  EXPECT_THAT(Query({.object_kind = "Deployment"}), ElementsAre());
}

TEST_F(EventDbTest, PagesCountTheWholeMatch) {
  std::int64_t total = 0;
  EXPECT_THAT(Query({.limit = 2, .offset = 0}, &total), ElementsAre("e4", "e3"));
  EXPECT_EQ(total, 5);
  EXPECT_THAT(Query({.limit = 2, .offset = 4}, &total), ElementsAre("e0"));
  EXPECT_THAT(Query({.limit = 2, .offset = 10}, &total), ElementsAre());
  EXPECT_EQ(total, 5);
}

TEST_F(EventDbTest, ReadingAMissingStoreSaysSo) {
  auto r = EventDb::OpenForReading((dir_ / "nothing.db").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DbErrorKind::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "nothing.db"));  // never created by a reader
}

}  // namespace
}  // namespace kube9::sinks::events
