#include "collectors/resources/limit_ranges.h"

#include "collectors/json_fields.h"

namespace kube9::collectors {

using namespace json;

std::optional<LimitRangeInfo> ExtractLimitRange(const Value& o) {
  if (!HasMetadata(o)) return std::nullopt;
  LimitRangeInfo l;
  l.ns = Namespace(o);
  ForEach(Path(o, {"spec", "limits"}), [&](const Value& item) {
    const std::string_view type = Str(Member(item, "type"));
    if (type != "Container" && type != "Pod") return;  // PersistentVolumeClaim bounds storage only
    for (const char* field : {"default", "defaultRequest", "max", "min", "maxLimitRequestRatio"}) {
      const Value* bounds = Member(item, field);
      if (bounds == nullptr) continue;
      if (Member(*bounds, "cpu") != nullptr) l.cpu = true;
      if (Member(*bounds, "memory") != nullptr) l.memory = true;
    }
  });
  return l;
}

}  // namespace kube9::collectors
