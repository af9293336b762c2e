#include "base/json.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/bytes.h"
#include "base/text.h"

namespace kube9::base {

int JsonDepth(std::string_view json, int max_depth) {
  int depth = 0, deepest = 0;
  bool in_string = false, escape = false;
  for (const char c : json) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > max_depth) return deepest;
        }
        break;
      case ']':
      case '}':
        --depth;  // unbalanced text is the parser's to report
        break;
      default: break;
    }
  }
  return deepest;
}

Expected<Ok, std::string> ParseJson(rapidjson::Document& doc, std::string_view json, const JsonLimits& limits) {
  if (json.size() > limits.max_bytes) {
    return Unexpected(fmt::format("is larger than {} ({} bytes)", FormatBytes(limits.max_bytes), json.size()));
  }
  if (JsonDepth(json, limits.max_depth) > limits.max_depth) {
    return Unexpected(fmt::format("nests deeper than {} levels", limits.max_depth));
  }
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return Unexpected(fmt::format("is not valid JSON ({} at offset {})",
                                  rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset()));
  }
  return Ok{};
}

Expected<Ok, std::string> ValidateJsonObject(std::string_view json, const JsonLimits& limits) {
  if (json.size() > limits.max_bytes) {
    return Unexpected(fmt::format("is larger than {} ({} bytes)", FormatBytes(limits.max_bytes), json.size()));
  }
  if (JsonDepth(json, limits.max_depth) > limits.max_depth) {
    return Unexpected(fmt::format("nests deeper than {} levels", limits.max_depth));
  }
  const auto first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{') return Unexpected(std::string("is not a JSON object"));
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> ignore;  // accepts every value: only the syntax is checked
  const auto result =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream, ignore);
  if (result.IsError()) {
    return Unexpected(fmt::format("is not valid JSON ({} at offset {})", rapidjson::GetParseError_En(result.Code()),
                                  result.Offset()));
  }
  return Ok{};
}

std::string JsonLine(std::initializer_list<JsonLineField> fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [name, value] : fields) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    if (const bool* b = std::get_if<bool>(&value)) {
      w.Bool(*b);
    } else {
      const std::string text = SanitizeUtf8(std::get<std::string_view>(value));
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace kube9::base
