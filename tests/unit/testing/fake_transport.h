#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "http/transport.h"

namespace kube9::testing {

// Replays scripted responses in order and records every request. Streams deliver the body in
// chunks of `chunk_size` bytes, so decoders see events split at arbitrary places.
class FakeTransport final : public http::Transport {
 public:
  struct Scripted {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool transport_error = false;
  };

  void Reply(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard lock(mu_);
    script_.push_back({status, std::move(body), std::move(headers), false});
  }
  void FailTransport() {
    std::lock_guard lock(mu_);
    script_.push_back({0, "", {}, true});
  }

  base::Expected<http::Response, http::TransportError> Send(const http::Request& request) override {
    Scripted s = Next(request);
    if (s.transport_error) return base::Unexpected(http::TransportError{"connection refused"});
    if (s.body.size() > request.max_response_bytes) {  // as CurlTransport does
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
    for (std::size_t i = 0; i < s.body.size(); i += chunk_size) {
      if (!handler.OnData(std::string_view(s.body).substr(i, chunk_size))) break;
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
};

}  // namespace kube9::testing
