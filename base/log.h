#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "base/clock.h"

// Structured logs: one JSON object (or logfmt line) per line on stdout, with level, time,
// message and typed fields. Secrets (API key, tokens) must never be passed as fields.
namespace kube9::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kJson, kLogfmt };

std::optional<Level> ParseLevel(std::string_view name);
std::optional<Format> ParseFormat(std::string_view name);
std::string_view LevelName(Level level);

// One key/value of a log line. Accepts strings, integers, floating point and booleans.
class Field {
 public:
  using Value = std::variant<std::string, std::int64_t, double, bool>;

  Field(std::string_view key, std::string_view v) : key_(key), value_(std::string(v)) {}
  Field(std::string_view key, const std::string& v) : key_(key), value_(v) {}
  Field(std::string_view key, const char* v) : key_(key), value_(std::string(v)) {}
  Field(std::string_view key, bool v) : key_(key), value_(v) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Field(std::string_view key, T v) : key_(key), value_(static_cast<std::int64_t>(v)) {}
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Field(std::string_view key, T v) : key_(key), value_(static_cast<double>(v)) {}

  std::string_view key() const { return key_; }
  const Value& value() const { return value_; }

 private:
  std::string_view key_;
  Value value_;
};

using Fields = std::initializer_list<Field>;

// Renders one line, without the trailing newline. Pure: used by the logger and by tests.
std::string FormatLine(Format format, Level level, base::WallTime time, std::string_view message,
                       Fields fields);

// Sets the process-wide level and format (default: info, JSON).
void Configure(Level level, Format format);
// `text` with every occurrence of `secret` replaced by "<redacted>" (for text that came from a
// server and might echo a credential back).
std::string Redact(std::string text, std::string_view secret);

// Log lines go to stderr instead of stdout (commands whose stdout is their output).
void LogToStderr();
bool Enabled(Level level);
void Write(Level level, std::string_view message, Fields fields = {});

inline void Debug(std::string_view m, Fields f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, Fields f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, Fields f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, Fields f = {}) { Write(Level::kError, m, f); }

}  // namespace kube9::log
