#include "base/parallel_gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/gzip.h"

namespace kube9::base {
namespace {

constexpr std::size_t kBlock = 32 * 1024;  // the smallest block: many blocks from small inputs

std::string PrometheusText(std::size_t size, std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string text;
  text.reserve(size + 256);
  for (int i = 0; text.size() < size; ++i) {
    if (i % 500 == 0) text += "# HELP kube_pod_info Information about pod.\n# TYPE kube_pod_info gauge\n";
    text += "kube_pod_info{namespace=\"ns-" + std::to_string(rng() % 40) + "\",pod=\"web-" + std::to_string(i) + "-" +
            std::to_string(rng() % 100000) + "\",uid=\"" + std::to_string(rng()) + "-" + std::to_string(rng()) +
            "\",node=\"node-" + std::to_string(rng() % 100) + "\"} 1\n";
  }
  text.resize(size);
  return text;
}

std::string RandomBytes(std::size_t size, std::uint32_t seed = 2) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// How a strict reader takes it: zlib's inflate in one call, into exactly the room the text needs.
bool InflateInOnePass(const std::string& gz, const std::string& expected) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  std::string out(expected.size() + 1, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const bool ok = rc == Z_STREAM_END && zs.total_out == expected.size() && zs.avail_in == 0;
  inflateEnd(&zs);
  out.resize(expected.size());
  return ok && out == expected;
}

// Writes `text` in pieces of `piece` bytes (0: sizes drawn at random up to 3 blocks).
std::string Compress(std::string_view text, std::size_t piece, int threads, std::size_t block = kBlock) {
  std::string gz;
  ParallelGzipWriter w([&gz](std::string_view data) { gz += data; },
                       {.level = 1, .threads = threads, .block_size = block});
  std::mt19937 rng(7);
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t n = piece != 0 ? piece : rng() % (3 * block) + 1;
    w.Write(text.substr(at, n));
    at += n;
  }
  w.Finish();
  w.Finish();       // once is enough
  w.Write("late");  // ignored
  return gz;
}

// The writer's workers alive now: threads named `gzip-N` (the process may start others of its
// own meanwhile, as ThreadSanitizer's background thread does).
std::size_t ThreadCount() {
  std::size_t n = 0;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.starts_with("gzip-")) ++n;
  }
  return n;
}

// A thread names itself once it runs: waits a bounded time for `expected` workers to show.
std::size_t ThreadCountReaching(std::size_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t n = ThreadCount();
  while (n < expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    n = ThreadCount();
  }
  return n;
}

// A joined thread may linger in /proc a moment after pthread_join returns (the kernel wakes
// the joiner before it removes the task): waits a bounded time for the count to come down.
std::size_t ThreadCountSettled(std::size_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t n = ThreadCount();
  while (n > expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    n = ThreadCount();
  }
  return n;
}

TEST(ParallelGzipTest, DecompressesToTheInputAtEverySizeAndSplitting) {
  const std::vector<std::size_t> sizes = {0,
                                          1,
                                          2,
                                          100,
                                          kBlock - 1,
                                          kBlock,
                                          kBlock + 1,
                                          2 * kBlock,
                                          2 * kBlock + 1,
                                          3 * kBlock - 1,
                                          5 * kBlock,
                                          7 * kBlock + 12345};
  for (const int threads : {1, 2, 3}) {
    for (const std::size_t size : sizes) {
      for (const bool text : {true, false}) {
        const std::string input = text ? PrometheusText(size) : RandomBytes(size);
        for (const std::size_t piece : {std::size_t{0}, std::size_t{1}, kBlock - 1, kBlock, kBlock + 1, size}) {
          if (piece == 1 && size > 3 * kBlock) continue;  // a byte at a time: slow, and covered below that
          SCOPED_TRACE(testing::Message()
                       << "threads " << threads << " size " << size << " text " << text << " piece " << piece);
          const std::string gz = Compress(input, piece, threads);
          std::string back;
          ASSERT_TRUE(GzipDecompress(gz, back));
          ASSERT_EQ(back.size(), input.size());
          ASSERT_TRUE(back == input);
          ASSERT_TRUE(InflateInOnePass(gz, input));
        }
      }
    }
  }
}

TEST(ParallelGzipTest, OneMemberWithTheInputsCrcAndLength) {
  const std::string input = PrometheusText(10 * kBlock + 3);
  const std::string gz = Compress(input, 4096, 2);
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gz[2], 8) << "deflate";
  EXPECT_EQ(gz[3], 0) << "no name, comment or extra field";
  const auto le32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(gz[at + static_cast<std::size_t>(i)]);
    return v;
  };
  EXPECT_EQ(le32(gz.size() - 8),
            crc32(0, reinterpret_cast<const Bytef*>(input.data()), static_cast<uInt>(input.size())));
  EXPECT_EQ(le32(gz.size() - 4), static_cast<std::uint32_t>(input.size()));
  // Exactly one member: inflate ends with the stream's last byte, nothing after it.
  EXPECT_TRUE(InflateInOnePass(gz, input));
}

TEST(ParallelGzipTest, DefaultBlocksAtScrapeSize) {
  const std::string input = PrometheusText((9 << 20) + 777, 3);  // a scrape of 1,000 pods
  const std::string gz = Compress(input, 64 * 1024, ParallelGzipWriter::DefaultThreads(), 128 * 1024);
  std::string back;
  ASSERT_TRUE(GzipDecompress(gz, back));
  EXPECT_TRUE(back == input);
  EXPECT_TRUE(InflateInOnePass(gz, input));
}

TEST(ParallelGzipTest, RatioWithinThreePercentOfOneStream) {
  const std::string input = PrometheusText(4 << 20, 4);
  std::string sequential;
  {
    GzipWriter w(sequential, 1);
    w.Write(input);
    w.Finish();
  }
  const std::string parallel = Compress(input, 64 * 1024, 2, 128 * 1024);
  EXPECT_LE(static_cast<double>(parallel.size()), 1.03 * static_cast<double>(sequential.size()))
      << parallel.size() << " vs " << sequential.size();
}

TEST(ParallelGzipTest, HandsOnCompressedBytesBeforeTheEndOnTheCallingThread) {
  // At most a few blocks are held: the sink hears of the first ones long before the end.
  const std::string input = PrometheusText(40 * kBlock, 5);
  std::size_t written = 0, written_at_first_piece = 0, pieces = 0;
  bool other_thread = false;
  const auto caller = std::this_thread::get_id();
  std::string gz;
  ParallelGzipWriter w(
      [&](std::string_view data) {
        if (pieces++ == 0) written_at_first_piece = written;
        other_thread |= std::this_thread::get_id() != caller;
        gz += data;
      },
      {.level = 1, .threads = 2, .block_size = kBlock});
  for (std::size_t at = 0; at < input.size(); at += 1000) {
    const auto piece = std::string_view(input).substr(at, 1000);
    written += piece.size();
    w.Write(piece);
  }
  w.Finish();
  EXPECT_FALSE(other_thread) << "the sink runs on the writing thread only";
  EXPECT_GT(pieces, 10u);
  EXPECT_GT(written_at_first_piece, 0u);
  EXPECT_LE(written_at_first_piece, 6 * kBlock) << "blocks in flight, the current one and the one just begun";
  EXPECT_TRUE(InflateInOnePass(gz, input));
}

TEST(ParallelGzipTest, SmallBodyStartsNoThread) {
  const std::size_t before = ThreadCount();
  std::size_t during = 0;
  std::string gz;
  {
    ParallelGzipWriter w(
        [&](std::string_view data) {
          during = std::max(during, ThreadCount());
          gz += data;
        },
        {.level = 1, .threads = 2, .block_size = 128 * 1024});
    const std::string input = PrometheusText(128 * 1024, 6);
    w.Write(input);
    w.Finish();
    EXPECT_TRUE(InflateInOnePass(gz, input));
  }
  EXPECT_EQ(during, before);
}

TEST(ParallelGzipTest, ClientGoneMidStreamStopsAndJoinsTheWorkers) {
  struct Gone : std::runtime_error {
    Gone() : std::runtime_error("gone") {}
  };
  const std::size_t before = ThreadCountSettled(ThreadCount());
  std::size_t during = 0, calls = 0;
  const std::string input = PrometheusText(64 * kBlock, 8);
  bool thrown = false;
  {
    ParallelGzipWriter w(
        [&](std::string_view) {
          if (++calls == 2) {
            during = ThreadCountReaching(before + 2);
            throw Gone();
          }
        },
        {.level = 1, .threads = 2, .block_size = kBlock});
    try {
      for (std::size_t at = 0; at < input.size(); at += 4096) w.Write(std::string_view(input).substr(at, 4096));
      w.Finish();
    } catch (const Gone&) {
      thrown = true;
    }
    // As a destructor flushing on the way out would: nothing more reaches the sink.
    w.Write(std::string_view(input).substr(0, 10 * kBlock));
    w.Finish();
  }
  EXPECT_TRUE(thrown);
  EXPECT_EQ(calls, 2u);
  EXPECT_EQ(during, before + 2) << "two workers ran";
  EXPECT_EQ(ThreadCountSettled(before), before) << "and are gone with the writer";
}

TEST(ParallelGzipTest, AbandonedWithoutFinishJoinsTheWorkers) {
  const std::size_t before = ThreadCountSettled(ThreadCount());
  std::size_t calls = 0;
  {
    ParallelGzipWriter w([&](std::string_view) { ++calls; }, {.level = 1, .threads = 2, .block_size = kBlock});
    w.Write(PrometheusText(20 * kBlock, 9));
  }
  EXPECT_GT(calls, 0u);
  EXPECT_EQ(ThreadCountSettled(before), before);
}

}  // namespace
}  // namespace kube9::base
