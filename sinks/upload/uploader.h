#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/thread.h"
#include "http/transport.h"
#include "sinks/upload/observer.h"
#include "sinks/upload/outage_gate.h"
#include "sinks/upload/spool.h"

namespace kube9::sinks::upload {

struct UploaderOptions {
  std::string server_url;  // e.g. https://api.kube9.io
  std::string user_agent;  // kube9-operator/<version>
  int concurrency = 2;     // requests in flight at most
  base::BackoffPolicy backoff{base::Millis(5'000), base::Millis(300'000), 2.0, 1.0};
  base::Millis request_timeout{30'000};
  // Called when kube9-server rejects the API key (401/403), once per SetEnabled(true): uploads
  // stop, payloads stay spooled, and the registration logic decides what happens next.
  // `api_key` is the key the refused request carried.
  std::function<void(int status, const std::string& api_key)> on_rejected;
  std::uint64_t seed = 0;  // for the jitter; 0 = random
};

// Sends spooled payloads to kube9-server: `POST {server_url}/v1/collections`, one payload per
// request, oldest first, at most `concurrency` at a time, only while enabled.
//
// Delivery is at-least-once: a payload leaves the spool only once the server answered 2xx, or
// when it can never succeed (other 4xx; a 413 that cannot be split). 408, 429, 5xx and
// requests without an answer are retried with per-payload backoff. From the second failure in
// a row the other payloads are held back too (OutageGate), so that an outage does not turn the
// spool into a burst while one bad payload does not hold up the rest; a 429 holds back all of
// them until its Retry-After (at most an hour). When an answer ends an outage, the payloads that
// were waiting only because the server could not be reached (no answer, 502, 503, 504) are due
// at once. Every request is logged at info level (type, collection id, bytes, attempt, result),
// never the key or the body.
class Uploader {
 public:
  using ApiKeyFn = std::function<std::optional<std::string>()>;  // nullopt: no key configured
  // The "coll_" + 32 hex id of half 0 or 1 of a split payload. Deterministic in the parent's
  // id, so that a split redone after a crash sends the same idempotency keys again.
  using SplitIdFn = std::function<std::string(std::string_view parent_id, int half)>;

  // `api_key` is called from the workers and must not call back into the uploader. `observer`
  // may be null. All references must outlive the uploader.
  Uploader(Spool& spool, http::Transport& transport, const base::Clock& clock, UploaderOptions options,
           ApiKeyFn api_key, SplitIdFn split_id, UploadObserver* observer);

  // Runs the workers until `stop` fires; a request in flight is abandoned (its payload stays
  // spooled). Call from one thread; it returns once every worker has ended. A worker that fails
  // is reported to `failures` and restarted.
  void Run(const base::StopSignal& stop, base::ThreadFailureHandler& failures = base::LogOnlyThreadFailures());
  // Uploads happen only while enabled (the operator is registered); the default is disabled.
  // Thread-safe, like Wake().
  void SetEnabled(bool enabled);
  // A payload was spooled: idle workers look again.
  void Wake();

 private:
  // What the uploader remembers about a payload it has tried to send.
  struct Attempts {
    int count = 0;
    base::SteadyTime not_before{};
    bool in_flight = false;
    bool unreachable = false;  // the last failure said nothing about the payload itself
  };
  struct Job {
    Spool::Item item;
    std::string api_key;
    int attempt = 1;
    std::uint64_t round = 0;  // OutageGate::round() when it was taken
  };
  // kNotRead: the spool could not read the payload this time; nothing was sent.
  enum class Outcome { kDone, kRetry, kNotRead, kUnauthorized, kAbandoned };

  void Work(const base::StopSignal& stop);
  // Picks the oldest payload that is neither in flight nor waiting for its retry time. When
  // there is none, `wait` says how long until one may be ready (nullopt: until woken).
  std::optional<Job> TakeLocked(std::optional<base::Millis>& wait);
  // Sends one payload and acts on the answer in the spool; Finish() then updates the schedule.
  Outcome Upload(const Job& job, const base::StopSignal& stop, std::optional<base::Millis>& retry_after,
                 int& status);
  // 413: halves a metrics batch into two new payloads.
  enum class Split { kDone, kNotSplittable, kFailed };
  Split SplitBatch(const Spool::Item& item, const std::string& body);
  void Finish(const Job& job, Outcome outcome, std::optional<base::Millis> retry_after, int status);
  // The backoff after `failures` failures (0 for none): options_.backoff's jittered curve.
  base::Millis DelayLocked(int failures);

  Spool& spool_;
  http::Transport& transport_;
  const base::Clock& clock_;
  const UploaderOptions options_;
  const std::string url_;
  const ApiKeyFn api_key_;
  const SplitIdFn split_id_;
  UploadObserver* const observer_;

  std::mutex mu_;
  bool enabled_ = false;
  bool stopping_ = false;
  std::shared_ptr<base::StopSignal> wake_;  // fired and replaced by Wake()
  std::map<std::uint64_t, Attempts> attempts_;  // by spool seq
  base::Backoff backoff_;  // its curve, for per-payload failure counts and the gate
  OutageGate gate_{backoff_};
};

}  // namespace kube9::sinks::upload
