#include "sinks/events/event_record.h"

#include <algorithm>

#include "base/text.h"
#include "base/time_format.h"

namespace kube9::sinks::events {
namespace {

std::string_view Str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

const rapidjson::Value* Obj(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

std::int64_t Int(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return 0;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return 0;
  return it->value.GetInt64();
}

// Unix milliseconds of an RFC 3339 field, 0 when absent or malformed.
std::int64_t Millis(std::string_view text) {
  if (text.empty()) return 0;
  auto t = base::ParseRfc3339(text);
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

bool ContainsOom(std::string_view text) {
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    if ((text[i] == 'O' || text[i] == 'o') && (text[i + 1] == 'O' || text[i + 1] == 'o') &&
        (text[i + 2] == 'M' || text[i + 2] == 'm')) {
      return true;
    }
  }
  return false;
}

template <std::size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

std::string_view SeverityName(Severity s) { return kSeverityNames[static_cast<std::size_t>(s)]; }

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  }
  return {};
}

Severity SeverityOf(std::string_view type, std::string_view reason) {
  static constexpr std::array<std::string_view, 5> kCritical = {"OOMKilled", "OOMKilling", "SystemOOM", "NodeNotReady",
                                                                "FailedKillPod"};
  static constexpr std::array<std::string_view, 9> kError = {
      "Failed",       "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",      "FailedScheduling",
      "FailedBinding", "FailedCreate",    "FailedMount",      "FailedAttachVolume"};
  static constexpr std::array<std::string_view, 3> kWarning = {"BackOff", "Unhealthy", "Evicted"};
  if (In(kCritical, reason)) return Severity::kCritical;
  if (In(kError, reason)) return Severity::kError;
  if (type == "Warning" || In(kWarning, reason)) return Severity::kWarning;
  return Severity::kInfo;
}

bool IsRecorded(std::string_view type, std::string_view reason, std::string_view message) {
  if (type == "Warning") return true;
  if (In(kSignificantNormalReasons, reason)) return true;
  return reason == "Killing" && ContainsOom(message);
}

std::optional<EventRecord> ExtractEvent(const rapidjson::Value& event) {
  const rapidjson::Value* meta = Obj(event, "metadata");
  if (!meta) return {};
  EventRecord r;
  r.uid = std::string(Str(*meta, "uid"));
  if (r.uid.empty()) return {};
  r.type = std::string(Str(event, "type"));
  if (r.type.empty()) r.type = "Normal";  // the API server's default
  r.reason = std::string(Str(event, "reason"));
  std::string_view message = Str(event, "message");
  if (message.empty()) message = Str(event, "note");  // events.k8s.io/v1
  if (!message.empty()) r.message = base::TruncateUtf8(std::string(message), kMaxMessageBytes);
  const rapidjson::Value* involved = Obj(event, "involvedObject");
  if (!involved) involved = Obj(event, "regarding");  // events.k8s.io/v1
  if (involved) {
    r.object_kind = std::string(Str(*involved, "kind"));
    r.object_namespace = std::string(Str(*involved, "namespace"));
    r.object_name = std::string(Str(*involved, "name"));
  }
  if (const rapidjson::Value* source = Obj(event, "source")) r.source = std::string(Str(*source, "component"));
  if (r.source.empty()) r.source = std::string(Str(event, "reportingComponent"));
  if (r.source.empty()) r.source = std::string(Str(event, "reportingController"));

  std::int64_t series_count = 0, series_last = 0;
  if (const rapidjson::Value* series = Obj(event, "series")) {
    series_count = Int(*series, "count");
    series_last = Millis(Str(*series, "lastObservedTime"));
  }
  r.count = std::max<std::int64_t>({Int(event, "count"), Int(event, "deprecatedCount"), series_count, 1});

  const std::int64_t first = Millis(Str(event, "firstTimestamp"));
  const std::int64_t last = Millis(Str(event, "lastTimestamp"));
  const std::int64_t event_time = Millis(Str(event, "eventTime"));
  const std::int64_t created = Millis(Str(*meta, "creationTimestamp"));
  r.first_ms = first ? first : (event_time ? event_time : created);
  r.last_ms = std::max({last, series_last, event_time, r.first_ms});
  if (r.last_ms == 0) return {};
  if (r.first_ms == 0 || r.first_ms > r.last_ms) r.first_ms = r.last_ms;
  r.severity = SeverityOf(r.type, r.reason);
  return r;
}

}  // namespace kube9::sinks::events
