#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "http/transport.h"

namespace kube9::testing {

// Replays scripted responses in order and records every request. Streams deliver the body in
// chunks of `chunk_size` bytes, so decoders see events split at arbitrary places.
//
// With a clock (`use_clock`), a stream can also go quiet (ReplyStreaming): each pause advances
// the simulated clock, and the request's bounds apply as a real transport applies them: a
// pause of `stall_timeout` or more (when not 0) fails with "stalled", and the stream fails with
// "timed out" once it has lasted `timeout` (when not 0).
class FakeTransport final : public http::Transport {
 public:
  struct Part {
    base::Millis pause{0};  // silence before `data`
    std::string data;
  };
  struct Scripted {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool transport_error = false;
    std::vector<Part> parts;                    // after `body`, for ReplyStreaming
    std::optional<http::TransportError> error;  // FailWith: this error instead of "connection refused"
  };

  void Reply(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard lock(mu_);
    script_.push_back({status, std::move(body), std::move(headers), false});
  }
  // A 200 stream whose parts arrive after their pauses, then ends (ends quiet: a last Part
  // with a pause and no data).
  void ReplyStreaming(std::vector<Part> parts) {
    std::lock_guard lock(mu_);
    script_.push_back({200, "", {}, false, std::move(parts)});
  }
  void use_clock(const base::FakeClock& clock) { clock_ = &clock; }
  void FailTransport() {
    std::lock_guard lock(mu_);
    script_.push_back({0, "", {}, true});
  }
  // A transport failure as given (e.g. timed_out).
  void FailWith(http::TransportError error) {
    std::lock_guard lock(mu_);
    script_.push_back({0, "", {}, true, {}, std::move(error)});
  }

  base::Expected<http::Response, http::TransportError> Send(const http::Request& request) override {
    Scripted s = Next(request);
    if (s.error) return base::Unexpected(*s.error);
    if (s.transport_error) return base::Unexpected(http::TransportError{"connection refused"});
    if (s.body.size() > request.max_response_bytes) {  // as OpenSslTransport does
      return base::Unexpected(http::TransportError{
          "response body larger than " + base::FormatBytes(request.max_response_bytes), true, s.status});
    }
    http::Response r;
    r.status = s.status;
    r.body = s.body;
    for (const auto& [k, v] : s.headers) r.headers.Add(k, v);
    return r;
  }

  base::Expected<int, http::TransportError> Stream(const http::Request& request, http::StreamHandler& handler,
                                                   const base::StopSignal&) override {
    Scripted s = Next(request);
    if (s.transport_error) return base::Unexpected(http::TransportError{"connection refused"});
    http::Headers h;
    for (const auto& [k, v] : s.headers) h.Add(k, v);
    if (!handler.OnHeaders(s.status, h)) return s.status;
    if (!Deliver(s.body, handler)) return s.status;
    base::Millis elapsed{0};
    for (const Part& part : s.parts) {
      if (clock_ != nullptr) {
        const auto stall = request.stall_timeout;
        const auto total = request.timeout;
        if (stall.count() > 0 && part.pause >= stall && (total.count() == 0 || elapsed + stall < total)) {
          clock_->Advance(stall);
          return base::Unexpected(http::TransportError{"stalled: no data for the stall timeout"});
        }
        if (total.count() > 0 && elapsed + part.pause >= total) {
          clock_->Advance(total - elapsed);
          return base::Unexpected(http::TransportError{"timed out"});
        }
        clock_->Advance(part.pause);
        elapsed += part.pause;
      }
      if (!Deliver(part.data, handler)) break;
    }
    return s.status;
  }

  std::vector<http::Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t remaining() const {
    std::lock_guard lock(mu_);
    return script_.size();
  }

  std::size_t chunk_size = 7;

 private:
  bool Deliver(std::string_view body, http::StreamHandler& handler) {
    for (std::size_t i = 0; i < body.size(); i += chunk_size) {
      if (!handler.OnData(body.substr(i, chunk_size))) return false;
    }
    return true;
  }

  Scripted Next(const http::Request& request) {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (script_.empty()) return {0, "", {}, true};  // the test ran past its script
    Scripted s = script_.front();
    script_.pop_front();
    return s;
  }

  mutable std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<http::Request> requests_;
  const base::FakeClock* clock_ = nullptr;
};

}  // namespace kube9::testing
