#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <rapidjson/document.h>

#include "base/expected.h"

namespace kube9::base {

// What one JSON text from outside may be: every reply of kube9-server, the API server (and
// Argo CD) is parsed within limits chosen where it is read, so that a bad server costs a
// counted error, never a crash. Nesting is the dangerous one: a recursive parser (or any
// recursive walk of the document) turns 1,000,000 `[` into a stack overflow.
struct JsonLimits {
  std::size_t max_bytes;
  int max_depth;  // arrays and objects inside each other; a scalar alone is depth 0
};

// The deepest nesting of arrays and objects in `json` (strings and escapes skipped), or
// max_depth + 1 as soon as it goes beyond: one linear pass, no recursion, stops early.
int JsonDepth(std::string_view json, int max_depth);

// Parses `json` into `doc` within `limits`. The size and the nesting are checked before
// RapidJSON sees the text, and RapidJSON parses iteratively (its own stack on the heap), so
// no input can exhaust the thread's stack. The error completes a sentence about the input:
// "is larger than 1 MiB (1048577 bytes)", "nests deeper than 64 levels",
// "is not valid JSON (Invalid value. at offset 0)".
Expected<Ok, std::string> ParseJson(rapidjson::Document& doc, std::string_view json, const JsonLimits& limits);

// Checks that `json` is exactly one JSON object within `limits` (UTF-8, nothing after it but
// whitespace) without building a document: for a reply passed on as it came, whose DOM would
// cost several times its size. The error completes a sentence as ParseJson's does.
Expected<Ok, std::string> ValidateJsonObject(std::string_view json, const JsonLimits& limits);

// One JSON object on one line, ending in a newline, from string and bool fields in the order
// given: what a command writes on stderr when it fails (`query events list`, `query argocd`).
// Strings are made well-formed UTF-8 first.
using JsonLineField = std::pair<std::string_view, std::variant<bool, std::string_view>>;
std::string JsonLine(std::initializer_list<JsonLineField> fields);

}  // namespace kube9::base
