#include "sinks/events/query.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include "base/json.h"
#include "base/text.h"
#include "base/time_format.h"
#include "config/config.h"
#include "sinks/events/event_history.h"

namespace kube9::sinks::events {
namespace {

constexpr int kMaxLimit = 1000;

std::optional<long long> ParseInteger(const std::string& text) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return {};
  return v;
}

std::int64_t UnixMs(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string Timestamp(std::int64_t ms) {
  return base::FormatRfc3339Millis(base::WallTime(std::chrono::milliseconds(ms)));
}

std::string Title(const EventRecord& r) {
  return fmt::format("{} {}: {}", r.object_kind.empty() ? "Object" : r.object_kind, r.reason, r.object_name);
}

}  // namespace

std::optional<base::WallTime> ParseTimeBound(std::string_view text, base::WallTime now) {
  if (text.empty()) return {};
  if (text.size() >= 20 && text[4] == '-') return base::ParseRfc3339(text);
  // A duration before now. Days are what the extension's ranges use (7d, 30d); a bare number
  // is refused, since it would be ambiguous.
  if (text.find_first_not_of("0123456789") == std::string_view::npos) return {};
  if (text.back() == 'd') {
    long long days = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, days);
    if (ec != std::errc() || ptr != text.data() + text.size() - 1 || days < 0 || days > 100 * 365) return {};
    return now - std::chrono::hours(24 * days);
  }
  auto d = base::ParseDuration(text);
  if (!d || *d > std::chrono::hours(24 * 365 * 100)) return {};
  return now - *d;
}

base::Expected<ListRequest, std::string> ParseListFlags(const std::vector<std::string>& args,
                                                        const std::string& env_data_path, bool tty,
                                                        base::WallTime now) {
  static const std::vector<std::string> kValued = {
      "--type",        "--severity", "--since",  "--until",  "--object-kind", "--object-namespace",
      "--object-name", "--limit",    "--offset", "--format", "--data.path",   "--log.level"};
  ListRequest req;
  req.format = tty ? OutputFormat::kTable : OutputFormat::kJson;
  std::string data_path = env_data_path.empty() ? kDefaultDataPath : env_data_path;
  config::ParsedArgs parsed = config::SplitArgs(args, kValued);
  req.help = parsed.help;
  std::vector<std::string> problems = std::move(parsed.problems);
  for (const std::string& p : parsed.positional) problems.push_back(fmt::format("unexpected argument '{}'", p));
  std::optional<base::WallTime> since, until;
  for (const auto& [name, value] : parsed.options) {
    auto bad = [&](std::string_view why) { problems.push_back(fmt::format("flag {}={}: {}", name, value, why)); };
    if (name == "--type") {
      auto types = base::SplitList(value);
      if (types.empty()) bad("must name at least one event type");
      bool cluster = false;
      for (const auto& t : types) {
        if (std::find(kEventTypes.begin(), kEventTypes.end(), t) == kEventTypes.end()) {
          bad(fmt::format("unknown event type '{}' (one of {})", t, fmt::join(kEventTypes, ", ")));
        }
        cluster = cluster || t == "cluster";
      }
      req.filter.match_nothing = !cluster;
    } else if (name == "--severity") {
      auto names = base::SplitList(value);
      if (names.empty()) bad("must name at least one severity");
      req.filter.severities.clear();
      for (const auto& n : names) {
        auto s = ParseSeverity(n);
        if (!s)
          bad(fmt::format("unknown severity '{}' (one of {})", n, fmt::join(kSeverityNames, ", ")));
        else if (std::find(req.filter.severities.begin(), req.filter.severities.end(), *s) ==
                 req.filter.severities.end())
          req.filter.severities.push_back(*s);
      }
    } else if (name == "--since" || name == "--until") {
      auto t = ParseTimeBound(value, now);
      if (!t)
        bad("must be an RFC 3339 time such as 2026-12-04T06:00:00.000Z, or a duration before now such as 24h or 7d");
      else
        (name == "--since" ? since : until) = t;
    } else if (name == "--object-kind" || name == "--object-namespace" || name == "--object-name") {
      if (value.empty())
        bad("must not be empty");
      else if (name == "--object-kind")
        req.filter.object_kind = value;
      else if (name == "--object-namespace")
        req.filter.object_namespace = value;
      else
        req.filter.object_name = value;
    } else if (name == "--limit") {
      auto n = ParseInteger(value);
      if (!n || *n < 1 || *n > kMaxLimit)
        bad(fmt::format("must be a whole number from 1 to {}", kMaxLimit));
      else
        req.filter.limit = static_cast<int>(*n);
    } else if (name == "--offset") {
      auto n = ParseInteger(value);
      if (!n || *n < 0)
        bad("must be a whole number, 0 or more");
      else
        req.filter.offset = *n;
    } else if (name == "--format") {
      if (value == "json")
        req.format = OutputFormat::kJson;
      else if (value == "yaml")
        req.format = OutputFormat::kYaml;
      else if (value == "table")
        req.format = OutputFormat::kTable;
      else
        bad("must be json, yaml or table");
    } else if (name == "--data.path") {
      if (value.empty())
        bad("must not be empty");
      else
        data_path = value;
    } else if (name == "--log.level") {
      if (!log::ParseLevel(value))
        bad("must be one of debug, info, warn, error");
      else
        req.log_level = value;
    }
  }
  if (since && until && *since > *until) problems.push_back("--since is after --until");
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return base::Unexpected(all);
  }
  if (since) req.filter.since_ms = UnixMs(*since);
  if (until) req.filter.until_ms = UnixMs(*until);
  while (data_path.size() > 1 && data_path.back() == '/') data_path.pop_back();
  req.store_path = data_path + "/" + kStoreFileName;
  return req;
}

std::string RenderJson(const QueryResult& result, const EventFilter& filter) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  auto str = [&](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto str_or_null = [&](std::string_view s) {
    if (s.empty())
      w.Null();
    else
      str(s);
  };
  w.StartObject();
  str("events");
  w.StartArray();
  for (const EventRecord& r : result.rows) {
    w.StartObject();
    str("id");
    str(r.uid);
    str("event_type");
    str("cluster");
    str("severity");
    str(SeverityName(r.severity));
    str("title");
    str(Title(r));
    str("description");
    if (r.message)
      str(*r.message);
    else
      w.Null();
    str("object_kind");
    str_or_null(r.object_kind);
    str("object_namespace");
    str_or_null(r.object_namespace);  // null for cluster-scoped objects
    str("object_name");
    str_or_null(r.object_name);
    str("metadata");
    w.StartObject();
    str("reason");
    str(r.reason);
    str("count");
    w.Int64(r.count);
    str("first_timestamp");
    str(Timestamp(r.first_ms));
    str("last_timestamp");
    str(Timestamp(r.last_ms));
    str("source");
    str_or_null(r.source);
    w.EndObject();
    str("created_at");
    str(Timestamp(r.last_ms));
    w.EndObject();
  }
  w.EndArray();
  str("pagination");
  w.StartObject();
  str("total");
  w.Int64(result.total);
  str("limit");
  w.Int(filter.limit);
  str("offset");
  w.Int64(filter.offset);
  str("returned");
  w.Uint64(result.rows.size());
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

std::string RenderYaml(const QueryResult& result, const EventFilter& filter) {
  YAML::Emitter out;
  auto str_or_null = [&](const std::string& s) -> YAML::Emitter& {
    if (s.empty()) return out << YAML::Null;
    return out << YAML::DoubleQuoted << s;
  };
  out << YAML::BeginMap << YAML::Key << "events" << YAML::Value << YAML::BeginSeq;
  for (const EventRecord& r : result.rows) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << r.uid;
    out << YAML::Key << "event_type" << YAML::Value << "cluster";
    out << YAML::Key << "severity" << YAML::Value << std::string(SeverityName(r.severity));
    out << YAML::Key << "title" << YAML::Value << YAML::DoubleQuoted << Title(r);
    out << YAML::Key << "description" << YAML::Value;
    if (r.message)
      out << YAML::DoubleQuoted << *r.message;
    else
      out << YAML::Null;
    out << YAML::Key << "object_kind" << YAML::Value;
    str_or_null(r.object_kind);
    out << YAML::Key << "object_namespace" << YAML::Value;
    str_or_null(r.object_namespace);
    out << YAML::Key << "object_name" << YAML::Value;
    str_or_null(r.object_name);
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "reason" << YAML::Value << YAML::DoubleQuoted << r.reason;
    out << YAML::Key << "count" << YAML::Value << r.count;
    out << YAML::Key << "first_timestamp" << YAML::Value << YAML::DoubleQuoted << Timestamp(r.first_ms);
    out << YAML::Key << "last_timestamp" << YAML::Value << YAML::DoubleQuoted << Timestamp(r.last_ms);
    out << YAML::Key << "source" << YAML::Value;
    str_or_null(r.source);
    out << YAML::EndMap;
    out << YAML::Key << "created_at" << YAML::Value << YAML::DoubleQuoted << Timestamp(r.last_ms);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "pagination" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "total" << YAML::Value << result.total;
  out << YAML::Key << "limit" << YAML::Value << filter.limit;
  out << YAML::Key << "offset" << YAML::Value << filter.offset;
  out << YAML::Key << "returned" << YAML::Value << result.rows.size();
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string RenderTable(const QueryResult& result, const EventFilter& filter) {
  // Messages on one line, cut to keep rows readable; the JSON has the whole text.
  auto cell = [](std::string s, std::size_t max) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    if (s.size() > max) s = base::TruncateUtf8(std::move(s), max - 3) + "...";
    return s;
  };
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"LAST SEEN", "SEVERITY", "COUNT", "OBJECT", "REASON", "MESSAGE"});
  for (const EventRecord& r : result.rows) {
    std::string object =
        r.object_kind + "/" + (r.object_namespace.empty() ? "" : r.object_namespace + "/") + r.object_name;
    rows.push_back({Timestamp(r.last_ms), std::string(SeverityName(r.severity)), std::to_string(r.count),
                    cell(object, 60), r.reason, cell(r.message.value_or(""), 80)});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  out += fmt::format("{} of {} events (offset {}, limit {})\n", result.rows.size(), result.total, filter.offset,
                     filter.limit);
  return out;
}

std::string RenderError(std::string_view error, std::string_view details) {
  return base::JsonLine({{"error", error}, {"details", details}});
}

std::string ListUsage() {
  return fmt::format(
      "Usage: kube9-operator query events list [flags]\n\n"
      "Lists the events history the operator records (every Warning event and the significant Normal\n"
      "ones), newest first by last occurrence. Reads the store while the operator writes it. Output:\n"
      "{{\"events\": [...], \"pagination\": {{\"total\", \"limit\", \"offset\", \"returned\"}}}}. Exit 0 on success\n"
      "(an empty history is an empty list), 2 for invalid flags, 1 when the store cannot be read; on\n"
      "failure one JSON object {{\"error\", \"details\"}} on stderr.\n\nFlags:\n"
      "  --type list              Event types, comma-separated: {}.\n"
      "  --severity list          Severities, comma-separated: critical, error, warning, info.\n"
      "  --since time             Last occurrence at or after: RFC 3339 (2026-12-04T06:00:00.000Z or\n"
      "                           with an offset) or a duration before now (30m, 24h, 7d).\n"
      "  --until time             Last occurrence at or before; same forms as --since.\n"
      "  --object-kind kind       Involved object's kind, e.g. Pod.\n"
      "  --object-namespace ns    Involved object's namespace.\n"
      "  --object-name name       Involved object's name.\n"
      "  --limit n                Events per page, 1 to {} (default 50).\n"
      "  --offset n               Events to skip (default 0).\n"
      "  --format f               json, yaml or table (default: table on a terminal, else json).\n"
      "  --data.path dir          The operator's data directory (default: ${}, else {}).\n"
      "  --log.level level        Logs (on stderr only): debug, info, warn, error.\n"
      "  -h, --help               Show this help.\n",
      fmt::join(kEventTypes, ", "), kMaxLimit, kDataPathEnv, kDefaultDataPath);
}

}  // namespace kube9::sinks::events
