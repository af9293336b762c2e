#include "base/thread.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/log.h"

namespace kube9::base {
namespace {

using ::testing::ElementsAre;

struct Failure {
  std::string thread;
  std::string what;
  bool restarting;
  bool operator==(const Failure&) const = default;
};

class RecordingHandler final : public ThreadFailureHandler {
 public:
  void OnThreadStarted(const std::string& thread) override {
    std::lock_guard lock(mu_);
    started_.push_back(thread);
  }
  void OnThreadFailure(const std::string& thread, const std::string& what, bool restarting) override {
    std::lock_guard lock(mu_);
    failures_.push_back({thread, what, restarting});
  }
  std::vector<std::string> started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  std::vector<Failure> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> started_;
  std::vector<Failure> failures_;
};

// No jitter, so that the delays are exact.
RestartPolicy Exact() {
  RestartPolicy p;
  p.backoff = BackoffPolicy{Millis(1'000), Millis(4'000), 2.0, 0.0};
  p.stable_after = Millis(60'000);
  p.seed = 1;
  return p;
}

TEST(ThreadTest, AnExceptionIsCaughtAtTheEdgeAndReported) {
  RecordingHandler handler;
  std::thread t = StartThread("worker", [] { throw std::runtime_error("boom"); }, handler);
  t.join();  // the process is still here: no std::terminate
  EXPECT_THAT(handler.started(), ElementsAre("worker"));
  EXPECT_THAT(handler.failures(), ElementsAre(Failure{"worker", "boom", false}));
}

TEST(ThreadTest, AnythingThrownIsCaughtNotOnlyStdExceptions) {
  RecordingHandler handler;
  std::thread t = StartThread("worker", [] { throw 42; }, handler);
  t.join();
  EXPECT_THAT(handler.failures(), ElementsAre(Failure{"worker", "unknown exception", false}));
}

TEST(ThreadTest, ABodyThatReturnsIsNoFailure) {
  RecordingHandler handler;
  bool ran = false;
  std::thread t = StartThread("worker", [&] { ran = true; }, handler);
  t.join();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(handler.failures().empty());
}

TEST(ThreadTest, TheThreadIsNamedForTheOsAndForLogs) {
  RecordingHandler handler;
  std::string current;
  char os_name[16] = {};
  std::thread t = StartThread(
      "w:persistentvolumeclaims",
      [&] {
        current = CurrentThreadName();
        pthread_getname_np(pthread_self(), os_name, sizeof os_name);
      },
      handler);
  t.join();
  EXPECT_EQ(current, "w:persistentvolumeclaims");
  EXPECT_STREQ(os_name, "w:persistentvol");  // Linux keeps 15 characters
}

TEST(ThreadTest, AFailingLoopIsRestartedAfterAGrowingBackoff) {
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  int runs = 0;
  RunRestarting(
      "sampler",
      [&] {
        if (++runs <= 3) throw std::runtime_error("run " + std::to_string(runs));
      },
      handler, clock, stop, Exact());
  EXPECT_EQ(runs, 4);  // the fourth run returned: no more restarts
  EXPECT_THAT(handler.failures(), ElementsAre(Failure{"sampler", "run 1", true}, Failure{"sampler", "run 2", true},
                                              Failure{"sampler", "run 3", true}));
  EXPECT_EQ(clock.slept(), Millis(1'000 + 2'000 + 4'000));
}

TEST(ThreadTest, TheBackoffIsCappedWhileTheLoopKeepsFailing) {
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  int runs = 0;
  RunRestarting(
      "w:pods",
      [&] {
        if (++runs == 6) stop.Stop();
        throw std::runtime_error("again");
      },
      handler, clock, stop, Exact());
  EXPECT_EQ(runs, 6);
  // 1 + 2 + 4 + 4 + 4 s between the six runs; no restart once stopped.
  EXPECT_EQ(clock.slept(), Millis(15'000));
  ASSERT_EQ(handler.failures().size(), 6u);
  EXPECT_TRUE(handler.failures()[4].restarting);
  EXPECT_FALSE(handler.failures()[5].restarting) << "a failure after stop is not restarted";
}

TEST(ThreadTest, ALongRunBeforeAFailureStartsTheBackoffOver) {
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  int runs = 0;
  RunRestarting(
      "collections",
      [&] {
        ++runs;
        if (runs == 3) clock.Advance(Millis(60'000));  // stable for stable_after, then fails
        if (runs <= 3) throw std::runtime_error("x");
      },
      handler, clock, stop, Exact());
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(clock.slept(), Millis(1'000 + 2'000 + 1'000));
}

TEST(ThreadTest, AStoppedLoopDoesNotStart) {
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  stop.Stop();
  int runs = 0;
  RunRestarting("sampler", [&] { ++runs; }, handler, clock, stop, Exact());
  EXPECT_EQ(runs, 0) << "already stopped: the body does not start";
}

TEST(ThreadTest, StartRestartingThreadRunsTheLoopOnANamedThread) {
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  std::atomic<int> runs{0};
  std::string name;
  std::thread t = StartRestartingThread(
      "registration",
      [&] {
        name = CurrentThreadName();
        if (++runs == 1) throw std::runtime_error("first");
      },
      handler, clock, stop, Exact());
  t.join();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(name, "registration");
  EXPECT_THAT(handler.started(), ElementsAre("registration"));
  EXPECT_THAT(handler.failures(), ElementsAre(Failure{"registration", "first", true}));
}

class FaultInjectionTest : public ::testing::Test {
 protected:
  ~FaultInjectionTest() override { ConfigureFaultInjection(""); }
};

TEST_F(FaultInjectionTest, OnceThrowsAtTheFirstStartOfThatThreadOnly) {
  ASSERT_TRUE(ConfigureFaultInjection("throw:sampler:once"));
  RecordingHandler handler;
  FakeClock clock;
  StopSignal stop;
  int runs = 0;
  RunRestarting("collections", [&] { ++runs; }, handler, clock, stop, Exact());
  EXPECT_TRUE(handler.failures().empty()) << "another thread is not affected";
  RunRestarting("sampler", [&] { ++runs; }, handler, clock, stop, Exact());
  EXPECT_EQ(runs, 2);
  EXPECT_THAT(handler.failures(),
              ElementsAre(Failure{"sampler", "injected fault (KUBE9_FAULT_INJECTION)", true}));
}

TEST_F(FaultInjectionTest, WithoutOnceEveryStartThrows) {
  ASSERT_TRUE(ConfigureFaultInjection("throw:w:pods"));
  RecordingHandler handler;
  std::thread t = StartThread("w:pods", [] {}, handler);
  t.join();
  std::thread u = StartThread("w:pods", [] {}, handler);
  u.join();
  EXPECT_EQ(handler.failures().size(), 2u);
}

TEST_F(FaultInjectionTest, ASpecItCannotReadIsRefused) {
  EXPECT_FALSE(ConfigureFaultInjection("crash:sampler"));
  EXPECT_FALSE(ConfigureFaultInjection("throw:"));
  EXPECT_FALSE(ConfigureFaultInjection("throw::once"));
  EXPECT_TRUE(ConfigureFaultInjection(""));
}

TEST(TerminateHandlerTest, LogsTheActiveExceptionBeforeAborting) {
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  EXPECT_DEATH(
      {
        log::LogToStderr();
        InstallTerminateHandler();
        try {
          throw std::runtime_error("escaped a destructor");
        } catch (...) {
          std::terminate();
        }
      },
      "terminating.*escaped a destructor");
}

// Resident KiB of the mapping that holds `address` (/proc/self/smaps).
long ResidentKibAround(const void* address) {
  const auto a = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = lo <= a && a < hi;
    } else if (inside && line.starts_with("Rss:")) {
      return std::stol(line.substr(4));
    }
  }
  return -1;
}

// Touches `kib` KiB of stack below the caller.
[[gnu::noinline]] int TouchStack(int kib) {
  volatile char block[1024];
  std::memset(const_cast<char*>(block), 1, sizeof(block));
  return kib > 1 ? TouchStack(kib - 1) + block[0] : block[0];
}

TEST(ReleaseUnusedStackTest, GivesBackWhatDeeperCallsTouched) {
  long before = 0, deep = 0, after = 0;
  std::thread t([&] {
    volatile char here = 0;
    before = ResidentKibAround(const_cast<const char*>(&here));
    TouchStack(256);
    deep = ResidentKibAround(const_cast<const char*>(&here));
    ReleaseUnusedStack();
    after = ResidentKibAround(const_cast<const char*>(&here));
    EXPECT_EQ(TouchStack(8), 8) << "the stack is usable afterwards";
  });
  t.join();
  ASSERT_GT(before, 0);
  EXPECT_GE(deep, before + 200) << "the recursion touched 256 KiB";
  EXPECT_LE(after, before + 16) << "all but a small margin below the frame is given back";
}

}  // namespace
}  // namespace kube9::base
