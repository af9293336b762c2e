// kube-state-metrics' job families (its internal/store/job.go, v2.20).
#include <array>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"
#include "collectors/ksm/workloads.h"

namespace kube9::collectors::ksm {
namespace {

// The failure reasons kube_job_status_failed names; any other is reported as reason="".
constexpr std::array<std::string_view, 3> kFailureReasons = {"BackoffLimitExceeded", "DeadlineExceeded", "Evicted"};

struct JobRecord {
  Interned ns;
  std::string name;
  std::vector<OwnerRef> owners;
  std::optional<std::int64_t> created, start_time, completion_time, parallelism, completions, active_deadline;
  std::int32_t succeeded = 0, failed = 0, active = 0, ready = 0;
  // The conditions the families read (Complete, Failed, Suspended), in the object's order.
  enum class Type : std::uint8_t { kComplete, kFailed, kSuspended };
  struct JobCondition {
    Type type;
    std::uint8_t status;  // as Condition::status
    std::uint8_t reason;  // 1 + index in kFailureReasons, 0 for any other
  };
  std::vector<JobCondition> conditions;
  LabelPairs labels, annotations;
};

std::optional<JobRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  JobRecord r;
  r.ns = ctx.pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.owners = ExtractOwners(o, ctx.pool);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    r.parallelism = OptionalInt(json::Member(*spec, "parallelism"));
    r.completions = OptionalInt(json::Member(*spec, "completions"));
    r.active_deadline = OptionalInt(json::Member(*spec, "activeDeadlineSeconds"));
  }
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    r.succeeded = json::Int32(json::Member(*status, "succeeded"));
    r.failed = json::Int32(json::Member(*status, "failed"));
    r.active = json::Int32(json::Member(*status, "active"));
    r.ready = json::Int32(json::Member(*status, "ready"));  // unset reads as 0, as kube-state-metrics
    r.start_time = UnixSeconds(json::Str(json::Member(*status, "startTime")));
    r.completion_time = UnixSeconds(json::Str(json::Member(*status, "completionTime")));
    json::ForEach(json::Member(*status, "conditions"), [&](const rapidjson::Value& c) {
      const std::string_view type = json::Str(json::Member(c, "type"));
      JobRecord::Type t;
      if (type == "Complete") {
        t = JobRecord::Type::kComplete;
      } else if (type == "Failed") {
        t = JobRecord::Type::kFailed;
      } else if (type == "Suspended") {
        t = JobRecord::Type::kSuspended;
      } else {
        return;
      }
      const std::string_view reason = json::Str(json::Member(c, "reason"));
      std::uint8_t known = 0;
      for (std::size_t i = 0; i < kFailureReasons.size(); ++i) {
        if (reason == kFailureReasons[i]) known = static_cast<std::uint8_t>(i + 1);
      }
      r.conditions.push_back({t, ConditionStatusOf(json::Str(json::Member(c, "status"))), known});
    });
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const JobRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("job_name", r.name);
}

using R = JobRecord;
template <std::int32_t JobRecord::*F>
void Num(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Value(static_cast<double>(r.*F));
}
template <std::optional<std::int64_t> JobRecord::*F>
void Opt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

// kube_job_complete / kube_job_failed: for each condition of the type, three series labelled
// condition="true"/"false"/"unknown", 1 for the status it has.
template <JobRecord::Type T>
void ConditionSeries(const R& r, std::string_view n, TextWriter& w) {
  static constexpr std::string_view kStatus[] = {"true", "false", "unknown"};
  for (const auto& c : r.conditions) {
    if (c.type != T) continue;
    for (std::uint8_t i = 0; i < 3; ++i) Id(w, n, r).Label("condition", kStatus[i]).Value(c.status == i ? 1 : 0);
  }
}

// kube_job_status_failed: the count alone while nothing failed; then, for each Failed
// condition, one series per known reason (1 for the condition's), and the count under
// reason="" unless some Failed condition had a known reason.
void StatusFailed(const R& r, std::string_view n, TextWriter& w) {
  if (r.failed == 0) {
    Id(w, n, r).Value(0);
    return;
  }
  bool known = false;
  for (const auto& c : r.conditions) {
    if (c.type != JobRecord::Type::kFailed) continue;
    known = known || c.reason != 0;
    for (std::size_t i = 0; i < kFailureReasons.size(); ++i) {
      Id(w, n, r).Label("reason", kFailureReasons[i]).Value(c.reason == i + 1 ? 1 : 0);
    }
  }
  if (!known) Id(w, n, r).Label("reason", "").Value(r.failed);
}

constexpr Family<R> kFamilies[] = {
    {"kube_job_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_job_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_job_info", "Information about job.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(1); }},
    {"kube_job_created", "Unix creation timestamp", true, &Opt<&R::created>},
    {"kube_job_spec_parallelism", "The maximum desired number of pods the job should run at any given time.", true,
     &Opt<&R::parallelism>},
    {"kube_job_spec_completions", "The desired number of successfully finished pods the job should be run with.", true,
     &Opt<&R::completions>},
    {"kube_job_spec_active_deadline_seconds",
     "The duration in seconds relative to the startTime that the job may be active before the system tries to "
     "terminate it.",
     true, &Opt<&R::active_deadline>},
    {"kube_job_status_succeeded", "The number of pods which reached Phase Succeeded.", true, &Num<&R::succeeded>},
    {"kube_job_status_failed", "The number of pods which reached Phase Failed and the reason for failure.", true,
     &StatusFailed},
    {"kube_job_status_active", "The number of actively running pods.", true, &Num<&R::active>},
    {"kube_job_status_ready", "The number of ready pods that belong to this Job.", false, &Num<&R::ready>},
    {"kube_job_complete", "The job has completed its execution.", true, &ConditionSeries<JobRecord::Type::kComplete>},
    {"kube_job_failed", "The job has failed its execution.", true, &ConditionSeries<JobRecord::Type::kFailed>},
    {"kube_job_status_start_time", "StartTime represents time when the job was acknowledged by the Job Manager.", true,
     &Opt<&R::start_time>},
    {"kube_job_status_completion_time", "CompletionTime represents time when the job was completed.", true,
     &Opt<&R::completion_time>},
    {"kube_job_status_suspended", "The number of pods which reached Phase Suspended.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& c : r.conditions) {
         if (c.type == JobRecord::Type::kSuspended) Id(w, n, r).Value(c.status == 0 ? 1 : 0);
       }
     }},
    {"kube_job_owner", "Information about the Job's owner.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       WriteOwners(r.owners, [&]() -> TextWriter& { return Id(w, n, r); });
     }},
};

constexpr FamilySet<R> kSet{"jobs", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> JobFamilies(const Options& o, const FamilyFilter& f) { return MakeStore(kSet, o, f); }

}  // namespace kube9::collectors::ksm
