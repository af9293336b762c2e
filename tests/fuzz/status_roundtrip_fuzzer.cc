// The status ConfigMap's JSON (the contract with the VS Code extension): a report built from
// fuzz-chosen fields is rendered, parsed back and compared field by field. The output is valid
// JSON and UTF-8 whatever bytes the fields hold (malformed ones become U+FFFD), at most 64 KiB,
// with an error of at most 500 bytes cut on a character boundary and at most 16 checks. Fields that come from outside the operator
// (the error, which quotes servers) may be long; the rest are as short as the operator makes them.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "base/text.h"
#include "base/time_format.h"
#include "fuzz_check.h"
#include "sinks/status/status_report.h"

namespace {

using kube9::fuzz::IsUtf8;
namespace sinks = kube9::sinks;

// 1970 to 2200: what the operator's clock can say.
kube9::base::WallTime Time(FuzzedDataProvider& in) {
  return kube9::base::WallTime(std::chrono::milliseconds(in.ConsumeIntegralInRange<std::int64_t>(0, 7258118400000)));
}

std::string Str(const rapidjson::Value& obj, const char* name) {
  const auto m = obj.FindMember(name);
  KUBE9_FUZZ_CHECK(m != obj.MemberEnd() && m->value.IsString());
  return std::string(m->value.GetString(), m->value.GetStringLength());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  sinks::StatusReport r;
  r.mode = in.ConsumeRandomLengthString(16);
  r.tier = in.ConsumeRandomLengthString(16);
  r.version = in.ConsumeRandomLengthString(64);
  r.health = in.ConsumeRandomLengthString(16);
  r.last_update = Time(in);
  r.registered = in.ConsumeBool();
  r.api_key_configured = in.ConsumeBool();
  if (in.ConsumeBool()) {
    // A server's message may be long: repeat a piece to reach past any limit.
    const std::string piece = in.ConsumeRandomLengthString(600);
    const int times = in.ConsumeIntegralInRange(1, 200);
    r.error.emplace();
    for (int i = 0; i < times; ++i) *r.error += piece;
  }
  r.ns = in.ConsumeRandomLengthString(63);
  r.stats.total_success = in.ConsumeIntegral<std::uint64_t>();
  r.stats.total_failure = in.ConsumeIntegral<std::uint64_t>();
  r.stats.stored = in.ConsumeIntegral<std::uint64_t>();
  if (in.ConsumeBool()) r.stats.last_success = Time(in);
  // As long as registration lets it be (kMaxClusterId).
  if (in.ConsumeBool()) r.cluster_id = in.ConsumeRandomLengthString(256);
  if (in.ConsumeBool()) {
    r.cluster_health.emplace();
    r.cluster_health->score = in.ConsumeIntegralInRange(0, 100);
    const int checks = in.ConsumeIntegralInRange(0, 40);
    for (int i = 0; i < checks; ++i) {
      r.cluster_health->checks.push_back(
          {in.ConsumeRandomLengthString(64), in.ConsumeRandomLengthString(16), in.ConsumeIntegral<std::int64_t>()});
    }
  }

  const std::string json = sinks::RenderStatusJson(r);
  KUBE9_FUZZ_CHECK(json.size() <= 64 * 1024);

  KUBE9_FUZZ_CHECK(IsUtf8(json));
  // What is text already comes back as it was; the rest as its sanitized form.
  const auto same = [](const std::string& out, const std::string& in) {
    return out == kube9::base::SanitizeUtf8(in);
  };

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(json.data(), json.size());
  KUBE9_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  KUBE9_FUZZ_CHECK(same(Str(doc, "mode"), r.mode));
  KUBE9_FUZZ_CHECK(same(Str(doc, "tier"), r.tier));
  KUBE9_FUZZ_CHECK(same(Str(doc, "version"), r.version));
  KUBE9_FUZZ_CHECK(same(Str(doc, "health"), r.health));
  KUBE9_FUZZ_CHECK(kube9::base::ParseRfc3339(Str(doc, "lastUpdate")) == r.last_update);
  KUBE9_FUZZ_CHECK(doc["registered"].IsBool() && doc["registered"].GetBool() == r.registered);
  KUBE9_FUZZ_CHECK(doc["apiKeyConfigured"].IsBool() && doc["apiKeyConfigured"].GetBool() == r.api_key_configured);
  if (r.error) {
    const std::string error = Str(doc, "error");
    const std::string text = kube9::base::SanitizeUtf8(*r.error);
    KUBE9_FUZZ_CHECK(error.size() <= 500);
    KUBE9_FUZZ_CHECK(text.compare(0, error.size(), error) == 0);
    if (text.size() <= 500) KUBE9_FUZZ_CHECK(error == text);
    if (text.size() > 500) KUBE9_FUZZ_CHECK(error.size() >= 497);
  } else {
    KUBE9_FUZZ_CHECK(doc["error"].IsNull());
  }
  KUBE9_FUZZ_CHECK(same(Str(doc, "namespace"), r.ns));
  const rapidjson::Value& stats = doc["collectionStats"];
  KUBE9_FUZZ_CHECK(stats["totalSuccessCount"].IsUint64() && stats["totalSuccessCount"].GetUint64() == r.stats.total_success);
  KUBE9_FUZZ_CHECK(stats["totalFailureCount"].IsUint64() && stats["totalFailureCount"].GetUint64() == r.stats.total_failure);
  KUBE9_FUZZ_CHECK(stats["collectionsStoredCount"].IsUint64() && stats["collectionsStoredCount"].GetUint64() == r.stats.stored);
  if (r.stats.last_success) {
    KUBE9_FUZZ_CHECK(kube9::base::ParseRfc3339(Str(stats, "lastSuccessTime")) == r.stats.last_success);
  } else {
    KUBE9_FUZZ_CHECK(stats["lastSuccessTime"].IsNull());
  }
  KUBE9_FUZZ_CHECK(doc.HasMember("clusterId") == r.cluster_id.has_value());
  if (r.cluster_id) KUBE9_FUZZ_CHECK(same(Str(doc, "clusterId"), *r.cluster_id));
  KUBE9_FUZZ_CHECK(doc.HasMember("clusterHealth") == r.cluster_health.has_value());
  if (r.cluster_health) {
    const rapidjson::Value& health = doc["clusterHealth"];
    KUBE9_FUZZ_CHECK(health["score"].IsInt() && health["score"].GetInt() == r.cluster_health->score);
    const rapidjson::Value& checks = health["checks"];
    KUBE9_FUZZ_CHECK(checks.IsArray());
    KUBE9_FUZZ_CHECK(checks.Size() == std::min<std::size_t>(r.cluster_health->checks.size(), 16));
    for (rapidjson::SizeType i = 0; i < checks.Size(); ++i) {
      const auto& want = r.cluster_health->checks[i];
      KUBE9_FUZZ_CHECK(same(Str(checks[i], "check"), want.check));
      KUBE9_FUZZ_CHECK(same(Str(checks[i], "severity"), want.severity));
      KUBE9_FUZZ_CHECK(checks[i]["affected"].IsInt64() && checks[i]["affected"].GetInt64() == want.affected);
    }
  }
  return 0;
}
