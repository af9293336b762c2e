#include "assessment/workloads.h"

namespace kube9::assessment {
namespace {

constexpr CheckInfo kInfo{"operational-excellence.logging-configuration", "kube9-operator logging is configured",
                          Pillar::kOperationalExcellence, Severity::kLow,
                          "Set the chart's logLevel (info or warn in production) and logFormat json, so that the "
                          "operator's logs are structured and their verbosity explicit."};

// The operator's Deployment warns when no log level is set (--log.level or LOG_LEVEL) or the
// level is debug (noisy, and more detail than production needs); the running operator warns
// when it logs in a format other than json.
Result Run(const Inputs& in) {
  Findings f("kube9-operator Deployments without an explicit log level, or at debug");
  if (auto none = ForEachOperatorDeployment(in, [&](const collectors::WorkloadInfo& w) {
        f.Examine();
        if (!w.pod_template.Has(collectors::kLogLevelSet) || w.pod_template.Has(collectors::kDebugLogLevel)) {
          f.Affected(w.ns, w.name);
        }
      })) {
    return *none;
  }
  if (f.affected() == 0 && !in.self.log_format.empty() && in.self.log_format != "json") {
    return {Status::kWarning, "the running operator logs as " + in.self.log_format + ", not json"};
  }
  return f.Verdict(Status::kWarning);
}

}  // namespace

std::unique_ptr<Check> LoggingConfigurationCheck() { return MakeCheck(kInfo, &Run); }

}  // namespace kube9::assessment
