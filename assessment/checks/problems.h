#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assessment/check.h"

// Findings of several kinds over one population, each kind with the status it deserves: e.g.
// of the HorizontalPodAutoscalers, those whose target is missing (failing) and those that
// cannot scale (warning). The verdict is the worst status found; the one-line message names
// each kind found with its count and up to three examples.
namespace kube9::assessment {

class Problems {
 public:
  struct Kind {
    std::string_view what;  // "with minReplicas above maxReplicas"
    Status status;          // kFailing or kWarning
  };
  // `population` names what is examined, plural: "HorizontalPodAutoscalers".
  Problems(std::string_view population, std::vector<Kind> kinds);

  void Examine() { ++population_; }
  // Object `ns/name` has problem `kind` (an index into the kinds given).
  void Affected(std::size_t kind, std::string_view ns, std::string_view name);
  std::int64_t population() const { return population_; }
  Result Verdict() const;

 private:
  struct Found {
    Kind kind;
    std::int64_t count = 0;
    std::vector<std::string> examples;
  };
  std::string population_name_;
  std::vector<Found> found_;
  std::int64_t population_ = 0;
};

// The store of `r` when its data is collected: the collector is enabled and has listed (not
// denied by RBAC); null otherwise, and the check then says it is skipped.
template <typename T>
const collectors::Store<T>* Collected(const Inputs& in, const collectors::Resource<T>& r) {
  return in.Collected(r);
}

// The result for data whose collector is off: SkippedWithout naming the first of `needed` whose
// store is null, or nullopt when every store is there.
struct Needed {
  const void* store;
  std::string_view collector;
};
std::optional<Result> SkippedUnlessCollected(std::initializer_list<Needed> needed);

}  // namespace kube9::assessment
