#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "collectors/json_fields.h"
#include "collectors/ksm/intern.h"
#include "collectors/ksm/text.h"
#include "collectors/store.h"
#include "kube/reflector.h"

// The kube-state-metrics-compatible families (docs/ksm-compatibility.md). Each resource's
// family set is one file in this folder: a compact record of each object (what the families
// print, with repeated strings interned and nothing pre-rendered), its extraction, and its
// families, each a name, HELP, stability and a function writing the object's series. Text is
// written at scrape time straight into the reply (TextWriter), so memory holds records only.
namespace kube9::collectors::ksm {

// What the kube-state-metrics flags select (config.h has their syntax).
struct Options {
  // --metric-labels-allowlist / --metric-annotations-allowlist: resource -> keys ("*" first: all).
  std::map<std::string, std::vector<std::string>, std::less<>> labels_allowlist;
  std::map<std::string, std::vector<std::string>, std::less<>> annotations_allowlist;
  // --metric-allowlist / --metric-denylist: regular expressions searched in family names;
  // at most one of them is set.
  std::vector<std::string> metric_allowlist;
  std::vector<std::string> metric_denylist;
  // --shard / --total-shards: keep only the objects whose UID falls in this shard.
  int shard = 0;
  int total_shards = 1;

  const std::vector<std::string>& AllowedLabels(std::string_view resource) const;
  const std::vector<std::string>& AllowedAnnotations(std::string_view resource) const;
};

// kube-state-metrics' shard of an object (collectors/store.h).
using collectors::ShardOf;

// Whether a family is served under --metric-allowlist/--metric-denylist.
class FamilyFilter {
 public:
  explicit FamilyFilter(const Options& options);
  bool Includes(std::string_view family) const;

 private:
  std::vector<std::regex> patterns_;
  bool allow_ = false;
};

// Interned label pairs of `kube_<resource>_labels`/`_annotations`, as kube-state-metrics names them.
using LabelPairs = std::vector<std::pair<Interned, Interned>>;

// What an Extract function gets besides the object.
struct ExtractContext {
  InternPool& pool;
  const std::vector<std::string>& allowed_labels;
  const std::vector<std::string>& allowed_annotations;
};

// One family. Most write their series for one object with `write`, which starts each series
// with the set's `identity` (the name and the object's labels, e.g. namespace and deployment).
// `kube_<resource>_labels` and `_annotations` are the same for every resource: they write the
// record's `labels` / `annotations` pairs, and nothing at all unless an allowlist names the
// resource, as kube-state-metrics does.
enum class FamilyKind : std::uint8_t { kSeries, kLabels, kAnnotations };

template <typename R>
struct Family {
  std::string_view name;
  std::string_view help;
  bool stable;  // kube-state-metrics prefixes a STABLE family's HELP with "[STABLE] "
  void (*write)(const R& record, std::string_view name, TextWriter& w) = nullptr;
  FamilyKind kind = FamilyKind::kSeries;
  std::string_view type = "gauge";  // or "counter"
};

// A resource's families: the resource (its collector's name), how a record is made, the
// identity labels every series starts with, and the families in kube-state-metrics' order.
// R has `LabelPairs labels, annotations`.
template <typename R>
struct FamilySet {
  std::string_view resource;
  std::optional<R> (*extract)(const rapidjson::Value& object, ExtractContext& context);
  TextWriter& (*identity)(TextWriter& w, std::string_view name, const R& record);
  std::span<const Family<R>> families;
};

// The store behind one family set, fed by the resource's reflector beside the aggregates'
// store; renders its families at scrape time.
class FamilyStore : public kube::ReflectorHandler {
 public:
  virtual std::string_view resource() const = 0;
  virtual std::size_t size() const = 0;
  // Writes every included family: HELP and TYPE (when the store holds any object, as
  // kube-state-metrics does), then each object's series.
  virtual void Render(TextWriter& w) const = 0;
};

template <typename R>
class FamilySetStore final : public FamilyStore {
 public:
  FamilySetStore(const FamilySet<R>& set, const Options& options, const FamilyFilter& filter)
      : set_(set),
        allowed_labels_(options.AllowedLabels(set.resource)),
        allowed_annotations_(options.AllowedAnnotations(set.resource)),
        shard_(options.shard),
        total_shards_(options.total_shards),
        store_([this](const rapidjson::Value& o) -> std::optional<R> {
          if (total_shards_ > 1 && ShardOf(json::Str(json::Path(o, {"metadata", "uid"})), total_shards_) != shard_) {
            return std::nullopt;  // another shard's object (counted as skipped by the store)
          }
          ExtractContext context{pool_, allowed_labels_, allowed_annotations_};
          return set_.extract(o, context);
        }) {
    for (const auto& f : set.families) {
      if (filter.Includes(f.name)) families_.push_back(&f);
    }
  }

  std::string_view resource() const override { return set_.resource; }
  std::size_t size() const override { return store_.size(); }
  // Under one shared lock for the whole set: the reflector's updates wait for the render (and,
  // streamed, for the client to take it, within the server's write timeout).
  void Render(TextWriter& w) const override {
    store_.ForAll([&](std::span<const R* const> all) {
      if (all.empty()) return;
      for (const Family<R>* f : families_) {
        w.Header(f->name, f->help, f->stable, f->type);
        switch (f->kind) {
          case FamilyKind::kSeries: Walk(all, [&](const R& r) { f->write(r, f->name, w); }); break;
          case FamilyKind::kLabels:
            if (!allowed_labels_.empty()) Walk(all, [&](const R& r) { WritePairs(w, f->name, r, r.labels); });
            break;
          case FamilyKind::kAnnotations:
            if (!allowed_annotations_.empty()) Walk(all, [&](const R& r) { WritePairs(w, f->name, r, r.annotations); });
            break;
        }
      }
    });
  }

  void OnSyncStart() override { store_.OnSyncStart(); }
  void OnListed(const rapidjson::Value& object) override { store_.OnListed(object); }
  void OnSynced() override { store_.OnSynced(); }
  void OnEvent(kube::EventType type, const rapidjson::Value& object) override { store_.OnEvent(type, object); }
  void OnSkipped(std::size_t count) override { store_.OnSkipped(count); }

 private:
  // Each family walks every record: past the caches (10k pods) that is memory-bound, so the
  // records a few steps ahead are fetched while this one is written.
  template <typename F>
  static void Walk(std::span<const R* const> all, F&& f) {
    constexpr std::size_t kAhead = 8;
    const std::size_t n = all.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(all[i + kAhead]);
      f(*all[i]);
    }
  }

  void WritePairs(TextWriter& w, std::string_view name, const R& r, const LabelPairs& pairs) const {
    set_.identity(w, name, r);
    for (const auto& [k, v] : pairs) w.Label(k, v);
    w.Value(1);
  }

  const FamilySet<R>& set_;
  std::vector<std::string> allowed_labels_;
  std::vector<std::string> allowed_annotations_;
  int shard_;
  int total_shards_;
  InternPool pool_;  // declared before the store: records release into it
  Store<R> store_;
  std::vector<const Family<R>*> families_;
};

template <typename R>
std::unique_ptr<FamilyStore> MakeStore(const FamilySet<R>& set, const Options& options, const FamilyFilter& filter) {
  return std::make_unique<FamilySetStore<R>>(set, options, filter);
}

LabelPairs InternLabels(std::string_view prefix, const rapidjson::Value* object, const std::vector<std::string>& allow,
                        InternPool& pool);

// Fills r.labels and r.annotations from the object's metadata, as far as the allowlists go.
void ExtractLabelPairs(const rapidjson::Value& object, ExtractContext& context, LabelPairs& labels,
                       LabelPairs& annotations);

// A Kubernetes timestamp (RFC 3339) as Unix seconds; nullopt when missing or unreadable.
std::optional<std::int64_t> UnixSeconds(std::string_view rfc3339);

// A condition's status as Condition::status encodes it.
inline std::uint8_t ConditionStatusOf(std::string_view s) {
  return s == "True" ? 0 : s == "False" ? 1 : s == "Unknown" ? 2 : 3;
}

// A condition: its type and status.
struct Condition {
  Interned type;
  std::uint8_t status = 3;  // 0 "True", 1 "False", 2 "Unknown", 3 anything else (all three series 0)
};
// The three series kube-state-metrics writes for a condition: status="true"/"false"/"unknown",
// 1 for the one that holds. `labels` writes the labels before `status`.
template <typename L>
void WriteCondition(TextWriter& w, std::string_view name, const Condition& c, L&& labels) {
  static constexpr std::string_view kStatus[] = {"true", "false", "unknown"};
  for (std::uint8_t i = 0; i < 3; ++i) {
    labels(w.Begin(name));
    w.Label("status", kStatus[i]).Value(c.status == i ? 1 : 0);
  }
}
std::vector<Condition> ExtractConditions(const rapidjson::Value* conditions, InternPool& pool);

// Resource amounts (capacity, allocatable, requests, limits) as kube-state-metrics reports
// them: only the resources it knows a unit for, named as the `resource` label (sanitized).
enum class Unit : std::uint8_t { kCore, kByte, kInteger };
std::string_view UnitName(Unit unit);
struct ResourceAmount {
  Interned resource;
  Unit unit;
  double value;
};
// A node reports "pods" and every value in thousandths (MilliValue/1000); a container does not
// report "pods", and rounds all but CPU up to whole units (Value()).
enum class AmountsOf : std::uint8_t { kNode, kContainer };
std::vector<ResourceAmount> ExtractAmounts(const rapidjson::Value* list, InternPool& pool, AmountsOf of);
// kube-state-metrics' convertValueToFloat64 of a quantity (resource quotas, limit ranges): its
// thousandths (MilliValue()/1000, "100m" 0.1, "1.5Gi" 1610612736), or, for a quantity whose
// thousandths do not fit 64 bits (above about 9.2e15), its whole units rounded up (Value()).
// nullopt for text that is not a quantity or beyond 64 bits even in whole units.
std::optional<double> QuantityFloat(std::string_view text);
// metadata.resourceVersion as Go's strconv.ParseFloat reads it (kube-state-metrics'
// `_metadata_resource_version`); nothing when it does not.
std::optional<double> ResourceVersion(std::string_view rv);
// kube-state-metrics' SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes '_'.
std::string SanitizeName(std::string_view s);

}  // namespace kube9::collectors::ksm
