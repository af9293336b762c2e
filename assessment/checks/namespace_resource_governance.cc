#include "assessment/checks/namespace_resource_governance.h"

#include <memory>

#include <set>
#include <string>

#include "assessment/checks/problems.h"
#include "collectors/extract.h"
#include "collectors/resources/limit_ranges.h"
#include "collectors/resources/resource_quotas.h"

namespace kube9::assessment {

const CheckInfo& NamespaceResourceGovernance::info() const {
  static const CheckInfo kInfo{
      "performance-efficiency.namespace-resource-governance", "Namespaces with workloads have a quota or limit range",
      Pillar::kPerformanceEfficiency, Severity::kLow,
      "Give each application namespace a ResourceQuota bounding its CPU and memory, or a LimitRange setting default "
      "requests and limits, so that one team's workloads cannot starve the others'."};
  return kInfo;
}

Result NamespaceResourceGovernance::Run(const Inputs& in) const {
  const auto* pods = Collected(in, collectors::kPods);
  const auto* quotas = Collected(in, collectors::kResourceQuotas);
  const auto* limit_ranges = Collected(in, collectors::kLimitRanges);
  if (auto skipped =
          SkippedUnlessCollected({{quotas, "resourcequotas"}, {limit_ranges, "limitranges"}, {pods, "pods"}})) {
    return *skipped;
  }
  std::set<std::string, std::less<>> governed, running;
  quotas->ForEach([&](const collectors::ResourceQuotaInfo& q) { governed.insert(q.ns); });
  limit_ranges->ForEach([&](const collectors::LimitRangeInfo& l) { governed.insert(l.ns); });
  pods->ForEach([&](const collectors::PodInfo& p) {
    // Kubernetes' own namespaces (kube-system, kube-public, kube-node-lease) are the platform's.
    if (!p.ns.starts_with("kube-")) running.insert(p.ns);
  });
  Findings found("namespaces with pods have neither a ResourceQuota nor a LimitRange");
  for (const auto& ns : running) {
    found.Examine();
    if (!governed.contains(ns)) found.Affected("", ns);
  }
  return found.Verdict(Status::kWarning);
}

std::unique_ptr<Check> NamespaceResourceGovernanceCheck() { return std::make_unique<NamespaceResourceGovernance>(); }

}  // namespace kube9::assessment
