#pragma once

#include <array>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "sinks/events/event_db.h"

// `kube9-operator query events list` (docs/PRODUCT.md §9): its flags and its output, the
// contract with the VS Code extension's Events viewer. The command itself (cmd/) only wires
// these to the process.
namespace kube9::sinks::events {

enum class OutputFormat { kJson, kYaml, kTable };

// The event_type values the extension filters by; this history holds "cluster" events only.
inline constexpr std::array<std::string_view, 6> kEventTypes = {"cluster",    "operator", "insight",
                                                                "assessment", "workload", "system"};

inline constexpr const char* kDefaultDataPath = "/var/lib/kube9-operator";
// Set by the chart on the container, so that a command run by `kubectl exec` (which gets the
// container's environment, not its arguments) finds the store the operator writes.
inline constexpr const char* kDataPathEnv = "KUBE9_DATA_PATH";

struct ListRequest {
  EventFilter filter;
  OutputFormat format = OutputFormat::kJson;
  std::string store_path;  // <data path>/events.db
  std::string log_level;   // "" unless --log.level was given
  bool help = false;
};

// Parses the flags after `query events list`. `tty` decides the default format; `now` anchors
// relative times (--since=24h). The error lists every problem, for {"error","details"}.
base::Expected<ListRequest, std::string> ParseListFlags(const std::vector<std::string>& args,
                                                        const std::string& env_data_path, bool tty,
                                                        base::WallTime now);

// --since/--until: RFC 3339 with Z or an offset (2026-12-04T06:00:00.000Z), or a duration
// before `now` (30m, 24h, 7d).
std::optional<base::WallTime> ParseTimeBound(std::string_view text, base::WallTime now);

std::string RenderJson(const QueryResult& result, const EventFilter& filter);
std::string RenderYaml(const QueryResult& result, const EventFilter& filter);
std::string RenderTable(const QueryResult& result, const EventFilter& filter);

// One-line {"error","details"}, what the command writes on stderr when it fails.
std::string RenderError(std::string_view error, std::string_view details);

std::string ListUsage();

}  // namespace kube9::sinks::events
