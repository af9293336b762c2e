#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/backoff.h"
#include "base/clock.h"

// Every thread the operator starts goes through StartThread or StartRestartingThread
// (docs/development.md "Threads"): it gets a name the OS shows, and an exception escaping its
// body is caught at the thread's edge, logged with the thread's name and handed to a
// ThreadFailureHandler, instead of ending the process in std::terminate with no final status.
namespace kube9::base {

class ThreadFailureHandler {
 public:
  virtual ~ThreadFailureHandler() = default;
  // A thread named `thread` started (so that its failure counter can exist at 0).
  virtual void OnThreadStarted(const std::string& thread) { (void)thread; }
  // Its body threw `what`; `restarting`: whether it runs again after a backoff. Called on the
  // failing thread, after the failure is logged; must not throw.
  virtual void OnThreadFailure(const std::string& thread, const std::string& what, bool restarting) = 0;
};

// Starts `body` on a thread named `name` (cut to the 15 characters Linux keeps). A failure ends
// the thread after `failures` heard of it.
std::thread StartThread(std::string name, std::function<void()> body, ThreadFailureHandler& failures);

struct RestartPolicy {
  BackoffPolicy backoff{Millis(1'000), Millis(60'000), 2.0, 0.2};
  // A body that ran this long before failing starts the backoff over.
  Millis stable_after{std::chrono::minutes(5)};
  std::uint64_t seed = 0;  // 0: random
};

// For loops whose state survives a restart: runs `body` until it returns or `stop` fires; when
// it throws, reports the failure and runs it again after a backoff (on `clock`).
void RunRestarting(const std::string& name, const std::function<void()>& body, ThreadFailureHandler& failures,
                   const Clock& clock, const StopSignal& stop, RestartPolicy policy = {});
// RunRestarting on a thread named `name`.
std::thread StartRestartingThread(std::string name, std::function<void()> body, ThreadFailureHandler& failures,
                                  const Clock& clock, const StopSignal& stop, RestartPolicy policy = {});

// Gives the kernel back the calling thread's stack pages below the current frame. Deep calls (a
// TLS handshake, a LIST page's decoding) touch them once and would keep them resident for the
// thread's life: about 16 KiB per watch thread, 20 of them. One madvise; a page the stack needs
// again comes back zeroed. Call it where a thread settles into a long wait.
void ReleaseUnusedStack();

// Logs only (StartThread logs every failure already): for components used without a supervisor.
ThreadFailureHandler& LogOnlyThreadFailures();

// The name given to the calling thread by StartThread, or "" for others (e.g. main).
const std::string& CurrentThreadName();

// The active exception's description: what() for a std::exception, else "unknown exception".
// Call only inside a catch block.
std::string DescribeCurrentException();

// Test-only fault injection (docs/development.md "Threads"), inert unless configured: with
// "throw:<thread>" every start of that thread's body throws before the body runs; with
// "throw:<thread>:once", only the first. Configure before starting threads.
bool ConfigureFaultInjection(std::string_view spec);

// The last resort: a std::terminate handler that logs the active exception (e.g. one escaping
// a destructor) before aborting.
void InstallTerminateHandler();

}  // namespace kube9::base
