#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "collectors/objects.h"
#include "collectors/quantity.h"

// Reading fields of API objects for extraction: every accessor tolerates a missing member or
// a member of the wrong type (the API server's input is outside input) and returns an empty
// value instead. Shared by every collector's Extract function.
namespace kube9::collectors::json {

using Value = rapidjson::Value;

inline const Value* Member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto m = v.FindMember(name);
  return m == v.MemberEnd() ? nullptr : &m->value;
}

inline const Value* Path(const Value& v, std::initializer_list<const char*> names) {
  const Value* cur = &v;
  for (const char* n : names) {
    cur = Member(*cur, n);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

inline std::string_view Str(const Value* v) {
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength()) : std::string_view();
}

inline std::int64_t Int(const Value* v, std::int64_t fallback = 0) {
  return v != nullptr && v->IsInt64() ? v->GetInt64() : fallback;
}

inline std::int32_t Int32(const Value* v, std::int32_t fallback = 0) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(Int(v, fallback), INT32_MIN, INT32_MAX));
}

inline bool IsTrue(const Value* v) { return v != nullptr && v->IsBool() && v->GetBool(); }
inline bool IsFalse(const Value* v) { return v != nullptr && v->IsBool() && !v->GetBool(); }

template <typename F>
void ForEach(const Value* array, F&& f) {
  if (array == nullptr || !array->IsArray()) return;
  for (const auto& item : array->GetArray()) f(item);
}

// Calls f(name, value) for each member of an object (labels, annotations, data keys).
template <typename F>
void ForEachMember(const Value* object, F&& f) {
  if (object == nullptr || !object->IsObject()) return;
  for (const auto& m : object->GetObject()) {
    f(std::string_view(m.name.GetString(), m.name.GetStringLength()), m.value);
  }
}

// A quantity member of `resources` (requests, limits, allocatable) in thousandths; 0 when
// missing or not a quantity.
inline std::int64_t QuantityMilli(const Value* resources, const char* name) {
  if (resources == nullptr) return 0;
  auto q = ParseQuantity(Str(Member(*resources, name)));
  return q ? q->milli : 0;
}

// Memory in whole bytes, rounded up as Kubernetes' Value() does: sums then stay exact up to
// 8 EiB (milli-bytes would overflow past 8 PiB).
inline std::int64_t QuantityBytes(const Value* resources, const char* name) {
  const std::int64_t milli = QuantityMilli(resources, name);
  return milli / 1000 + (milli % 1000 > 0 ? 1 : 0);
}

inline Tri TriFromStatus(std::string_view s) {
  if (s == "True") return Tri::kTrue;
  if (s == "False") return Tri::kFalse;
  return Tri::kUnknown;
}

inline bool HasMetadata(const Value& o) {
  const Value* m = Member(o, "metadata");
  return m != nullptr && m->IsObject();
}

inline std::string Namespace(const Value& o) { return std::string(Str(Path(o, {"metadata", "namespace"}))); }
inline std::string Name(const Value& o) { return std::string(Str(Path(o, {"metadata", "name"}))); }

}  // namespace kube9::collectors::json
