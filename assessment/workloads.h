#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "assessment/check.h"
#include "collectors/extract.h"

// Helpers shared by the checks: walking the workloads (their pod templates carry the facts
// most checks read, and their names give the examples), and turning two findings into one
// verdict.
namespace kube9::assessment {

// Namespaces whose workloads the cluster's distribution owns: checks of how workloads are
// configured leave them out (a user cannot change them).
bool IsSystemNamespace(std::string_view ns);

// Which workload kinds a check reads.
enum WorkloadKinds : unsigned {
  kDeployments = 1u << 0,
  kStatefulSets = 1u << 1,
  kDaemonSets = 1u << 2,
  kAllWorkloads = kDeployments | kStatefulSets | kDaemonSets,
};

// Calls f(const WorkloadInfo&) for every workload of `kinds` outside the system namespaces, in
// kind, namespace, name order. Returns, for the check to be skipped, the name of a collector among
// `kinds` that is on but not synced, or of a disabled one when none of them is on; "" otherwise
// (a disabled kind is left out: the others are judged).
//
// It walks the sample's copy of the workloads (in.health->workloads: one contiguous, sorted
// vector) rather than the stores' hash maps: thirty checks walking 15,000 workloads stay in
// cache (about 10x faster at 150k pods) and see the same snapshot. Without a sample (tests that
// build Inputs by hand), the stores.
template <typename F>
std::string_view ForEachWorkload(const Inputs& in, unsigned kinds, F&& f) {
  const collectors::Resource<collectors::WorkloadInfo>* resources[] = {
      &collectors::kDeployments, &collectors::kStatefulSets, &collectors::kDaemonSets};
  std::string_view missing;
  unsigned collected = 0;  // the kinds asked for whose collector is on
  for (unsigned i = 0; i < 3; ++i) {
    if ((kinds & (1u << i)) == 0) continue;
    if (in.stores.Find(*resources[i]) == nullptr) {  // disabled: judged on the other kinds
      if (missing.empty()) missing = resources[i]->kind.name;
      continue;
    }
    // On but not synced: a verdict over part of what should be there would mislead.
    if (in.Collected(*resources[i]) == nullptr) return resources[i]->kind.name;
    collected |= 1u << i;
  }
  if (collected == 0) return missing;
  if (in.health != nullptr) {
    for (const collectors::WorkloadInfo& w : in.health->workloads) {
      if ((collected & (1u << static_cast<unsigned>(w.kind))) != 0 && !IsSystemNamespace(w.ns)) f(w);
    }
    return {};
  }
  for (unsigned i = 0; i < 3; ++i) {
    if ((collected & (1u << i)) == 0) continue;
    in.stores.Find(*resources[i])->ForEach([&](const collectors::WorkloadInfo& w) {
      if (!IsSystemNamespace(w.ns)) f(w);
    });
  }
  return {};
}

// The checks of the operator's own Deployment (found by its app.kubernetes.io/name label, in
// any namespace): calls f for each, and returns the result to report when there is none
// (skipped), or nullopt.
std::optional<Result> ForEachOperatorDeployment(const Inputs& in,
                                                const std::function<void(const collectors::WorkloadInfo&)>& f);

// Failing with `failing`'s message when it found anything, else warning with `warning`'s when
// it did, else passing (with the warning's population, the wider of the two).
Result FailOrWarn(const Findings& failing, const Findings& warning);

// A check from its description and a function over the inputs: most checks are one.
std::unique_ptr<Check> MakeCheck(const CheckInfo& info, Result (*run)(const Inputs&));

}  // namespace kube9::assessment
