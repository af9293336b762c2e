#include "base/log.h"

#include <atomic>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/time_format.h"

namespace kube9::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kJson};
std::atomic<bool> g_stderr{false};

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  auto l = std::make_shared<spdlog::logger>("kube9", std::move(sink));
  l->set_pattern("%v");
  l->set_level(spdlog::level::trace);
  l->flush_on(spdlog::level::trace);
  return l;
}

spdlog::logger& Logger() {
  // spdlog provides the thread-safe, flushing sinks; lines are formatted here.
  static std::shared_ptr<spdlog::logger> out = MakeLogger(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  static std::shared_ptr<spdlog::logger> err = MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return g_stderr.load() ? *err : *out;
}

void AppendLogfmtValue(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '=' || c == '"' || static_cast<unsigned char>(c) < 0x20) quote = true;
  }
  if (!quote) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string FormatJson(Level level, base::WallTime time, std::string_view message, Fields fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto key = [&w](std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); };
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  key("time");
  str(base::FormatRfc3339Millis(time));
  key("level");
  str(LevelName(level));
  key("msg");
  str(message);
  for (const Field& f : fields) {
    key(f.key());
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) str(v);
          else if constexpr (std::is_same_v<T, std::int64_t>) w.Int64(v);
          else if constexpr (std::is_same_v<T, bool>) w.Bool(v);
          else if (std::isfinite(v)) w.Double(v);
          else w.Null();
        },
        f.value());
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string FormatLogfmt(Level level, base::WallTime time, std::string_view message, Fields fields) {
  std::string out = "time=" + base::FormatRfc3339Millis(time) + " level=";
  out.append(LevelName(level));
  out += " msg=";
  AppendLogfmtValue(out, message);
  for (const Field& f : fields) {
    out.push_back(' ');
    out.append(f.key());
    out.push_back('=');
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) AppendLogfmtValue(out, v);
          else if constexpr (std::is_same_v<T, bool>) out += v ? "true" : "false";
          else out += fmt::format("{}", v);
        },
        f.value());
  }
  return out;
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  return {};
}

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "logfmt") return Format::kLogfmt;
  return {};
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string FormatLine(Format format, Level level, base::WallTime time, std::string_view message,
                       Fields fields) {
  return format == Format::kJson ? FormatJson(level, time, message, fields)
                                 : FormatLogfmt(level, time, message, fields);
}

void Configure(Level level, Format format) {
  g_level.store(level);
  g_format.store(format);
}

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t at = 0; (at = text.find(secret, at)) != std::string::npos;) {
    text.replace(at, secret.size(), "<redacted>");
    at += 10;
  }
  return text;
}

void LogToStderr() { g_stderr.store(true); }

bool Enabled(Level level) { return level >= g_level.load(); }

void Write(Level level, std::string_view message, Fields fields) {
  if (!Enabled(level)) return;
  const std::string line =
      FormatLine(g_format.load(), level, std::chrono::system_clock::now(), message, fields);
  Logger().log(spdlog::level::info, "{}", line);
}

}  // namespace kube9::log
