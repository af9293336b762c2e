#include "collectors/resources/role_bindings.h"

#include <algorithm>

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<BindingInfo> ExtractBinding(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  BindingInfo b;
  b.ns = Namespace(o);
  b.name = Name(o);
  b.role_is_cluster_role = Str(Path(o, {"roleRef", "kind"})) == "ClusterRole";
  b.role_name = std::string(Str(Path(o, {"roleRef", "name"})));
  const bool cluster_admin = b.role_is_cluster_role && b.role_name == "cluster-admin";
  auto bump = [](std::uint16_t& n) { n = static_cast<std::uint16_t>(std::min<int>(n + 1, UINT16_MAX)); };
  ForEach(Member(o, "subjects"), [&](const Value& s) {
    const std::string_view kind = Str(Member(s, "kind"));
    const std::string_view name = Str(Member(s, "name"));
    bool system = false;
    if (kind == "ServiceAccount") {
      bump(b.service_accounts);
      system = Str(Member(s, "namespace")) == "kube-system";
    } else if (kind == "User") {
      bump(b.users);
      system = name.starts_with("system:");
    } else if (kind == "Group") {
      bump(b.groups);
      system = name.starts_with("system:");
    } else {
      return;
    }
    if (cluster_admin && !system) b.cluster_admin_to_non_system = true;
  });
  return b;
}

}  // namespace kube9::collectors
