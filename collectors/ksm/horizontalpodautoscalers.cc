// kube-state-metrics' horizontalpodautoscaler families (its internal/store/horizontalpodautoscaler.go,
// v2.20), read from autoscaling/v2 objects as kube-state-metrics reads them.
#include <array>
#include <charconv>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

// kube-state-metrics' metricTargetType, as its `metric_target_type` label spells it.
enum class TargetType : std::uint8_t { kValue, kUtilization, kAverage };
constexpr std::array<std::string_view, 3> kTargetTypes = {"value", "utilization", "average"};

// One series of kube_horizontalpodautoscaler_{spec,status}_target_metric.
struct MetricTarget {
  Interned name, container;
  TargetType type;
  double value;
};

struct HpaRecord {
  Interned ns;
  std::string name;
  Interned target_api_version, target_kind;
  std::string target_name;
  std::int64_t generation = 0, max_replicas = 0, min_replicas = 1, current = 0, desired = 0;
  std::optional<double> scale_down_tolerance, scale_up_tolerance;
  std::vector<MetricTarget> spec_metrics, status_metrics;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> created, deleted;
  LabelPairs labels, annotations;
};

// Go's math.Pow10 for the exponents a quantity's scale takes: 1/10^-n below zero (not a
// multiplication by an inexact 10^n), so that products round as Go's do.
double GoPow10(int n) {
  static constexpr double kPow[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
                                    1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                    1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
  return n >= 0 ? kPow[n] : 1 / kPow[-n];
}

// resource.Quantity's AsApproximateFloat64 for the text the API server serves: the quantity's
// integer mantissa times 10^scale, as ParseQuantity splits it on its fast path; milli-units
// otherwise (a value of more than 18 digits, or below nano).
std::optional<double> ApproximateFloat(std::string_view text) {
  auto q = ParseQuantity(text);
  if (!q) return std::nullopt;
  const double fallback = static_cast<double>(q->milli) / 1000;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  while (!s.empty() && s.front() == '0') s.remove_prefix(1);
  const std::size_t num_end = std::min(s.find_first_not_of("0123456789"), s.size());
  std::string digits(s.substr(0, num_end));
  s.remove_prefix(num_end);
  std::size_t denom = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    denom = std::min(s.find_first_not_of("0123456789"), s.size());
    digits += s.substr(0, denom);
    s.remove_prefix(denom);
  }
  int exponent = 0;
  if (s.empty()) {
  } else if (s == "n") {
    exponent = -9;
  } else if (s == "u") {
    exponent = -6;
  } else if (s == "m") {
    exponent = -3;
  } else if (s == "k") {
    exponent = 3;
  } else if (s == "M") {
    exponent = 6;
  } else if (s == "G") {
    exponent = 9;
  } else if (s == "T") {
    exponent = 12;
  } else if (s == "P") {
    exponent = 15;
  } else if (s == "E") {
    exponent = 18;
  } else if (s.front() == 'e' || s.front() == 'E') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), exponent);
    if (ec != std::errc() || end != s.data() + s.size()) return fallback;
  } else {
    return fallback;  // a binary suffix: not a ratio
  }
  const int scale = exponent - static_cast<int>(denom);
  if (digits.size() > 18 || scale < -9 || scale > 31) return fallback;
  std::int64_t mantissa = 0;
  if (!digits.empty()) std::from_chars(digits.data(), digits.data() + digits.size(), mantissa);
  const double base = static_cast<double>(negative ? -mantissa : mantissa);
  return scale == 0 ? base : base * GoPow10(scale);
}

// kube-state-metrics' convertValueToFloat64: the quantity in thousandths.
std::optional<double> QuantityValue(const rapidjson::Value* v) {
  if (v == nullptr) return std::nullopt;
  auto q = ParseQuantity(json::Str(v));
  if (!q) return std::nullopt;
  return static_cast<double>(q->milli) / 1000;
}

// The metric entries of spec.metrics (`target`) or status.currentMetrics (`current`): each
// names its source by type; entries of another type, or without their source, write nothing.
std::vector<MetricTarget> ExtractMetrics(const rapidjson::Value* list, const char* values, InternPool& pool) {
  std::vector<MetricTarget> out;
  json::ForEach(list, [&](const rapidjson::Value& m) {
    const std::string_view type = json::Str(json::Member(m, "type"));
    const char* member = type == "Object"              ? "object"
                         : type == "Pods"              ? "pods"
                         : type == "Resource"          ? "resource"
                         : type == "ContainerResource" ? "containerResource"
                         : type == "External"          ? "external"
                                                       : nullptr;
    if (member == nullptr) return;
    const rapidjson::Value* source = json::Member(m, member);
    if (source == nullptr || !source->IsObject()) return;
    const bool by_resource = type == "Resource" || type == "ContainerResource";
    const std::string_view name =
        json::Str(by_resource ? json::Member(*source, "name") : json::Path(*source, {"metric", "name"}));
    const std::string_view container = type == "ContainerResource" ? json::Str(json::Member(*source, "container")) : "";
    const rapidjson::Value* target = json::Member(*source, values);
    if (target == nullptr || !target->IsObject()) return;
    auto add = [&](TargetType t, double v) { out.push_back({pool.Intern(name), pool.Intern(container), t, v}); };
    if (auto v = QuantityValue(json::Member(*target, "value"))) add(TargetType::kValue, *v);
    if (const auto* u = json::Member(*target, "averageUtilization"); u != nullptr && u->IsInt64()) {
      add(TargetType::kUtilization, static_cast<double>(u->GetInt64()));
    }
    if (auto v = QuantityValue(json::Member(*target, "averageValue"))) add(TargetType::kAverage, *v);
  });
  return out;
}

std::optional<double> Tolerance(const rapidjson::Value& spec, const char* direction) {
  const rapidjson::Value* t = json::Path(spec, {"behavior", direction, "tolerance"});
  if (t == nullptr || !t->IsString()) return std::nullopt;
  return ApproximateFloat(json::Str(t));
}

std::optional<HpaRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  HpaRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.generation = json::Int(json::Path(o, {"metadata", "generation"}));
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.deleted = UnixSeconds(json::Str(json::Path(o, {"metadata", "deletionTimestamp"})));
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    r.target_api_version = pool.Intern(json::Str(json::Path(*spec, {"scaleTargetRef", "apiVersion"})));
    r.target_kind = pool.Intern(json::Str(json::Path(*spec, {"scaleTargetRef", "kind"})));
    r.target_name = json::Str(json::Path(*spec, {"scaleTargetRef", "name"}));
    r.max_replicas = json::Int(json::Member(*spec, "maxReplicas"));
    r.min_replicas = json::Int(json::Member(*spec, "minReplicas"), 1);
    r.spec_metrics = ExtractMetrics(json::Member(*spec, "metrics"), "target", pool);
    r.scale_down_tolerance = Tolerance(*spec, "scaleDown");
    r.scale_up_tolerance = Tolerance(*spec, "scaleUp");
  }
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.current = json::Int(json::Member(*status, "currentReplicas"));
    r.desired = json::Int(json::Member(*status, "desiredReplicas"));
    r.status_metrics = ExtractMetrics(json::Member(*status, "currentMetrics"), "current", pool);
    r.conditions = ExtractConditions(json::Member(*status, "conditions"), pool);
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const HpaRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("horizontalpodautoscaler", r.name);
}

using R = HpaRecord;
template <std::int64_t HpaRecord::*F>
void Int(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> HpaRecord::*F>
void OptInt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}
template <std::optional<double> HpaRecord::*F>
void OptDouble(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(*(r.*F));
}
template <std::vector<MetricTarget> HpaRecord::*F>
void Targets(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& m : r.*F) {
    Id(w, n, r)
        .Label("metric_name", m.name)
        .Label("metric_target_type", kTargetTypes[static_cast<std::size_t>(m.type)])
        .Label("container", m.container)
        .Value(m.value);
  }
}

constexpr Family<R> kFamilies[] = {
    {"kube_horizontalpodautoscaler_info", "Information about this autoscaler.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r);
       if (!r.target_api_version.view().empty()) w.Label("scaletargetref_api_version", r.target_api_version);
       w.Label("scaletargetref_kind", r.target_kind).Label("scaletargetref_name", r.target_name).Value(1);
     }},
    {"kube_horizontalpodautoscaler_metadata_generation",
     "The generation observed by the HorizontalPodAutoscaler controller.", true, &Int<&R::generation>},
    {"kube_horizontalpodautoscaler_spec_max_replicas",
     "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.", true,
     &Int<&R::max_replicas>},
    {"kube_horizontalpodautoscaler_spec_min_replicas",
     "Lower limit for the number of pods that can be set by the autoscaler, default 1.", true, &Int<&R::min_replicas>},
    {"kube_horizontalpodautoscaler_spec_target_metric",
     "The metric specifications used by this autoscaler when calculating the desired replica count.", false,
     &Targets<&R::spec_metrics>},
    {"kube_horizontalpodautoscaler_spec_behavior_scale_down_tolerance",
     "The tolerance on the ratio between the current and desired metric value below which no scale down occurs.", false,
     &OptDouble<&R::scale_down_tolerance>},
    {"kube_horizontalpodautoscaler_spec_behavior_scale_up_tolerance",
     "The tolerance on the ratio between the current and desired metric value below which no scale up occurs.", false,
     &OptDouble<&R::scale_up_tolerance>},
    {"kube_horizontalpodautoscaler_status_target_metric",
     "The current metric status used by this autoscaler when calculating the desired replica count.", true,
     &Targets<&R::status_metrics>},
    {"kube_horizontalpodautoscaler_status_current_replicas",
     "Current number of replicas of pods managed by this autoscaler.", true, &Int<&R::current>},
    {"kube_horizontalpodautoscaler_status_desired_replicas",
     "Desired number of replicas of pods managed by this autoscaler.", true, &Int<&R::desired>},
    {"kube_horizontalpodautoscaler_annotations", "Kubernetes annotations converted to Prometheus labels.", false,
     nullptr, FamilyKind::kAnnotations},
    {"kube_horizontalpodautoscaler_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr,
     FamilyKind::kLabels},
    {"kube_horizontalpodautoscaler_status_condition", "The condition of this autoscaler.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         WriteCondition(w, n, c, [&](TextWriter& s) {
           s.Label("namespace", r.ns).Label("horizontalpodautoscaler", r.name).Label("condition", c.type);
         });
       }
     }},
    {"kube_horizontalpodautoscaler_created", "Unix creation timestamp", false, &OptInt<&R::created>},
    {"kube_horizontalpodautoscaler_deletion_timestamp", "Unix deletion timestamp", false, &OptInt<&R::deleted>},
};

constexpr FamilySet<R> kSet{"horizontalpodautoscalers", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> HorizontalPodAutoscalerFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
