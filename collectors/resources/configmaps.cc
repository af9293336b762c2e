#include "collectors/resources/configmaps.h"

#include <algorithm>

#include "collectors/credential_names.h"
#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<ConfigMapInfo> ExtractConfigMap(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  ConfigMapInfo c;
  c.ns = Namespace(o);
  c.name = Name(o);
  int count = 0;
  auto look = [&](std::string_view key, const Value&) {  // the value is never read
    if (LooksLikeCredentialName(key)) ++count;
  };
  ForEachMember(Member(o, "data"), look);
  ForEachMember(Member(o, "binaryData"), look);
  c.credential_keys = static_cast<std::uint16_t>(std::min(count, 65535));
  return c;
}

}  // namespace kube9::collectors
