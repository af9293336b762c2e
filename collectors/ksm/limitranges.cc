// kube-state-metrics' limitrange families (its internal/store/limitrange.go, v2.20). It has no
// `_labels` or `_annotations` family for limit ranges.
#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

// The constraints of a spec.limits item, in kube-state-metrics' order, as the `constraint` label.
constexpr std::string_view kConstraints[] = {"min", "max", "default", "defaultRequest", "maxLimitRequestRatio"};

// One amount of one item of spec.limits.
struct LimitAmount {
  Interned resource, type;  // type: "Container", "Pod", "PersistentVolumeClaim"
  std::uint8_t constraint = 0;  // index in kConstraints
  double value = 0;
};

struct LimitRangeRecord {
  Interned ns;
  std::string name;
  std::optional<std::int64_t> created;
  std::vector<LimitAmount> amounts;  // per item, per constraint, in the object's order
  LabelPairs labels, annotations;  // always empty: no such families
};

std::optional<LimitRangeRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  LimitRangeRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  json::ForEach(json::Path(o, {"spec", "limits"}), [&](const rapidjson::Value& item) {
    const std::string_view type = json::Str(json::Member(item, "type"));
    for (std::uint8_t c = 0; c < std::size(kConstraints); ++c) {
      const std::string member(kConstraints[c]);
      json::ForEachMember(json::Member(item, member.c_str()), [&](std::string_view resource, const rapidjson::Value& v) {
        if (auto value = QuantityFloat(json::Str(&v))) {
          r.amounts.push_back({pool.Intern(resource), pool.Intern(type), c, *value});
        }
      });
    }
  });
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const LimitRangeRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("limitrange", r.name);
}

using R = LimitRangeRecord;

constexpr Family<R> kFamilies[] = {
    {"kube_limitrange", "Information about limit range.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& a : r.amounts) {
         Id(w, n, r)
             .Label("resource", a.resource)
             .Label("type", a.type)
             .Label("constraint", kConstraints[a.constraint])
             .Value(a.value);
       }
     }},
    {"kube_limitrange_created", "Unix creation timestamp", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.created) Id(w, n, r).Value(static_cast<double>(*r.created));
     }},
};

constexpr FamilySet<R> kSet{"limitranges", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> LimitRangeFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
