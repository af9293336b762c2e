// kube9-server's replies: error bodies (registration and uploads), the registration's 200 body
// and Retry-After. The input is three lines, the API key, the Retry-After value and the body
// (to its end). The API key never shows through the error fields, which are UTF-8 whatever the
// body holds; a summary stays short, and the configuration is always within its sane ranges.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sinks/registration/registrar.h"
#include "sinks/server_api/server_api.h"

namespace {

namespace server_api = kube9::sinks::server_api;
namespace registration = kube9::sinks::registration;

std::string_view NextLine(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

// Keys for which finding them in a field proves nothing: short or all-digit ones (a numeric
// "code" is written as a number, not redacted, and real keys are long), and ones that overlap
// the "<redacted>" marker.
bool MayLeak(std::string_view key) {
  return key.size() < 8 || key.find_first_not_of("0123456789") == std::string_view::npos ||
         key.find_first_of("<>") != std::string_view::npos ||
         std::string_view("redacted").find(key) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string api_key(NextLine(in));
  const std::string retry_after(NextLine(in));
  const std::string body(in);

  const auto error = server_api::ParseErrorBody(body, api_key);
  if (error) {
    for (const std::string* field : {&error->error, &error->code, &error->message}) {
      KUBE9_FUZZ_CHECK(kube9::fuzz::IsUtf8(*field));
      if (!MayLeak(api_key)) KUBE9_FUZZ_CHECK(field->find(api_key) == std::string::npos);
    }
  }
  const std::string summary = server_api::Summary(error);
  KUBE9_FUZZ_CHECK(summary.size() <= 203);
  KUBE9_FUZZ_CHECK(kube9::fuzz::IsUtf8(summary));

  if (const auto reply = registration::ParseRegistrationReply(body, 24)) {
    KUBE9_FUZZ_CHECK(!reply->cluster_id.empty() && reply->cluster_id.size() <= registration::kMaxClusterId);
    const auto& c = reply->configuration;
    KUBE9_FUZZ_CHECK(!c.status_update_interval_seconds ||
                     (*c.status_update_interval_seconds >= 5 && *c.status_update_interval_seconds <= 240));
    KUBE9_FUZZ_CHECK(c.reregistration_interval_hours >= 1 && c.reregistration_interval_hours <= 720);
    KUBE9_FUZZ_CHECK(c.metrics_interval_seconds >= 1 && c.metrics_interval_seconds <= 3600);
  }

  kube9::http::Response response;
  response.status = 429;
  response.headers.Add("Retry-After", retry_after);
  response.body = body;
  const kube9::base::WallTime now{std::chrono::milliseconds(1795774800123)};
  if (const auto wait = server_api::RetryAfter(response, now)) {
    KUBE9_FUZZ_CHECK(wait->count() >= 0 && *wait <= server_api::kMaxRetryAfter);
  }
  return 0;
}
