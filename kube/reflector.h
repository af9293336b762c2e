#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "base/backoff.h"
#include "base/clock.h"
#include "kube/client.h"

namespace kube9::kube {

// Receives the state of one resource type. Called from the reflector's thread only.
class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  virtual void OnSyncStart() = 0;  // a (re)list begins
  virtual void OnListed(const rapidjson::Value& object) = 0;
  virtual void OnSynced() = 0;                                               // list complete: drop what was not listed
  virtual void OnEvent(EventType type, const rapidjson::Value& object) = 0;  // never kBookmark
  // A list left out `count` objects too large or too deeply nested to read (kObjectJson).
  virtual void OnSkipped(std::size_t count) = 0;
};

// Told what the reflector does, for self metrics and logs.
class ReflectorObserver {
 public:
  virtual ~ReflectorObserver() = default;
  virtual void OnRelist(std::string_view resource, std::string_view reason) = 0;
  virtual void OnSynced(std::string_view resource, std::size_t objects) = 0;
  virtual void OnWatchEvent(std::string_view resource, EventType type) = 0;
  virtual void OnError(std::string_view resource, const ApiError& error) = 0;
  // The reflector of `resource` was stopped for good while the process runs on (an optional
  // collector whose API went away): what describes its current state should go.
  virtual void OnStopped(std::string_view resource) { (void)resource; }
};

struct ReflectorOptions {
  std::string resource;  // e.g. "pods", for metrics and logs
  std::string path;      // collection path, e.g. /api/v1/pods
  ListOptions list;
  base::BackoffPolicy backoff{base::Millis(800), base::Millis(30'000), 2.0, 0.5};
  base::Millis max_retry_after{std::chrono::minutes(5)};
  // Watches last a random time in [min, 2*min) so that a fleet's watches do not expire together.
  int watch_timeout_min_seconds = 300;
  std::uint64_t seed = 0;  // 0: random
};

// The informer loop: paginated LIST, then WATCH from the list's resourceVersion with
// bookmarks; re-watch when the server ends a watch; relist on 410 Gone or an undecodable
// stream; jittered exponential backoff on errors; Retry-After honoured on 429.
class Reflector {
 public:
  Reflector(ReflectorOptions options, Client& client, ReflectorHandler& handler, const base::Clock& clock,
            ReflectorObserver* observer = nullptr);

  // Runs until `stop` fires. Call from one dedicated thread.
  void Run(const base::StopSignal& stop);
  // True once a list has completed (stays true across relists).
  bool synced() const { return synced_.load(); }

  // Set while list/watch keeps failing: since the first failure after the last success (a
  // completed LIST or a watch the server accepted), with the latest error. A 410 Gone is
  // not a failure: relisting is the normal way out. nullopt while healthy.
  struct Failure {
    base::SteadyTime since;
    ApiError last_error;
  };
  std::optional<Failure> failing() const;

 private:
  void MarkFailed(const ApiError& error);
  void MarkHealthy();

  // Waits after a failure; returns true when stopped meanwhile.
  bool WaitAfter(const ApiError& error, const base::StopSignal& stop);

  ReflectorOptions options_;
  Client& client_;
  ReflectorHandler& handler_;
  const base::Clock& clock_;
  ReflectorObserver* observer_;
  base::Backoff backoff_;
  std::mt19937_64 rng_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> failing_flag_{false};  // failing_.has_value(), read without the lock on every event
  mutable std::mutex failure_mu_;
  std::optional<Failure> failing_;
};

}  // namespace kube9::kube
