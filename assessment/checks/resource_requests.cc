#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "reliability.resource-requests", "Containers request CPU and memory", Pillar::kReliability, Severity::kHigh,
    "Set resources.requests.cpu and resources.requests.memory on every container, from observed usage, so that "
    "the scheduler places pods where they fit and they are not evicted first."};

// A container without a cpu or memory request fails.
Result Run(const Inputs& in) {
  Findings f("workloads with containers missing cpu or memory requests");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const auto& s = w.pod_template.shape;
    f.Examine();
    if (s.cpu_requests < s.containers || s.memory_requests < s.containers) f.Affected(w.ns, w.name);
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return f.Verdict(Status::kFailing);
}

}  // namespace

std::unique_ptr<Check> ResourceRequestsCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
