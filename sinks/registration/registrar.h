#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/backoff.h"
#include "base/clock.h"
#include "base/expected.h"
#include "http/transport.h"
#include "sinks/registration/api_key.h"

// Registration with kube9-server (PRODUCT.md §5): POST /v1/operator/register, and the retry
// policy around it: 401/403 wait for a new key, 429 waits Retry-After, anything else backs off
// exponentially with full jitter and never gives up; a registered operator re-registers every
// reregistrationIntervalHours.
namespace kube9::sinks::registration {

// What the server tells a registered operator.
struct ServerConfiguration {
  // nullopt when the server does not say: the configured interval applies.
  std::optional<int> status_update_interval_seconds;
  int reregistration_interval_hours = 24;
  bool metrics_enabled = false;
  int metrics_interval_seconds = 60;
};

// What a 200 to a registration carries: the server-assigned cluster id and the configuration,
// with out-of-range numbers clamped and absent ones at their defaults. An error when either is
// missing or has the wrong type, or the id is longer than kMaxClusterId (it goes into the status
// ConfigMap, which must stay small whatever a server sends), or the reply is not bounded JSON;
// the error is the reason, for the status. Exposed for tests and the fuzzer.
inline constexpr std::size_t kMaxClusterId = 256;
struct RegistrationReply {
  std::string cluster_id;
  ServerConfiguration configuration;
};
base::Expected<RegistrationReply, std::string> ParseRegistrationReply(std::string_view body,
                                                                     int default_reregistration_hours);

enum class State { kPending, kRegistered, kRejected, kRateLimited, kUnreachable };
std::string_view StateName(State s);  // pending, registered, rejected, rate_limited, unreachable
inline constexpr std::array<State, 5> kAllStates = {State::kPending, State::kRegistered, State::kRejected,
                                                    State::kRateLimited, State::kUnreachable};

struct Registration {
  State state = State::kPending;
  std::string cluster_id;  // server-assigned; set once registered
  ServerConfiguration configuration;
  std::string reason;  // why not registered, for the status's `error`; "" when registered
  bool registered() const { return !cluster_id.empty() && state != State::kRejected; }
};

// The request body, read from the cluster when an attempt is due.
struct RegistrationRequest {
  std::string cluster_identifier;  // "sha256:" + 64 hex
  std::string kubernetes_version;  // /version gitVersion
  std::int64_t approximate_node_count = 0;
};

// How one attempt ended, as counted in kube9_operator_registration_attempts_total.
enum class AttemptResult { kSuccess, kRejected, kRateLimited, kError, kInvalidResponse };
std::string_view AttemptResultName(AttemptResult r);

class RegistrationObserver {
 public:
  virtual ~RegistrationObserver() = default;
  virtual void OnRegistrationAttempt(AttemptResult result) = 0;
  virtual void OnRegistrationState(State state) = 0;
};

class Registrar {
 public:
  struct Options {
    std::string server_url;  // without a trailing slash
    std::string user_agent;  // kube9-operator/<version>
    std::string operator_version;
    // When the server's configuration does not say (REREGISTRATION_INTERVAL_HOURS).
    std::chrono::hours reregistration_interval{24};
    base::BackoffPolicy backoff{std::chrono::seconds(30), std::chrono::minutes(30), 2.0, 1.0};
    base::Millis key_poll{std::chrono::seconds(5)};  // how often the key file is re-read
    base::Millis request_timeout{std::chrono::seconds(30)};
  };
  // nullopt: the cluster is not known well enough yet (collectors still syncing); ask again soon.
  using Inputs = std::function<std::optional<RegistrationRequest>()>;
  using OnChange = std::function<void(const Registration&)>;

  Registrar(http::Transport& transport, const base::Clock& clock, ApiKeySource& key, Inputs inputs, Options options,
            OnChange on_change, RegistrationObserver* observer = nullptr);

  // Registers, re-registers and retries until `stop`. On one dedicated thread.
  void Run(const base::StopSignal& stop);
  // One pass of the loop: the key file, then an attempt if one is due. Returns how long to wait.
  base::Millis Step();

  Registration Current() const;
  // An upload sent with `api_key` was refused with 401/403. Ignored when the key has changed
  // since (the refusal was about the old one). Thread-safe.
  void KeyRejected(int http_status, const std::string& api_key);

 private:
  AttemptResult Attempt(const std::string& key, const RegistrationRequest& request);
  void Update(Registration next);

  http::Transport& transport_;
  const base::Clock& clock_;
  ApiKeySource& key_;
  Inputs inputs_;
  Options options_;
  OnChange on_change_;
  RegistrationObserver* observer_;
  base::Backoff backoff_;
  std::optional<base::SteadyTime> next_attempt_;  // nullopt: now
  bool waiting_for_new_key_ = false;
  const base::StopSignal* stop_ = nullptr;  // cancels a request in flight at shutdown
  std::mutex rejected_mu_;
  std::optional<std::pair<int, std::string>> upload_rejected_;  // status and key of a refused upload
  mutable std::mutex mu_;
  Registration current_;
};

}  // namespace kube9::sinks::registration
