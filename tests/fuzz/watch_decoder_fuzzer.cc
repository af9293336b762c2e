// WATCH streams (one JSON event per line). The input's first byte chooses how the stream is cut
// into chunks (0: one chunk; n: pseudo-random chunks of 1..n bytes); the rest is the stream. Every
// cut must give the same events as the whole stream, and each event's object goes through the
// collectors' extractors as in the operator.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/extract.h"
#include "fuzz_check.h"
#include "kube/client.h"

namespace {

namespace collectors = kube9::collectors;
using kube9::kube::EventType;
using kube9::kube::WatchDecoder;

struct Outcome {
  std::optional<std::string> error;
  int error_status = 0;
  std::string resource_version;
  std::size_t events = 0;
  std::vector<std::pair<EventType, std::string>> seen;  // type and uid
  bool operator==(const Outcome&) const = default;
};

Outcome Decode(std::string_view stream, std::uint8_t max_chunk, bool extract) {
  Outcome out;
  const kube9::kube::EventVisitor visit = [&](EventType type, const rapidjson::Value& object) {
    out.seen.emplace_back(type, collectors::ObjectUid(object));
    if (!extract) return;
    (void)collectors::ExtractNode(object);
    (void)collectors::ExtractPod(object);
    (void)collectors::ExtractDeployment(object);
    (void)collectors::ExtractJob(object);
    (void)collectors::ExtractPvc(object);
    (void)collectors::ExtractService(object);
    (void)collectors::ExtractNamespace(object);
  };
  WatchDecoder decoder(visit);
  std::uint32_t state = max_chunk;
  std::size_t pos = 0;
  while (pos < stream.size() && !out.error) {
    std::size_t n = stream.size() - pos;
    if (max_chunk != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (state >> 16) % max_chunk);
    }
    if (auto r = decoder.Feed(stream.substr(pos, n)); !r.ok()) {
      out.error = r.error().message;
      out.error_status = r.error().http_status;
    }
    pos += n;
  }
  out.resource_version = decoder.resource_version();
  out.events = decoder.events();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Decode(stream, 0, false);
  const Outcome chunked = Decode(stream, data[0], true);
  KUBE9_FUZZ_CHECK(whole == chunked);
  KUBE9_FUZZ_CHECK(whole.events == whole.seen.size());
  return 0;
}
