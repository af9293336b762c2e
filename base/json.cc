#include "base/json.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>

#include "base/bytes.h"

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
      case '"':
        in_string = true;
        break;
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
      default:
        break;
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
    return Unexpected(fmt::format("is not valid JSON ({} at offset {})", rapidjson::GetParseError_En(doc.GetParseError()),
                                  doc.GetErrorOffset()));
  }
  return Ok{};
}

}  // namespace kube9::base
