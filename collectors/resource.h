#pragma once

#include <optional>
#include <string_view>

#include <rapidjson/document.h>

namespace kube9::collectors {

// A resource the operator can list and watch, and the RBAC rule that reading it needs.
struct ResourceKind {
  std::string_view name;       // as in --collectors and in metrics' resource label
  std::string_view api_group;  // "" for the core group
  std::string_view path;       // collection path across all namespaces
};

// A collector: the resource it reads and the compact record (T) it keeps of each object.
// `extract` returns nullopt for an object it cannot use (no metadata), which the store
// counts and skips. Each collector declares one as an `inline constexpr` next to its record
// type, and registers it with one line in collectors/registry.cc.
template <typename T>
struct Resource {
  using Record = T;
  ResourceKind kind;
  std::optional<T> (*extract)(const rapidjson::Value&);
};

}  // namespace kube9::collectors
