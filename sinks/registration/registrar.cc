#include "sinks/registration/registrar.h"

#include <algorithm>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"
#include "sinks/server_api/server_api.h"

namespace kube9::sinks::registration {
namespace {

std::string WithServerMessage(std::string reason, const std::string& message) {
  return message.empty() ? reason : reason + ": " + message;
}

// The configuration of a 200 response, with out-of-range numbers clamped to what is sane (a
// server bug must not turn a fleet into a registration storm); a field that is absent or null
// keeps its default. nullopt when a field has the wrong type.
std::optional<ServerConfiguration> ParseConfiguration(const rapidjson::Value& v, int default_reregistration_hours) {
  if (!v.IsObject()) return std::nullopt;
  ServerConfiguration c;
  c.reregistration_interval_hours = default_reregistration_hours;
  auto integer = [&](const char* name, auto& out, int min, int max) {
    auto m = v.FindMember(name);
    if (m == v.MemberEnd() || m->value.IsNull()) return true;
    if (!m->value.IsInt64()) return false;
    out = static_cast<int>(std::clamp<std::int64_t>(m->value.GetInt64(), min, max));
    return true;
  };
  if (!integer("statusUpdateIntervalSeconds", c.status_update_interval_seconds, 5, 240) ||
      !integer("reregistrationIntervalHours", c.reregistration_interval_hours, 1, 720) ||
      !integer("metricsIntervalSeconds", c.metrics_interval_seconds, 1, 3600)) {
    return std::nullopt;
  }
  if (auto m = v.FindMember("metricsEnabled"); m != v.MemberEnd() && !m->value.IsNull()) {
    if (!m->value.IsBool()) return std::nullopt;
    c.metrics_enabled = m->value.GetBool();
  }
  return c;
}

}  // namespace

base::Expected<RegistrationReply, std::string> ParseRegistrationReply(std::string_view body,
                                                                     int default_reregistration_hours) {
  const auto invalid = [] {
    return base::Unexpected(std::string("kube9-server answered the registration without a clusterId and configuration"));
  };
  rapidjson::Document d;
  const auto parsed = base::ParseJson(d, body, server_api::kReplyJson);
  if (!parsed.ok()) return base::Unexpected("kube9-server's registration reply " + parsed.error());
  if (!d.IsObject()) return invalid();
  auto id = d.FindMember("clusterId");
  auto conf = d.FindMember("configuration");
  if (id == d.MemberEnd() || !id->value.IsString() || id->value.GetStringLength() == 0 ||
      id->value.GetStringLength() > kMaxClusterId || conf == d.MemberEnd()) {
    return invalid();
  }
  auto configuration = ParseConfiguration(conf->value, default_reregistration_hours);
  if (!configuration) return invalid();
  return RegistrationReply{std::string(id->value.GetString(), id->value.GetStringLength()), *configuration};
}

std::string_view StateName(State s) {
  switch (s) {
    case State::kPending: return "pending";
    case State::kRegistered: return "registered";
    case State::kRejected: return "rejected";
    case State::kRateLimited: return "rate_limited";
    case State::kUnreachable: return "unreachable";
  }
  return "unknown";
}

std::string_view AttemptResultName(AttemptResult r) {
  switch (r) {
    case AttemptResult::kSuccess: return "success";
    case AttemptResult::kRejected: return "rejected";
    case AttemptResult::kRateLimited: return "rate_limited";
    case AttemptResult::kError: return "error";
    case AttemptResult::kInvalidResponse: return "invalid_response";
  }
  return "unknown";
}

Registrar::Registrar(http::Transport& transport, const base::Clock& clock, ApiKeySource& key, Inputs inputs,
                     Options options, OnChange on_change, RegistrationObserver* observer)
    : transport_(transport),
      clock_(clock),
      key_(key),
      inputs_(std::move(inputs)),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      observer_(observer),
      backoff_(options_.backoff) {
  current_.reason = "registering with kube9-server";
}

void Registrar::Run(const base::StopSignal& stop) {
  stop_ = &stop;
  Update(Current());  // report the initial state
  while (!stop.stopped()) {
    if (clock_.SleepFor(Step(), stop)) break;
  }
}

base::Millis Registrar::Step() {
  const base::SteadyTime now = clock_.Now();
  std::optional<std::pair<int, std::string>> refused;
  {
    std::lock_guard lock(rejected_mu_);
    refused = std::exchange(upload_rejected_, std::nullopt);
  }
  if (refused && refused->second != key_.Current() ) refused.reset();  // about a key rotated since
  if (refused && !waiting_for_new_key_) {
    const int status = refused->first;
    waiting_for_new_key_ = true;
    Registration r = Current();
    r.state = State::kRejected;
    r.cluster_id.clear();
    r.reason = fmt::format("kube9-server refused an upload with HTTP {}: the API key is no longer accepted; "
                           "waiting for a new key",
                           status);
    Update(std::move(r));
  }
  if (key_.Refresh()) {
    log::Info("the API key changed; registering again");
    waiting_for_new_key_ = false;
    next_attempt_.reset();
    backoff_.Reset();
  }
  const std::optional<std::string> key = key_.Current();
  if (!key) {
    Registration r;
    r.state = State::kPending;
    r.reason = key_.Problem();
    Update(std::move(r));
    return options_.key_poll;
  }
  if (waiting_for_new_key_) return options_.key_poll;
  if (next_attempt_ && now < *next_attempt_) {
    return std::min(options_.key_poll, std::chrono::duration_cast<base::Millis>(*next_attempt_ - now));
  }
  const std::optional<RegistrationRequest> request = inputs_();
  if (!request) {
    Registration r = Current();
    if (!r.registered()) {
      r.reason = "waiting for the cluster's identity and Kubernetes version before registering";
      Update(std::move(r));
    }
    return std::min(options_.key_poll, base::Millis(1000));
  }
  Attempt(*key, *request);
  const auto wait = std::chrono::duration_cast<base::Millis>(*next_attempt_ - clock_.Now());
  return std::clamp(wait, base::Millis(0), options_.key_poll);
}

AttemptResult Registrar::Attempt(const std::string& key, const RegistrationRequest& request) {
  rapidjson::StringBuffer body;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(body);
    w.StartObject();
    w.Key("operatorVersion");
    w.String(options_.operator_version.c_str());
    w.Key("clusterIdentifier");
    w.String(request.cluster_identifier.c_str());
    w.Key("kubernetesVersion");
    w.String(request.kubernetes_version.c_str());
    w.Key("approximateNodeCount");
    w.Int64(request.approximate_node_count);
    w.EndObject();
  }
  http::Request req = server_api::Post(options_.server_url + "/v1/operator/register", key, options_.user_agent,
                                       std::string(body.GetString(), body.GetSize()));
  req.timeout = options_.request_timeout;
  req.cancel = stop_;
  const auto response = transport_.Send(req);

  const bool was_registered = Current().registered();
  Registration next = Current();
  AttemptResult result = AttemptResult::kError;
  base::Millis wait{0};
  int status = 0;
  if (!response.ok() && response.error().response_too_large) {
    // It answered, but not with anything we read: a malformed answer, not an outage.
    status = response.error().status;
    result = AttemptResult::kInvalidResponse;
    next.state = was_registered ? State::kRegistered : State::kUnreachable;
    next.reason = "kube9-server's registration reply is invalid: " + response.error().message;
  } else if (!response.ok()) {
    next.state = was_registered ? State::kRegistered : State::kUnreachable;
    next.reason = "kube9-server is unreachable: " + response.error().message;
  } else {
    status = response->status;
    const std::string message = server_api::Summary(server_api::ParseErrorBody(response->body, key));
    if (status == 200) {
      auto reply = ParseRegistrationReply(response->body, static_cast<int>(options_.reregistration_interval.count()));
      if (reply.ok()) {
        result = AttemptResult::kSuccess;
        next.state = State::kRegistered;
        next.cluster_id = std::move(reply->cluster_id);
        next.configuration = reply->configuration;
        next.reason.clear();
        backoff_.Reset();
        wait = std::chrono::hours(reply->configuration.reregistration_interval_hours);
      } else {
        result = AttemptResult::kInvalidResponse;
        next.state = was_registered ? State::kRegistered : State::kUnreachable;
        next.reason = reply.error();
      }
    } else if (status == 401 || status == 403) {
      result = AttemptResult::kRejected;
      next.state = State::kRejected;
      next.cluster_id.clear();
      next.reason = WithServerMessage(
          fmt::format("kube9-server rejected the API key (HTTP {}); waiting for a new key", status), message);
      waiting_for_new_key_ = true;
    } else if (status == 429) {
      result = AttemptResult::kRateLimited;
      next.state = was_registered ? State::kRegistered : State::kRateLimited;
      next.reason = WithServerMessage("kube9-server is rate limiting registration (HTTP 429)", message);
      if (auto after = server_api::RetryAfter(*response, clock_.WallNow())) wait = *after;
    } else {
      next.state = was_registered ? State::kRegistered : State::kUnreachable;
      next.reason = WithServerMessage(fmt::format("kube9-server answered the registration with HTTP {}", status),
                                      message);
    }
  }
  if (result != AttemptResult::kSuccess && result != AttemptResult::kRejected && wait == base::Millis(0)) {
    wait = backoff_.Next();
  }
  next_attempt_ = clock_.Now() + wait;
  if (result == AttemptResult::kSuccess) {
    log::Info(was_registered ? "re-registered with kube9-server" : "registered with kube9-server",
              {{"url", req.url}, {"result", AttemptResultName(result)}, {"http_status", status},
               {"cluster_id", next.cluster_id}, {"metrics_enabled", next.configuration.metrics_enabled},
               {"next_registration_in", base::FormatDuration(wait)}});
  } else {
    const std::string error = !response.ok() && !response.error().response_too_large
                                  ? "kube9-server is unreachable: " + response.error().message
                              : next.reason.empty() ? fmt::format("HTTP {}", status)
                                                    : next.reason;
    log::Warn("registration with kube9-server failed",
              {{"url", req.url}, {"result", AttemptResultName(result)}, {"http_status", status}, {"error", error},
               {"retry_in", result == AttemptResult::kRejected ? "when the key changes" : base::FormatDuration(wait)}});
  }
  // Still registered from before: a failing re-registration is logged, not a status error.
  if (next.state == State::kRegistered) next.reason.clear();
  if (observer_ != nullptr) observer_->OnRegistrationAttempt(result);
  Update(std::move(next));
  return result;
}

void Registrar::Update(Registration next) {
  {
    std::lock_guard lock(mu_);
    current_ = next;
  }
  if (observer_ != nullptr) observer_->OnRegistrationState(next.state);
  if (on_change_) on_change_(next);
}

Registration Registrar::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void Registrar::KeyRejected(int http_status, const std::string& api_key) {
  std::lock_guard lock(rejected_mu_);
  upload_rejected_.emplace(http_status, api_key);
}

}  // namespace kube9::sinks::registration
