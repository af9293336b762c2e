#include "base/thread.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <random>
#include <stdexcept>

#include "base/log.h"
#include "base/time_format.h"

namespace kube9::base {
namespace {

thread_local std::string t_name;

// What KUBE9_FAULT_INJECTION asked for; empty thread: nothing.
struct Fault {
  std::mutex mu;
  std::string thread;
  bool once = false;
  bool fired = false;
};

Fault& TheFault() {
  static Fault fault;
  return fault;
}

void MaybeInjectFault(const std::string& thread) {
  Fault& f = TheFault();
  std::lock_guard lock(f.mu);
  if (f.thread.empty() || f.thread != thread || (f.once && f.fired)) return;
  f.fired = true;
  throw std::runtime_error("injected fault (KUBE9_FAULT_INJECTION)");
}

void SetName(const std::string& name) {
  t_name = name;
  // Linux keeps 15 characters; logs and metrics use the full name.
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

// Runs `body` once; true when it returned, false when it threw (logged and reported).
bool RunGuarded(const std::string& name, const std::function<void()>& body, ThreadFailureHandler& failures,
                const StopSignal* stop) {
  std::string what;
  try {
    MaybeInjectFault(name);
    body();
    return true;
  } catch (...) {
    what = DescribeCurrentException();
  }
  const bool restarting = stop != nullptr && !stop->stopped();
  log::Error("thread failed", {{"thread", name}, {"error", what}, {"restarting", restarting}});
  try {
    failures.OnThreadFailure(name, what, restarting);
  } catch (...) {
    log::Error("thread failure handler failed", {{"thread", name}, {"error", DescribeCurrentException()}});
  }
  return false;
}

class LogOnly final : public ThreadFailureHandler {
 public:
  void OnThreadFailure(const std::string&, const std::string&, bool) override {}
};

[[noreturn]] void OnTerminate() {
  std::string what = "no active exception";
  if (std::current_exception()) {
    try {
      std::rethrow_exception(std::current_exception());
    } catch (...) {
      what = DescribeCurrentException();
    }
  }
  log::Error("terminating", {{"thread", CurrentThreadName().empty() ? "main" : CurrentThreadName()},
                             {"error", what}});
  std::abort();
}

}  // namespace

std::thread StartThread(std::string name, std::function<void()> body, ThreadFailureHandler& failures) {
  failures.OnThreadStarted(name);
  return std::thread([name = std::move(name), body = std::move(body), &failures] {
    SetName(name);
    RunGuarded(name, body, failures, nullptr);
  });
}

void RunRestarting(const std::string& name, const std::function<void()>& body, ThreadFailureHandler& failures,
                   const Clock& clock, const StopSignal& stop, RestartPolicy policy) {
  Backoff backoff(policy.backoff, policy.seed != 0 ? policy.seed : std::random_device{}());
  while (!stop.stopped()) {
    const SteadyTime started = clock.Now();
    if (RunGuarded(name, body, failures, &stop)) return;
    if (clock.Now() - started >= policy.stable_after) backoff.Reset();
    const Millis delay = backoff.Next();
    if (stop.stopped()) return;
    log::Info("restarting thread", {{"thread", name}, {"after", FormatDuration(delay)}});
    if (clock.SleepFor(delay, stop)) return;
  }
}

std::thread StartRestartingThread(std::string name, std::function<void()> body, ThreadFailureHandler& failures,
                                  const Clock& clock, const StopSignal& stop, RestartPolicy policy) {
  failures.OnThreadStarted(name);
  return std::thread([name = std::move(name), body = std::move(body), &failures, &clock, &stop, policy] {
    SetName(name);
    RunRestarting(name, body, failures, clock, stop, policy);
  });
}

void ReleaseUnusedStack() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* stack = nullptr;
  std::size_t size = 0;
  const int rc = pthread_attr_getstack(&attr, &stack, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0 || stack == nullptr) return;
  const auto low = reinterpret_cast<std::uintptr_t>(stack);
  volatile char here = 0;  // in this frame, a little above the stack pointer
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  // Two pages of margin below this frame, for the frames of the call below.
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(&here) - 2 * page) & ~(page - 1);
  if (end <= low || end - low > size) return;
  madvise(reinterpret_cast<void*>(low), end - low, MADV_DONTNEED);
}

ThreadFailureHandler& LogOnlyThreadFailures() {
  static LogOnly handler;
  return handler;
}

const std::string& CurrentThreadName() { return t_name; }

std::string DescribeCurrentException() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool ConfigureFaultInjection(std::string_view spec) {
  Fault& f = TheFault();
  std::lock_guard lock(f.mu);
  f.thread.clear();
  f.once = false;
  f.fired = false;
  if (spec.empty()) return true;
  if (!spec.starts_with("throw:")) return false;
  std::string_view rest = spec.substr(6);
  if (rest.ends_with(":once")) {
    f.once = true;
    rest.remove_suffix(5);
  }
  if (rest.empty()) return false;
  f.thread = std::string(rest);
  return true;
}

void InstallTerminateHandler() { std::set_terminate(&OnTerminate); }

}  // namespace kube9::base
