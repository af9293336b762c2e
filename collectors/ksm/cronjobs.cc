// kube-state-metrics' cronjob families (its internal/store/cronjob.go, v2.20).

#include "collectors/json_fields.h"
#include "collectors/ksm/cron.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"
#include "collectors/ksm/workloads.h"

namespace kube9::collectors::ksm {
namespace {

struct CronJobRecord {
  Interned ns;
  std::string name;
  Interned schedule, concurrency_policy, time_zone;  // time_zone: "local" when spec.timeZone is unset
  std::optional<std::int64_t> created, last_schedule, last_successful, starting_deadline, successful_limit,
      failed_limit, next_schedule;
  std::optional<double> resource_version;
  std::int32_t active = 0;
  bool suspend = false;
  bool schedule_invalid = false;
  LabelPairs labels, annotations;
};

std::optional<CronJobRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  CronJobRecord r;
  r.ns = pool.Intern(json::Str(json::Path(o, {"metadata", "namespace"})));
  r.name = json::Name(o);
  r.created = UnixSeconds(json::Str(json::Path(o, {"metadata", "creationTimestamp"})));
  r.resource_version = ResourceVersion(json::Str(json::Path(o, {"metadata", "resourceVersion"})));
  std::string_view schedule;
  const rapidjson::Value* tz = nullptr;
  if (const rapidjson::Value* spec = json::Member(o, "spec"); spec != nullptr) {
    schedule = json::Str(json::Member(*spec, "schedule"));
    r.schedule = pool.Intern(schedule);
    r.concurrency_policy = pool.Intern(json::Str(json::Member(*spec, "concurrencyPolicy")));
    tz = json::Member(*spec, "timeZone");
    if (tz != nullptr && !tz->IsString()) tz = nullptr;
    r.suspend = json::IsTrue(json::Member(*spec, "suspend"));
    r.starting_deadline = OptionalInt(json::Member(*spec, "startingDeadlineSeconds"));
    r.successful_limit = OptionalInt(json::Member(*spec, "successfulJobsHistoryLimit"));
    r.failed_limit = OptionalInt(json::Member(*spec, "failedJobsHistoryLimit"));
  }
  r.time_zone = pool.Intern(tz != nullptr ? json::Str(tz) : std::string_view("local"));
  if (const rapidjson::Value* status = json::Member(o, "status"); status != nullptr) {
    const rapidjson::Value* active = json::Member(*status, "active");
    r.active = active != nullptr && active->IsArray() ? static_cast<std::int32_t>(active->Size()) : 0;
    r.last_schedule = UnixSeconds(json::Str(json::Member(*status, "lastScheduleTime")));
    r.last_successful = UnixSeconds(json::Str(json::Member(*status, "lastSuccessfulTime")));
  }
  // kube-state-metrics prefixes the schedule with CRON_TZ=<timeZone> when one is set. The next
  // time follows the last schedule time, else the creation time; nothing while suspended.
  auto parsed = cron::Schedule::Parse(tz != nullptr ? "CRON_TZ=" + std::string(json::Str(tz)) + " " + std::string(schedule)
                                                    : std::string(schedule));
  r.schedule_invalid = !parsed.has_value();
  const std::optional<std::int64_t> from = r.last_schedule ? r.last_schedule : r.created;
  if (parsed && from && !r.suspend) r.next_schedule = parsed->Next(*from);
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const CronJobRecord& r) {
  return w.Begin(name).Label("namespace", r.ns).Label("cronjob", r.name);
}

using R = CronJobRecord;
template <std::optional<std::int64_t> CronJobRecord::*F>
void Opt(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F) Id(w, n, r).Value(static_cast<double>(*(r.*F)));
}

constexpr Family<R> kFamilies[] = {
    {"kube_cronjob_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_cronjob_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_cronjob_info", "Info about cronjob.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       Id(w, n, r)
           .Label("schedule", r.schedule)
           .Label("concurrency_policy", r.concurrency_policy)
           .Label("timezone", r.time_zone)
           .Value(1);
     }},
    {"kube_cronjob_created", "Unix creation timestamp", true, &Opt<&R::created>},
    {"kube_cronjob_status_active", "Active holds pointers to currently running jobs.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(r.active); }},
    {"kube_cronjob_status_last_schedule_time",
     "LastScheduleTime keeps information of when was the last time the job was successfully scheduled.", true,
     &Opt<&R::last_schedule>},
    {"kube_cronjob_status_last_successful_time",
     "LastSuccessfulTime keeps information of when was the last time the job was completed successfully.", true,
     &Opt<&R::last_successful>},
    {"kube_cronjob_spec_suspend", "Suspend flag tells the controller to suspend subsequent executions.", true,
     [](const R& r, std::string_view n, TextWriter& w) { Id(w, n, r).Value(r.suspend ? 1 : 0); }},
    {"kube_cronjob_spec_starting_deadline_seconds",
     "Deadline in seconds for starting the job if it misses scheduled time for any reason.", true,
     &Opt<&R::starting_deadline>},
    {"kube_cronjob_next_schedule_time",
     "Next time the cronjob should be scheduled. The time after lastScheduleTime, or after the cron job's creation "
     "time if it's never been scheduled. Use this to determine if the job is delayed.",
     true, &Opt<&R::next_schedule>},
    {"kube_cronjob_schedule_invalid",
     "Emitted with value 1 for cronjobs whose schedule, in its configured timezone, cannot be parsed.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.schedule_invalid) Id(w, n, r).Value(1);
     }},
    {"kube_cronjob_metadata_resource_version", "Resource version representing a specific version of the cronjob.",
     true,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.resource_version) Id(w, n, r).Value(*r.resource_version);
     }},
    {"kube_cronjob_spec_successful_job_history_limit",
     "Successful job history limit tells the controller how many completed jobs should be preserved.", false,
     &Opt<&R::successful_limit>},
    {"kube_cronjob_spec_failed_job_history_limit",
     "Failed job history limit tells the controller how many failed jobs should be preserved.", false,
     &Opt<&R::failed_limit>},
};

constexpr FamilySet<R> kSet{"cronjobs", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> CronJobFamilies(const Options& o, const FamilyFilter& f) {
  return MakeStore(kSet, o, f);
}

}  // namespace kube9::collectors::ksm
