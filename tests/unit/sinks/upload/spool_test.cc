#include "sinks/upload/spool.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "upload_testing.h"

namespace kube9::sinks::upload {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using testing::RecordingSpoolObserver;
using testing::ScratchDir;

std::unique_ptr<Spool> MustOpen(const std::string& dir, std::uint64_t max_bytes, SpoolObserver* observer = nullptr) {
  auto spool = Spool::Open(dir, max_bytes, observer);
  EXPECT_TRUE(spool.ok()) << spool.error();
  return std::move(spool).value();
}

std::set<std::string> FilesIn(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

void WriteFile(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

TEST(SpoolTest, CreatesItsDirectoryForTheOwnerOnly) {
  ScratchDir tmp;
  const std::string dir = tmp / "a/b/spool";
  auto spool = MustOpen(dir, 1000);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(spool->items(), 0u);
}

TEST(SpoolTest, SaysClearlyWhenTheDirectoryCannotBeCreated) {
  ScratchDir tmp;
  fs::create_directories(tmp.path());
  WriteFile(tmp / "file", "x");
  auto spool = Spool::Open(tmp / "file/spool", 1000, nullptr);
  ASSERT_FALSE(spool.ok());
  EXPECT_THAT(spool.error(), HasSubstr("cannot create directory " + (tmp / "file/spool")));
  EXPECT_THAT(spool.error(), HasSubstr("Not a directory"));
}

TEST(SpoolTest, ItemsSurviveAReopenInOrderAndTheSequenceContinues) {
  ScratchDir tmp;
  {
    auto spool = MustOpen(tmp.path(), 1000);
    ASSERT_TRUE(spool->Put("metrics-batch", "coll_a", "aaaa").ok());
    ASSERT_TRUE(spool->Put("cluster-metadata", "coll_b", "bb").ok());
    ASSERT_TRUE(spool->Put("metrics-batch", "coll_c", "c").ok());
  }
  auto spool = MustOpen(tmp.path(), 1000);
  const auto items = spool->List();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].seq, 1u);
  EXPECT_EQ(items[0].type, "metrics-batch");
  EXPECT_EQ(items[0].collection_id, "coll_a");
  EXPECT_EQ(items[1].seq, 2u);
  EXPECT_EQ(items[1].type, "cluster-metadata");
  EXPECT_EQ(items[2].collection_id, "coll_c");
  EXPECT_EQ(*spool->Read(items[0]), "aaaa");
  EXPECT_EQ(*spool->Read(items[1]), "bb");
  EXPECT_EQ(spool->bytes(), 7u);

  auto next = spool->Put("metrics-batch", "coll_d", "dd");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 4u);
  EXPECT_TRUE(FilesIn(tmp.path()).count("0000000000000004.metrics-batch.coll_d.json.gz"));
}

TEST(SpoolTest, RemovesCrashLeftoversAndIgnoresFilesItDidNotWrite) {
  ScratchDir tmp;
  { ASSERT_TRUE(MustOpen(tmp.path(), 1000)->Put("metrics-batch", "coll_a", "aaaa").ok()); }
  WriteFile(tmp / "0000000000000002.metrics-batch.coll_b.json.gz.tmp", "half a payl");
  WriteFile(tmp / "notes.txt", "hello");
  WriteFile(tmp / "0000000000000007.Bad Type.coll_c.json.gz", "x");
  fs::create_directory(tmp / "0000000000000008.metrics-batch.coll_d.json.gz");

  auto spool = MustOpen(tmp.path(), 1000);
  ASSERT_EQ(spool->items(), 1u);
  EXPECT_EQ(spool->List()[0].collection_id, "coll_a");
  EXPECT_EQ(spool->bytes(), 4u);
  const auto files = FilesIn(tmp.path());
  EXPECT_FALSE(files.count("0000000000000002.metrics-batch.coll_b.json.gz.tmp")) << "leftover removed";
  EXPECT_TRUE(files.count("notes.txt")) << "foreign files are left alone";
  EXPECT_EQ(spool->Put("metrics-batch", "coll_e", "e")->seq, 2u);
}

TEST(SpoolTest, WhenFullDropsTheOldestAndCountsIt) {
  ScratchDir tmp;
  RecordingSpoolObserver observer;
  auto spool = MustOpen(tmp.path(), 100, &observer);
  const auto a = spool->Put("metrics-batch", "coll_a", std::string(40, 'a'));
  ASSERT_TRUE(spool->Put("resource-inventory", "coll_b", std::string(40, 'b')).ok());
  ASSERT_TRUE(spool->Put("metrics-batch", "coll_c", std::string(40, 'c')).ok());

  EXPECT_THAT(observer.drops(), ElementsAre(Pair("metrics-batch", "spool_full")));
  EXPECT_EQ(observer.last(), std::make_pair(std::uint64_t{80}, std::size_t{2}));
  ASSERT_EQ(spool->items(), 2u);
  EXPECT_EQ(spool->List()[0].collection_id, "coll_b");
  EXPECT_FALSE(spool->Read(*a).ok()) << "its file is gone";

  // One that needs the whole spool pushes out everything else, never itself.
  ASSERT_TRUE(spool->Put("metrics-batch", "coll_d", std::string(100, 'd')).ok());
  EXPECT_EQ(observer.drops().size(), 3u);
  ASSERT_EQ(spool->items(), 1u);
  EXPECT_EQ(spool->List()[0].collection_id, "coll_d");
  EXPECT_EQ(FilesIn(tmp.path()).size(), 1u);
}

TEST(SpoolTest, RefusesAPayloadLargerThanTheWholeSpool) {
  ScratchDir tmp;
  RecordingSpoolObserver observer;
  auto spool = MustOpen(tmp.path(), 100, &observer);
  ASSERT_TRUE(spool->Put("metrics-batch", "coll_a", "small").ok());
  auto put = spool->Put("metrics-batch", "coll_b", std::string(101, 'x'));
  ASSERT_FALSE(put.ok());
  EXPECT_THAT(put.error(), HasSubstr("exceeds the spool size"));
  EXPECT_THAT(observer.drops(), ElementsAre(Pair("metrics-batch", "too_large")));
  EXPECT_EQ(spool->items(), 1u) << "what was spooled stays";
}

TEST(SpoolTest, ALowerBoundAfterARestartDropsTheOldest) {
  ScratchDir tmp;
  {
    auto spool = MustOpen(tmp.path(), 1000);
    for (const char* id : {"coll_a", "coll_b", "coll_c"}) ASSERT_TRUE(spool->Put("metrics-batch", id, "0123456789").ok());
  }
  RecordingSpoolObserver observer;
  auto spool = MustOpen(tmp.path(), 25, &observer);
  EXPECT_EQ(spool->items(), 2u);
  EXPECT_EQ(spool->List()[0].collection_id, "coll_b");
  EXPECT_THAT(observer.drops(), ElementsAre(Pair("metrics-batch", "spool_full")));
  EXPECT_EQ(observer.last(), std::make_pair(std::uint64_t{20}, std::size_t{2}));
}

TEST(SpoolTest, RemoveForgetsDeliveredItemsAndDropCountsAbandonedOnes) {
  ScratchDir tmp;
  RecordingSpoolObserver observer;
  auto spool = MustOpen(tmp.path(), 1000, &observer);
  const auto a = *spool->Put("metrics-batch", "coll_a", "aaa");
  const auto b = *spool->Put("metrics-batch", "coll_b", "bbb");
  EXPECT_TRUE(spool->Remove(a));
  EXPECT_FALSE(spool->Remove(a));
  EXPECT_TRUE(spool->Drop(b, "rejected"));
  EXPECT_FALSE(spool->Drop(b, "rejected")) << "counted once";
  EXPECT_THAT(observer.drops(), ElementsAre(Pair("metrics-batch", "rejected")));
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_TRUE(FilesIn(tmp.path()).empty());
}

TEST(SpoolTest, RefusesNamesThatCouldEscapeItsDirectory) {
  ScratchDir tmp;
  auto spool = MustOpen(tmp.path(), 1000);
  EXPECT_FALSE(spool->Put("../metrics", "coll_a", "x").ok());
  EXPECT_FALSE(spool->Put("metrics-batch", "coll/../../a", "x").ok());
  EXPECT_FALSE(spool->Put("metrics-batch", "", "x").ok());
  EXPECT_EQ(spool->items(), 0u);
}

TEST(SpoolTest, ConcurrentPutsAndRemovesKeepTheAccountsRight) {
  ScratchDir tmp;
  RecordingSpoolObserver observer;
  auto spool = MustOpen(tmp.path(), 1'000'000, &observer);
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto item = spool->Put("metrics-batch", "coll_" + std::to_string(t) + "_" + std::to_string(i),
                               std::string(10 + t, 'x'));
        ASSERT_TRUE(item.ok());
        if (i % 2 == 0) {
          ASSERT_TRUE(spool->Remove(*item));
        }
        (void)spool->List();
      }
    });
  }
  for (auto& th : threads) th.join();

  constexpr std::size_t kKept = kThreads * kPerThread / 2;
  std::uint64_t expected_bytes = 0;
  for (int t = 0; t < kThreads; ++t) expected_bytes += (kPerThread / 2) * (10 + t);
  EXPECT_EQ(spool->items(), kKept);
  EXPECT_EQ(spool->bytes(), expected_bytes);
  EXPECT_EQ(observer.last(), std::make_pair(expected_bytes, kKept));
  EXPECT_EQ(FilesIn(tmp.path()).size(), kKept);
  std::set<std::uint64_t> seqs;
  for (const auto& item : spool->List()) seqs.insert(item.seq);
  EXPECT_EQ(seqs.size(), kKept) << "sequence numbers are unique";
  spool.reset();
  EXPECT_EQ(MustOpen(tmp.path(), 1'000'000)->items(), kKept);
}

}  // namespace
}  // namespace kube9::sinks::upload
