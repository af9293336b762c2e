#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"

// Fields the workload family sets (deployments, statefulsets, daemonsets, replicasets, jobs,
// cronjobs) share: optional integers and owner references as kube-state-metrics reports them.
namespace kube9::collectors::ksm {

// A pointer field of kube-state-metrics' Go types (spec.replicas, ...): nothing when unset.
inline std::optional<std::int64_t> OptionalInt(const rapidjson::Value* v) {
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

// An owner reference as `kube_<resource>_owner` labels it: kind and name (interned: many
// replicasets share their deployment, many jobs their cronjob) and whether it is the controller.
struct OwnerRef {
  Interned kind, name;
  bool controller = false;  // `controller` unset reads as false, as kube-state-metrics writes it
};

inline std::vector<OwnerRef> ExtractOwners(const rapidjson::Value& object, InternPool& pool) {
  std::vector<OwnerRef> out;
  json::ForEach(json::Path(object, {"metadata", "ownerReferences"}), [&](const rapidjson::Value& ref) {
    out.push_back({pool.Intern(json::Str(json::Member(ref, "kind"))),
                   pool.Intern(json::Str(json::Member(ref, "name"))), json::IsTrue(json::Member(ref, "controller"))});
  });
  return out;
}

// `kube_<resource>_owner`: one series per owner with owner_kind, owner_name and
// owner_is_controller, or one with all three empty when there is none. `id` starts a series.
template <typename Id>
void WriteOwners(const std::vector<OwnerRef>& owners, Id&& id) {
  if (owners.empty()) {
    id().Label("owner_kind", "").Label("owner_name", "").Label("owner_is_controller", "").Value(1);
  }
  for (const auto& o : owners) {
    id().Label("owner_kind", o.kind)
        .Label("owner_name", o.name)
        .Label("owner_is_controller", o.controller ? "true" : "false")
        .Value(1);
  }
}

}  // namespace kube9::collectors::ksm
