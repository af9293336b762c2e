#include "collectors/resources/resource_quotas.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<ResourceQuotaInfo> ExtractResourceQuota(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  ResourceQuotaInfo q;
  q.ns = Namespace(o);
  ForEachMember(Path(o, {"spec", "hard"}), [&](std::string_view name, const Value&) {
    if (name == "cpu" || name == "requests.cpu" || name == "limits.cpu") q.cpu = true;
    if (name == "memory" || name == "requests.memory" || name == "limits.memory") q.memory = true;
  });
  return q;
}

}  // namespace kube9::collectors
