#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

// What the events history keeps of one Kubernetes Event (docs/PRODUCT.md §9): the fields the
// extension's Events viewer shows, nothing else.
namespace kube9::sinks::events {

enum class Severity : std::uint8_t { kCritical, kError, kWarning, kInfo };
inline constexpr std::array<std::string_view, 4> kSeverityNames = {"critical", "error", "warning", "info"};
std::string_view SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view name);

// Severity by §9: by reason first (an OOM is critical whatever its type), then any other
// Warning is a warning, everything else info.
Severity SeverityOf(std::string_view type, std::string_view reason);

// The Normal reasons worth keeping (every Warning is kept), documented in docs/events.md:
// what took a node or a pod away. `Killing` is kept only when its message names an OOM (a
// plain Killing is every pod deletion).
inline constexpr std::array<std::string_view, 11> kSignificantNormalReasons = {
    "NodeNotReady", "NodeNotSchedulable", "RemovingNode", "DeletingNode", "Rebooted",  "Evicted",
    "Preempted",    "TaintManagerEviction", "SystemOOM",  "OOMKilling",   "OOMKilled"};
// True for every Warning and for Normal events with a significant reason.
bool IsRecorded(std::string_view type, std::string_view reason, std::string_view message);

inline constexpr std::size_t kMaxMessageBytes = 1024;

struct EventRecord {
  std::string uid;
  std::string type;    // Normal | Warning (as Kubernetes spells it)
  std::string reason;
  std::optional<std::string> message;  // at most kMaxMessageBytes, cut on a UTF-8 boundary
  std::string object_kind, object_namespace, object_name;
  std::int64_t count = 1;         // occurrences: max of count and series.count
  std::int64_t first_ms = 0;      // Unix milliseconds of the first occurrence
  std::int64_t last_ms = 0;       // Unix milliseconds of the last occurrence
  std::string source;             // source.component, else reportingController/reportingComponent
  Severity severity = Severity::kInfo;
};

// Reads a core/v1 Event (as listed or watched at /api/v1/events; events.k8s.io/v1 field names
// are accepted too). nullopt when it has no UID or no time at all.
std::optional<EventRecord> ExtractEvent(const rapidjson::Value& event);

}  // namespace kube9::sinks::events
