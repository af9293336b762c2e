#include "assessment/workloads.h"

#include <algorithm>
#include <cstdint>

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{
    "cost-optimization.over-provisioning-detection", "Requests are not oversized", Pillar::kCostOptimization,
    Severity::kMedium,
    "Compare requests with observed usage (metrics, VPA recommendations) and lower them to steady-state need plus "
    "a margin; split very large pods."};

std::int64_t Times(std::int64_t per_pod, std::int64_t replicas) {
  return replicas > 0 && per_pod > INT64_MAX / replicas ? INT64_MAX : per_pod * replicas;
}

constexpr std::int64_t kGi = std::int64_t{1} << 30;
// Per pod, and per workload (replicas x per pod): warn at the first value, fail at the second.
constexpr std::int64_t kPodCpuWarn = 4'000, kPodCpuFail = 16'000;  // milli-cores
constexpr std::int64_t kPodMemoryWarn = 16 * kGi, kPodMemoryFail = 64 * kGi;
constexpr std::int64_t kTotalCpuWarn = 32'000, kTotalCpuFail = 128'000;
constexpr std::int64_t kTotalMemoryWarn = 256 * kGi, kTotalMemoryFail = 1024 * kGi;

Result Run(const Inputs& in) {
  Findings fail("workloads request more than 16 cores or 64Gi per pod, or 128 cores or 1Ti in total");
  Findings warn("workloads request more than 4 cores or 16Gi per pod, or 32 cores or 256Gi in total");
  auto missing = ForEachWorkload(in, kAllWorkloads, [&](const collectors::WorkloadInfo& w) {
    const std::int64_t cpu = w.pod_template.request_cpu_milli, memory = w.pod_template.request_memory_bytes;
    const std::int64_t replicas = std::max(0, w.desired);
    const std::int64_t total_cpu = Times(cpu, replicas);
    const std::int64_t total_memory = Times(memory, replicas);
    fail.Examine();
    warn.Examine();
    if (cpu >= kPodCpuFail || memory >= kPodMemoryFail || total_cpu >= kTotalCpuFail ||
        total_memory >= kTotalMemoryFail) {
      fail.Affected(w.ns, w.name);
    } else if (cpu >= kPodCpuWarn || memory >= kPodMemoryWarn || total_cpu >= kTotalCpuWarn ||
               total_memory >= kTotalMemoryWarn) {
      warn.Affected(w.ns, w.name);
    }
  });
  if (!missing.empty()) return SkippedWithout(missing);
  return FailOrWarn(fail, warn);
}

}  // namespace

std::unique_ptr<Check> OverProvisioningDetectionCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
