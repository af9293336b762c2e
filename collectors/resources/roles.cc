#include "collectors/resources/roles.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

namespace {

bool Contains(const Value* array, std::string_view want) {
  bool found = false;
  ForEach(array, [&](const Value& v) { found = found || Str(&v) == want; });
  return found;
}

}  // namespace

std::optional<RoleInfo> ExtractRole(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  RoleInfo r;
  r.ns = Namespace(o);
  r.name = Name(o);
  r.builtin = r.name.starts_with("system:") ||
              Str(Path(o, {"metadata", "labels", "kubernetes.io/bootstrapping"})) == "rbac-defaults";
  ForEach(Member(o, "rules"), [&](const Value& rule) {
    const Value* verbs = Member(rule, "verbs");
    const Value* resources = Member(rule, "resources");
    const Value* groups = Member(rule, "apiGroups");
    const bool any_verb = Contains(verbs, "*");
    const bool any_resource = Contains(resources, "*");
    const bool any_group = Contains(groups, "*");
    r.wildcard_verb = r.wildcard_verb || any_verb;
    r.wildcard_resource = r.wildcard_resource || any_resource;
    r.wildcard_api_group = r.wildcard_api_group || any_group;
    const bool core = any_group || Contains(groups, "");
    const bool secrets = any_resource || Contains(resources, "secrets");
    const bool reads = any_verb || Contains(verbs, "get") || Contains(verbs, "list") || Contains(verbs, "watch");
    if (core && secrets && reads) r.reads_secrets = true;
  });
  return r;
}

}  // namespace kube9::collectors
