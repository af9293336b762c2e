#include "exporter/send_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/thread.h"
#include "collectors/ksm/text.h"

namespace kube9::exporter {
namespace {

using collectors::ksm::TextWriter;

// Writes `series` pod series through `w`, with a label value longer than a buffer now and then.
void WriteSeries(TextWriter& w, int series) {
  const std::string huge(TextWriter::kCapacity + 1000, 'a');
  for (int i = 0; i < series; ++i) {
    w.Begin("kube_pod_info")
        .Label("namespace", "ns-" + std::to_string(i % 7))
        .Label("pod", "web-" + std::to_string(i))
        .Label("note", i % 5000 == 1 ? huge : "quote \" and \\ and\nnewline")
        .Value(i);
  }
}

TEST(SendAheadTest, TheTextArrivesWholeAndInOrderAsWithoutIt) {
  std::string direct;
  {
    TextWriter w([&](std::string_view chunk) { direct.append(chunk); });
    w.Header("kube_pod_info", "Information about pod.", true, "gauge");
    WriteSeries(w, 40000);
  }
  ASSERT_GT(direct.size(), 20 * TextWriter::kCapacity);  // many buffers

  const std::string aggregates = "kube9_cluster_pods 3\n";
  std::string sent;
  std::string sender_name;
  {
    SendAhead ahead([&](std::string_view piece) {
      sender_name = base::CurrentThreadName();
      sent.append(piece);
    });
    ahead.SendView(aggregates);
    TextWriter w(ahead);
    w.Header("kube_pod_info", "Information about pod.", true, "gauge");
    WriteSeries(w, 40000);
    w.Flush();
    ahead.Finish();
  }
  EXPECT_EQ(sender_name, "send-ahead");  // sent on its own thread, not the writer's
  ASSERT_EQ(sent.size(), aggregates.size() + direct.size());
  EXPECT_EQ(sent, aggregates + direct);
}

TEST(SendAheadTest, TheWriterFillsBuffersOfTheChunkItWasGiven) {
  constexpr std::size_t kChunk = 256 * 1024;
  // Short series, and once a label value longer than two such buffers.
  const std::string huge(2 * TextWriter::CapacityFor(kChunk) + 1000, 'a');
  auto write = [&](TextWriter& w) {
    for (int i = 0; i < 60000; ++i) {
      w.Begin("kube_pod_info").Label("pod", "web-" + std::to_string(i)).Label("note", i == 30000 ? huge : "x").Value(i);
    }
  };
  std::string direct;
  {
    TextWriter w([&](std::string_view chunk) { direct.append(chunk); });
    write(w);
  }
  std::vector<std::size_t> sizes;
  std::string sent;
  {
    SendAhead ahead(
        [&](std::string_view piece) {
          sizes.push_back(piece.size());
          sent.append(piece);
        },
        kChunk);
    EXPECT_EQ(ahead.Chunk(), kChunk);
    TextWriter w(ahead);  // writes up to CapacityFor(kChunk) into each (ASan: no byte past it)
    write(w);
    w.Flush();
    ahead.Finish();
  }
  EXPECT_EQ(sent, direct);
  ASSERT_GT(sizes.size(), 6u);
  // A buffer is handed over once it passes the chunk, not the writer's usual 64 KiB, and never
  // holds more than its capacity. The one exception: the text before the huge value, handed
  // over early so that the value goes in whole buffers (and the last one).
  std::size_t short_ones = 0;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    EXPECT_LE(sizes[i], TextWriter::CapacityFor(kChunk)) << i;
    if (sizes[i] < kChunk) ++short_ones;
  }
  EXPECT_LE(short_ones, 1u);
}

// A sender that blocks until released, counting what it was given.
class GatedSend {
 public:
  void operator()(std::string_view) {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void AwaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  bool open_ = false;
};

TEST(SendAheadTest, AStalledClientHoldsTheWriterBackAfterAFewBuffers) {
  GatedSend gate;
  SendAhead ahead([&](std::string_view piece) { gate(piece); });
  std::atomic<int> handed{0};
  std::thread writer([&] {
    auto buffer = std::make_unique<char[]>(TextWriter::kCapacity);
    for (int i = 0; i < 20; ++i) {
      ahead.Exchange(buffer, 10);
      ++handed;
    }
  });
  gate.AwaitStarted(1);  // the sender holds the first buffer
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // At most one being sent and kDepth waiting; the writer waits to hand over the next (how many
  // depends on whether the sender took the first before the writer filled the queue).
  EXPECT_LE(handed.load(), static_cast<int>(SendAhead::kDepth) + 1);
  EXPECT_GE(handed.load(), static_cast<int>(SendAhead::kDepth) / 2 + 1);
  gate.Open();
  writer.join();
  EXPECT_EQ(handed.load(), 20);
  ahead.Finish();
}

struct Gone : std::runtime_error {
  Gone() : std::runtime_error("the client is gone") {}
};

TEST(SendAheadTest, AFailedSendReachesTheWriterOnceAndLaterTextIsDropped) {
  std::atomic<int> sends{0};
  SendAhead ahead([&](std::string_view) {
    if (++sends == 3) throw Gone();
  });
  auto buffer = std::make_unique<char[]>(TextWriter::kCapacity);
  bool thrown = false;
  for (int i = 0; i < 1000 && !thrown; ++i) {
    try {
      ahead.Exchange(buffer, 10);
    } catch (const Gone&) {
      thrown = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(thrown);
  ASSERT_NE(buffer, nullptr);  // the writer always has a buffer to write into
  // From now on nothing throws (a destructor flushing on the way out) and nothing is sent.
  ahead.Exchange(buffer, 10);
  ahead.SendView("more");
  EXPECT_NO_THROW(ahead.Finish());
  EXPECT_EQ(sends.load(), 3);
}

TEST(SendAheadTest, AFailureSeenOnlyAtTheEndIsThrownByFinish) {
  SendAhead ahead([&](std::string_view) { throw Gone(); });
  ahead.SendView("the only piece");
  EXPECT_THROW(ahead.Finish(), Gone);
}

TEST(SendAheadTest, AWriterThatFailsLeavesWithoutFinishAndUnsentTextIsDropped) {
  GatedSend gate;
  std::atomic<int> sent{0};
  {
    SendAhead ahead([&](std::string_view piece) {
      gate(piece);
      ++sent;
    });
    for (int i = 0; i < 3; ++i) ahead.SendView("piece");
    gate.AwaitStarted(1);
    gate.Open();
    // Destroyed here without Finish, as when Render throws: what waits is dropped, the thread ends.
  }
  EXPECT_GE(sent.load(), 1);
  EXPECT_LE(sent.load(), 3);
}

}  // namespace
}  // namespace kube9::exporter
