// LIST responses as the API server streams them. The input's first byte chooses how the body is cut
// into chunks (0: one chunk; n: pseudo-random chunks of 1..n bytes); the rest is the body. The
// decoder must give the same answer for every cut as for the whole body, and each item goes through
// the collectors' extractors as in the operator. The body is also read as an error response and
// as /version.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/extract.h"
#include "collectors/sampler.h"
#include "fuzz_check.h"
#include "kube/list_decoder.h"

namespace {

namespace collectors = kube9::collectors;
using kube9::kube::ListDecoder;

void ExtractAll(const rapidjson::Value& item) {
  (void)collectors::ExtractNode(item);
  (void)collectors::ExtractPod(item);
  (void)collectors::ExtractDeployment(item);
  (void)collectors::ExtractStatefulSet(item);
  (void)collectors::ExtractDaemonSet(item);
  (void)collectors::ExtractNamespaced(item);
  (void)collectors::ExtractService(item);
  (void)collectors::ExtractJob(item);
  (void)collectors::ExtractPvc(item);
  (void)collectors::ExtractNamespace(item);
  (void)collectors::DetectProvider(item);
}

struct Outcome {
  std::optional<std::string> error;
  std::string resource_version, continue_token;
  std::size_t items = 0;
  std::vector<std::string> uids;
  bool operator==(const Outcome&) const = default;
};

Outcome Decode(std::string_view body, std::uint8_t max_chunk, bool extract) {
  Outcome out;
  ListDecoder decoder([&](const rapidjson::Value& item) {
    out.uids.push_back(collectors::ObjectUid(item));
    if (extract) ExtractAll(item);
  });
  std::uint32_t state = max_chunk;
  std::size_t pos = 0;
  while (pos < body.size() && !out.error) {
    std::size_t n = body.size() - pos;
    if (max_chunk != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (state >> 16) % max_chunk);
    }
    if (auto r = decoder.Feed(body.substr(pos, n)); !r.ok()) out.error = r.error().message;
    pos += n;
  }
  if (!out.error) {
    if (auto r = decoder.Finish(); !r.ok()) out.error = r.error().message;
  }
  out.resource_version = decoder.resource_version();
  out.continue_token = decoder.continue_token();
  out.items = decoder.items();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t max_chunk = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = Decode(body, 0, false);
  const Outcome chunked = Decode(body, max_chunk, true);
  KUBE9_FUZZ_CHECK(whole == chunked);
  KUBE9_FUZZ_CHECK(whole.items == whole.uids.size());

  const auto error = kube9::kube::ErrorFromResponse(
      kube9::http::Response{500, {}, std::string(body)}, std::chrono::system_clock::time_point{});
  (void)error.ToString();
  (void)collectors::ParseGitVersion(body);
  return 0;
}
