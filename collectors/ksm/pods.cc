// kube-state-metrics' pod and container families (its internal/store/pod.go, v2.20), the
// default ones (kube_pod_nodeselectors is opt-in there and not served here).
//
// Pods are most of a cluster's objects, so the record is the tightest: strings that repeat
// across pods (namespace, node, images, owners, reasons, service accounts) are interned,
// timestamps are 8 bytes with a sentinel for "absent", and nothing is pre-rendered.
#include <algorithm>
#include <array>
#include <limits>

#include "collectors/json_fields.h"
#include "collectors/ksm/family_set.h"
#include "collectors/ksm/registry.h"

namespace kube9::collectors::ksm {
namespace {

constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();

std::int64_t TimeOf(const rapidjson::Value* v) {
  auto t = UnixSeconds(json::Str(v));
  return t ? *t : kNoTime;
}

enum class State : std::uint8_t { kNone, kWaiting, kRunning, kTerminated };

// A container of the spec: what the info and resource families print.
struct SpecContainer {
  Interned name, image, restart_policy;  // restart_policy: init containers only
  std::vector<ResourceAmount> requests, limits;
};

// A container's status.
struct ContainerStatus {
  Interned name, image, image_id;
  std::string container_id;
  std::int32_t restarts = 0;
  bool ready = false;
  State state = State::kNone;
  Interned state_reason;            // waiting or terminated reason
  std::int64_t started = kNoTime;   // running or terminated startedAt
  std::int64_t finished = kNoTime;  // terminated finishedAt
  bool last_terminated = false;
  Interned last_reason;
  std::int32_t last_exit_code = 0;
  std::int64_t last_finished = kNoTime;
};

constexpr std::array<std::string_view, 8> kStatusReasons = {"Evicted",
                                                            "NodeAffinity",
                                                            "NodeLost",
                                                            "PreemptionByScheduler",
                                                            "SchedulingGated",
                                                            "Shutdown",
                                                            "TerminationByKubelet",
                                                            "UnexpectedAdmissionError"};
constexpr std::array<std::string_view, 5> kDisruptionReasons = {"PreemptionByScheduler", "DeletionByTaintManager",
                                                                "EvictionByEvictionAPI", "DeletionByPodGC",
                                                                "TerminationByKubelet"};
constexpr std::array<std::string_view, 5> kPhases = {"Pending", "Succeeded", "Failed", "Unknown", "Running"};
constexpr std::array<std::string_view, 3> kQosClasses = {"BestEffort", "Burstable", "Guaranteed"};

struct PodRecord {
  // namespace="…",pod="…",uid="…", rendered once (AppendLabelPair): every series of every family
  // starts with it, so at 10k pods x 59 families one copy of ~90 bytes replaces three labels
  // written from three places in memory.
  std::string id;
  Interned node, host_ip, created_by_kind, created_by_name, priority_class, restart_policy, runtime_class,
      service_account, scheduler;
  std::string pod_ip;
  bool host_network = false;
  struct Owner {
    Interned kind, name;
    bool controller = false;
  };
  std::vector<Owner> owners;
  std::int64_t created = kNoTime, deleted = kNoTime, start_time = kNoTime;
  std::int64_t initialized_time = kNoTime, ready_time = kNoTime, containers_ready_time = kNoTime,
               scheduled_time = kNoTime, unscheduled_time = kNoTime;
  struct Ip {
    std::string ip;
    char family;  // '4' or '6'
  };
  std::vector<Ip> ips;
  // 0 absent (no series), 1 + index in kPhases / kQosClasses, 0xff another value (all 0).
  std::uint8_t phase = 0, qos = 0;
  // The PodReady and PodScheduled conditions' statuses (Condition encoding), one entry each.
  std::vector<std::uint8_t> ready, scheduled;
  std::uint16_t status_reasons = 0;  // bit i: kStatusReasons[i]; bit 15: "Other"
  std::vector<Interned> disruption_reasons;
  struct Toleration {
    Interned key, op, value, effect, seconds;
  };
  std::vector<Toleration> tolerations;
  struct Volume {
    std::string volume, claim;
    bool ephemeral = false, read_only = false;
  };
  std::vector<Volume> volumes;
  struct Claim {
    std::string name, resourceclaim, template_name;
  };
  std::vector<Claim> claims;
  std::optional<double> overhead_cpu, overhead_memory;
  std::vector<SpecContainer> containers, init_containers;
  std::vector<ContainerStatus> statuses, init_statuses;
  LabelPairs labels, annotations;
};

std::vector<SpecContainer> ExtractSpecContainers(const rapidjson::Value* list, InternPool& pool) {
  std::vector<SpecContainer> out;
  json::ForEach(list, [&](const rapidjson::Value& c) {
    SpecContainer s;
    s.name = pool.Intern(json::Str(json::Member(c, "name")));
    s.image = pool.Intern(json::Str(json::Member(c, "image")));
    s.restart_policy = pool.Intern(json::Str(json::Member(c, "restartPolicy")));
    s.requests = ExtractAmounts(json::Path(c, {"resources", "requests"}), pool, AmountsOf::kContainer);
    s.limits = ExtractAmounts(json::Path(c, {"resources", "limits"}), pool, AmountsOf::kContainer);
    out.push_back(std::move(s));
  });
  return out;
}

std::vector<ContainerStatus> ExtractStatuses(const rapidjson::Value* list, InternPool& pool) {
  std::vector<ContainerStatus> out;
  json::ForEach(list, [&](const rapidjson::Value& c) {
    ContainerStatus s;
    s.name = pool.Intern(json::Str(json::Member(c, "name")));
    s.image = pool.Intern(json::Str(json::Member(c, "image")));
    s.image_id = pool.Intern(json::Str(json::Member(c, "imageID")));
    s.container_id = json::Str(json::Member(c, "containerID"));
    s.restarts = json::Int32(json::Member(c, "restartCount"));
    s.ready = json::IsTrue(json::Member(c, "ready"));
    const rapidjson::Value* state = json::Member(c, "state");
    if (const auto* w = state ? json::Member(*state, "waiting") : nullptr; w != nullptr && w->IsObject()) {
      s.state = State::kWaiting;
      s.state_reason = pool.Intern(json::Str(json::Member(*w, "reason")));
    } else if (const auto* r = state ? json::Member(*state, "running") : nullptr; r != nullptr && r->IsObject()) {
      s.state = State::kRunning;
      s.started = TimeOf(json::Member(*r, "startedAt"));
    } else if (const auto* t = state ? json::Member(*state, "terminated") : nullptr; t != nullptr && t->IsObject()) {
      s.state = State::kTerminated;
      s.state_reason = pool.Intern(json::Str(json::Member(*t, "reason")));
      s.started = TimeOf(json::Member(*t, "startedAt"));
      s.finished = TimeOf(json::Member(*t, "finishedAt"));
    }
    if (const auto* t = json::Path(c, {"lastState", "terminated"}); t != nullptr && t->IsObject()) {
      s.last_terminated = true;
      s.last_reason = pool.Intern(json::Str(json::Member(*t, "reason")));
      s.last_exit_code = json::Int32(json::Member(*t, "exitCode"));
      s.last_finished = TimeOf(json::Member(*t, "finishedAt"));
    }
    out.push_back(std::move(s));
  });
  return out;
}

// Go's zero time for an absent timestamp inside a present object: Unix() of 0001-01-01.
constexpr std::int64_t kGoZeroTime = -62135596800;
double Seconds(std::int64_t t) { return static_cast<double>(t == kNoTime ? kGoZeroTime : t); }

std::optional<PodRecord> Extract(const rapidjson::Value& o, ExtractContext& ctx) {
  if (!json::HasMetadata(o)) return std::nullopt;
  auto& pool = ctx.pool;
  PodRecord r;
  const std::string pod_name(json::Name(o));
  AppendLabelPair(r.id, "namespace", json::Str(json::Path(o, {"metadata", "namespace"})));
  AppendLabelPair(r.id, "pod", pod_name);
  AppendLabelPair(r.id, "uid", json::Str(json::Path(o, {"metadata", "uid"})));
  r.id.shrink_to_fit();
  r.created = TimeOf(json::Path(o, {"metadata", "creationTimestamp"}));
  r.deleted = TimeOf(json::Path(o, {"metadata", "deletionTimestamp"}));
  bool have_controller = false;
  json::ForEach(json::Path(o, {"metadata", "ownerReferences"}), [&](const rapidjson::Value& ref) {
    const bool controller = json::IsTrue(json::Member(ref, "controller"));
    r.owners.push_back({pool.Intern(json::Str(json::Member(ref, "kind"))),
                        pool.Intern(json::Str(json::Member(ref, "name"))), controller});
    if (controller && !have_controller) {  // metav1.GetControllerOf: the first controller
      have_controller = true;
      r.created_by_kind = pool.Intern(json::Str(json::Member(ref, "kind")));
      r.created_by_name = pool.Intern(json::Str(json::Member(ref, "name")));
    }
  });

  const rapidjson::Value* spec = json::Member(o, "spec");
  const rapidjson::Value* status = json::Member(o, "status");
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value& sp = spec != nullptr ? *spec : kEmpty;
  const rapidjson::Value& st = status != nullptr ? *status : kEmpty;

  r.node = pool.Intern(json::Str(json::Member(sp, "nodeName")));
  r.priority_class = pool.Intern(json::Str(json::Member(sp, "priorityClassName")));
  r.host_network = json::IsTrue(json::Member(sp, "hostNetwork"));
  r.restart_policy = pool.Intern(json::Str(json::Member(sp, "restartPolicy")));
  r.runtime_class = pool.Intern(json::Str(json::Member(sp, "runtimeClassName")));
  r.service_account = pool.Intern(json::Str(json::Member(sp, "serviceAccountName")));
  r.scheduler = pool.Intern(json::Str(json::Member(sp, "schedulerName")));
  if (const auto* overhead = json::Member(sp, "overhead"); overhead != nullptr && overhead->IsObject()) {
    if (auto q = ParseQuantity(json::Str(json::Member(*overhead, "cpu")))) {
      r.overhead_cpu = static_cast<double>(q->milli) / 1000;
    }
    if (auto q = ParseQuantity(json::Str(json::Member(*overhead, "memory")))) {
      r.overhead_memory = static_cast<double>(q->milli / 1000 + (q->milli % 1000 > 0 ? 1 : 0));
    }
  }
  // Tolerations, each distinct one once (kube-state-metrics' getUniqueTolerations).
  json::ForEach(json::Member(sp, "tolerations"), [&](const rapidjson::Value& t) {
    const rapidjson::Value* secs = json::Member(t, "tolerationSeconds");
    std::string seconds = secs != nullptr && secs->IsInt64() ? std::to_string(secs->GetInt64()) : "";
    PodRecord::Toleration tol{pool.Intern(json::Str(json::Member(t, "key"))),
                              pool.Intern(json::Str(json::Member(t, "operator"))),
                              pool.Intern(json::Str(json::Member(t, "value"))),
                              pool.Intern(json::Str(json::Member(t, "effect"))), pool.Intern(seconds)};
    const bool seen = std::any_of(r.tolerations.begin(), r.tolerations.end(), [&](const PodRecord::Toleration& x) {
      return x.key.view() == tol.key.view() && x.op.view() == tol.op.view() && x.value.view() == tol.value.view() &&
             x.effect.view() == tol.effect.view() && x.seconds.view() == tol.seconds.view();
    });
    if (!seen) r.tolerations.push_back(std::move(tol));
  });
  json::ForEach(json::Member(sp, "volumes"), [&](const rapidjson::Value& v) {
    const std::string_view name = json::Str(json::Member(v, "name"));
    if (const auto* pvc = json::Member(v, "persistentVolumeClaim"); pvc != nullptr && pvc->IsObject()) {
      r.volumes.push_back({std::string(name), std::string(json::Str(json::Member(*pvc, "claimName"))), false,
                           json::IsTrue(json::Member(*pvc, "readOnly"))});
    } else if (const auto* eph = json::Member(v, "ephemeral"); eph != nullptr && eph->IsObject()) {
      r.volumes.push_back({std::string(name), pod_name + "-" + std::string(name), true, false});
    }
  });
  // DRA claims: the status resolves a template's claim name.
  json::ForEach(json::Member(sp, "resourceClaims"), [&](const rapidjson::Value& c) {
    const rapidjson::Value* claim = json::Member(c, "resourceClaimName");
    const rapidjson::Value* tmpl = json::Member(c, "resourceClaimTemplateName");
    const bool has_claim = claim != nullptr && claim->IsString();
    const bool has_tmpl = tmpl != nullptr && tmpl->IsString();
    if (!has_claim && !has_tmpl) return;
    const std::string_view name = json::Str(json::Member(c, "name"));
    std::string resolved;
    if (has_claim) {
      resolved = json::Str(claim);
    } else {
      json::ForEach(json::Member(st, "resourceClaimStatuses"), [&](const rapidjson::Value& s) {
        const rapidjson::Value* rn = json::Member(s, "resourceClaimName");
        if (json::Str(json::Member(s, "name")) == name && rn != nullptr && rn->IsString()) resolved = json::Str(rn);
      });
    }
    r.claims.push_back({std::string(name), std::move(resolved), has_tmpl ? std::string(json::Str(tmpl)) : ""});
  });
  r.containers = ExtractSpecContainers(json::Member(sp, "containers"), pool);
  r.init_containers = ExtractSpecContainers(json::Member(sp, "initContainers"), pool);

  r.host_ip = pool.Intern(json::Str(json::Member(st, "hostIP")));
  r.pod_ip = json::Str(json::Member(st, "podIP"));
  r.start_time = TimeOf(json::Member(st, "startTime"));
  json::ForEach(json::Member(st, "podIPs"), [&](const rapidjson::Value& ip) {
    const std::string_view text = json::Str(json::Member(ip, "ip"));
    // netip.ParseAddr, roughly: an IPv4 dotted quad or an IPv6 address (an IPv4-mapped IPv6
    // address counts as IPv4, as Unmap() does).
    const bool v6 = text.find(':') != std::string_view::npos;
    bool valid = !text.empty();
    for (char ch : text) {
      if (!(std::isxdigit(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == ':')) valid = false;
    }
    if (!valid) return;
    const bool mapped = v6 && text.starts_with("::ffff:") && text.find('.') != std::string_view::npos;
    r.ips.push_back({std::string(text), v6 && !mapped ? '6' : '4'});
  });
  const std::string_view phase = json::Str(json::Member(st, "phase"));
  if (!phase.empty()) {
    auto it = std::find(kPhases.begin(), kPhases.end(), phase);
    r.phase = it == kPhases.end() ? 0xff : static_cast<std::uint8_t>(1 + (it - kPhases.begin()));
  }
  const std::string_view qos = json::Str(json::Member(st, "qosClass"));
  if (!qos.empty()) {
    auto it = std::find(kQosClasses.begin(), kQosClasses.end(), qos);
    r.qos = it == kQosClasses.end() ? 0xff : static_cast<std::uint8_t>(1 + (it - kQosClasses.begin()));
  }
  const std::string_view reason = json::Str(json::Member(st, "reason"));
  auto mark_reason = [&](std::string_view why) {
    auto it = std::find(kStatusReasons.begin(), kStatusReasons.end(), why);
    if (it != kStatusReasons.end()) r.status_reasons |= static_cast<std::uint16_t>(1u << (it - kStatusReasons.begin()));
  };
  mark_reason(reason);
  if (!reason.empty() && std::find(kStatusReasons.begin(), kStatusReasons.end(), reason) == kStatusReasons.end()) {
    r.status_reasons |= 1u << 15;
  }
  json::ForEach(json::Member(st, "conditions"), [&](const rapidjson::Value& c) {
    const std::string_view type = json::Str(json::Member(c, "type"));
    const std::uint8_t code = ConditionStatusOf(json::Str(json::Member(c, "status")));
    const std::int64_t changed = TimeOf(json::Member(c, "lastTransitionTime"));
    const std::string_view why = json::Str(json::Member(c, "reason"));
    mark_reason(why);
    if (type == "Ready") {
      r.ready.push_back(code);
      if (code == 0) r.ready_time = changed == kNoTime ? kGoZeroTime : changed;
    } else if (type == "PodScheduled") {
      r.scheduled.push_back(code);
      if (code == 0) r.scheduled_time = changed == kNoTime ? kGoZeroTime : changed;
      if (code == 1) r.unscheduled_time = changed == kNoTime ? kGoZeroTime : changed;
    } else if (type == "Initialized") {
      if (code == 0) r.initialized_time = changed == kNoTime ? kGoZeroTime : changed;
    } else if (type == "ContainersReady") {
      if (code == 0) r.containers_ready_time = changed == kNoTime ? kGoZeroTime : changed;
    } else if (type == "DisruptionTarget") {
      const bool known =
          std::find(kDisruptionReasons.begin(), kDisruptionReasons.end(), why) != kDisruptionReasons.end();
      r.disruption_reasons.push_back(pool.Intern(known ? why : "Other"));
    }
  });
  r.statuses = ExtractStatuses(json::Member(st, "containerStatuses"), pool);
  r.init_statuses = ExtractStatuses(json::Member(st, "initContainerStatuses"), pool);
  for (const auto& s : r.statuses) {
    if (s.state == State::kTerminated) mark_reason(s.state_reason);
  }
  ExtractLabelPairs(o, ctx, r.labels, r.annotations);
  return r;
}

TextWriter& Id(TextWriter& w, std::string_view name, const PodRecord& r) {
  return w.Begin(name).Labels(r.id);
}

using R = PodRecord;
using Fn = void (*)(const R&, std::string_view, TextWriter&);

// --- per-container families, for containers and init containers alike ---------------------

template <bool Init>
const std::vector<ContainerStatus>& Statuses(const R& r) {
  return Init ? r.init_statuses : r.statuses;
}
template <bool Init>
const std::vector<SpecContainer>& Specs(const R& r) {
  return Init ? r.init_containers : r.containers;
}

template <bool Init>
void Info(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& c : Specs<Init>(r)) {
    for (const auto& s : Statuses<Init>(r)) {
      if (s.name.view() != c.name.view()) continue;
      Id(w, n, r)
          .Label("container", s.name)
          .Label("image_spec", c.image)
          .Label("image", s.image)
          .Label("image_id", s.image_id)
          .Label("container_id", s.container_id);
      if (Init) w.Label("restart_policy", c.restart_policy);
      w.Value(1);
    }
  }
}

template <bool Init, bool Limits>
void Resources(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& c : Specs<Init>(r)) {
    for (const auto& a : Limits ? c.limits : c.requests) {
      Id(w, n, r)
          .Label("container", c.name)
          .Label("node", r.node)
          .Label("resource", a.resource)
          .Label("unit", UnitName(a.unit))
          .Value(a.value);
    }
  }
}

// A family with one series per container status: `value` gives the value, or nullopt to skip.
template <bool Init, auto Value>
void PerStatus(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& s : Statuses<Init>(r)) {
    const std::optional<double> v = Value(s);
    if (v) Id(w, n, r).Label("container", s.name).Value(*v);
  }
}
// The same with a `reason` label.
template <bool Init, auto Reason>
void PerStatusReason(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& s : Statuses<Init>(r)) {
    const Interned* reason = Reason(s);
    if (reason != nullptr) Id(w, n, r).Label("container", s.name).Label("reason", *reason).Value(1);
  }
}

constexpr auto kStarted = [](const ContainerStatus& s) -> std::optional<double> {
  if (s.state != State::kRunning && s.state != State::kTerminated) return std::nullopt;
  return Seconds(s.started);
};
constexpr auto kLastExitCode = [](const ContainerStatus& s) -> std::optional<double> {
  if (!s.last_terminated) return std::nullopt;
  return s.last_exit_code;
};
constexpr auto kLastFinished = [](const ContainerStatus& s) -> std::optional<double> {
  if (!s.last_terminated) return std::nullopt;
  return Seconds(s.last_finished);
};
constexpr auto kReady = [](const ContainerStatus& s) -> std::optional<double> { return s.ready ? 1 : 0; };
constexpr auto kRestarts = [](const ContainerStatus& s) -> std::optional<double> { return s.restarts; };
constexpr auto kRunning = [](const ContainerStatus& s) -> std::optional<double> {
  return s.state == State::kRunning ? 1 : 0;
};
constexpr auto kTerminated = [](const ContainerStatus& s) -> std::optional<double> {
  return s.state == State::kTerminated ? 1 : 0;
};
constexpr auto kWaiting = [](const ContainerStatus& s) -> std::optional<double> {
  return s.state == State::kWaiting ? 1 : 0;
};
constexpr auto kLastReason = [](const ContainerStatus& s) -> const Interned* {
  return s.last_terminated ? &s.last_reason : nullptr;
};
constexpr auto kTerminatedReason = [](const ContainerStatus& s) -> const Interned* {
  return s.state == State::kTerminated ? &s.state_reason : nullptr;
};
constexpr auto kWaitingReason = [](const ContainerStatus& s) -> const Interned* {
  return s.state == State::kWaiting ? &s.state_reason : nullptr;
};

// --- per-pod families -------------------------------------------------------------------------

template <std::int64_t PodRecord::*F>
void Time(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F != kNoTime) Id(w, n, r).Value(static_cast<double>(r.*F));
}

template <Interned PodRecord::*F, const char* Label>
void Named(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r).Label(Label, r.*F).Value(1);
}

template <std::vector<std::uint8_t> PodRecord::*F>
void ConditionFamily(const R& r, std::string_view n, TextWriter& w) {
  static constexpr std::string_view kStatus[] = {"true", "false", "unknown"};
  for (std::uint8_t code : r.*F) {
    for (std::uint8_t i = 0; i < 3; ++i) Id(w, n, r).Label("condition", kStatus[i]).Value(code == i ? 1 : 0);
  }
}

void CompletionTime(const R& r, std::string_view n, TextWriter& w) {
  double last = 0;
  for (const auto& s : r.statuses) {
    if (s.state != State::kTerminated) continue;
    const double f = Seconds(s.finished);
    if (last == 0 || last < f) last = f;
  }
  if (last > 0) Id(w, n, r).Value(last);
}

void PodInfo(const R& r, std::string_view n, TextWriter& w) {
  Id(w, n, r)
      .Label("host_ip", r.host_ip)
      .Label("pod_ip", r.pod_ip)
      .Label("node", r.node)
      .Label("created_by_kind", r.created_by_kind)
      .Label("created_by_name", r.created_by_name)
      .Label("priority_class", r.priority_class)
      .Label("host_network", r.host_network ? "true" : "false")
      .Value(1);
}

void Ips(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& ip : r.ips)
    Id(w, n, r).Label("ip", ip.ip).Label("ip_family", std::string_view(&ip.family, 1)).Value(1);
}

void Owners(const R& r, std::string_view n, TextWriter& w) {
  if (r.owners.empty()) {
    Id(w, n, r).Label("owner_kind", "").Label("owner_name", "").Label("owner_is_controller", "").Value(1);
  }
  for (const auto& o : r.owners) {
    Id(w, n, r)
        .Label("owner_kind", o.kind)
        .Label("owner_name", o.name)
        .Label("owner_is_controller", o.controller ? "true" : "false")
        .Value(1);
  }
}

void Claims(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& c : r.claims) {
    Id(w, n, r)
        .Label("claim_name", c.name)
        .Label("resourceclaim_name", c.resourceclaim)
        .Label("resourceclaim_template_name", c.template_name)
        .Value(1);
  }
}

template <bool ReadOnly>
void Volumes(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& v : r.volumes) {
    Id(w, n, r)
        .Label("volume", v.volume)
        .Label("persistentvolumeclaim", v.claim)
        .Label("ephemeral", v.ephemeral ? "true" : "false")
        .Value(ReadOnly ? (v.read_only ? 1 : 0) : 1);
  }
}

template <std::uint8_t PodRecord::*F, const auto& Names, const char* Label>
void OneOf(const R& r, std::string_view n, TextWriter& w) {
  if (r.*F == 0) return;
  for (std::size_t i = 0; i < Names.size(); ++i) Id(w, n, r).Label(Label, Names[i]).Value(r.*F == i + 1 ? 1 : 0);
}

void StatusReasons(const R& r, std::string_view n, TextWriter& w) {
  for (std::size_t i = 0; i < kStatusReasons.size(); ++i) {
    if ((r.status_reasons & (1u << i)) != 0) Id(w, n, r).Label("reason", kStatusReasons[i]).Value(1);
  }
  if ((r.status_reasons & (1u << 15)) != 0) Id(w, n, r).Label("reason", "Other").Value(1);
}

void Tolerations(const R& r, std::string_view n, TextWriter& w) {
  for (const auto& t : r.tolerations) {
    Id(w, n, r)
        .Label("key", t.key)
        .Label("operator", t.op)
        .Label("value", t.value)
        .Label("effect", t.effect)
        .Label("toleration_seconds", t.seconds)
        .Value(1);
  }
}

constexpr char kPhaseLabel[] = "phase";
constexpr char kQosLabel[] = "qos_class";
constexpr char kTypeLabel[] = "type";
constexpr char kRuntimeClassLabel[] = "runtimeclass_name";
constexpr char kServiceAccountLabel[] = "service_account";
constexpr char kNameLabel[] = "name";

constexpr Family<R> kFamilies[] = {
    {"kube_pod_completion_time", "Completion time in unix timestamp for a pod.", true, &CompletionTime},
    {"kube_pod_container_info", "Information about a container in a pod.", true, &Info<false>},
    {"kube_pod_container_resource_limits",
     "The number of requested limit resource by a container. It is recommended to use the kube_pod_resource_limits "
     "metric exposed by kube-scheduler instead, as it is more precise.",
     true, &Resources<false, true>},
    {"kube_pod_container_resource_requests",
     "The number of requested request resource by a container. It is recommended to use the "
     "kube_pod_resource_requests metric exposed by kube-scheduler instead, as it is more precise.",
     true, &Resources<false, false>},
    {"kube_pod_container_state_started", "Start time in unix timestamp for a pod container.", true,
     &PerStatus<false, kStarted>},
    {"kube_pod_container_status_last_terminated_reason",
     "Describes the last reason the container was in terminated state.", false, &PerStatusReason<false, kLastReason>},
    {"kube_pod_container_status_last_terminated_exitcode",
     "Describes the exit code for the last container in terminated state.", false, &PerStatus<false, kLastExitCode>},
    {"kube_pod_container_status_last_terminated_timestamp",
     "Last terminated time for a pod container in unix timestamp.", false, &PerStatus<false, kLastFinished>},
    {"kube_pod_container_status_ready", "Describes whether the containers readiness check succeeded.", true,
     &PerStatus<false, kReady>},
    {"kube_pod_container_status_restarts_total", "The number of container restarts per container.", true,
     &PerStatus<false, kRestarts>, FamilyKind::kSeries, "counter"},
    {"kube_pod_container_status_running", "Describes whether the container is currently in running state.", true,
     &PerStatus<false, kRunning>},
    {"kube_pod_container_status_terminated", "Describes whether the container is currently in terminated state.", true,
     &PerStatus<false, kTerminated>},
    {"kube_pod_container_status_terminated_reason",
     "Describes the reason the container is currently in terminated state.", false,
     &PerStatusReason<false, kTerminatedReason>},
    {"kube_pod_container_status_waiting", "Describes whether the container is currently in waiting state.", true,
     &PerStatus<false, kWaiting>},
    {"kube_pod_container_status_waiting_reason", "Describes the reason the container is currently in waiting state.",
     true, &PerStatusReason<false, kWaitingReason>},
    {"kube_pod_created", "Unix creation timestamp", true, &Time<&R::created>},
    {"kube_pod_deletion_timestamp", "Unix deletion timestamp", false, &Time<&R::deleted>},
    {"kube_pod_info", "Information about pod.", true, &PodInfo},
    {"kube_pod_ips", "Pod IP addresses", false, &Ips},
    {"kube_pod_init_container_info", "Information about an init container in a pod.", true, &Info<true>},
    {"kube_pod_init_container_resource_limits", "The number of requested limit resource by an init container.", false,
     &Resources<true, true>},
    {"kube_pod_init_container_resource_requests", "The number of requested request resource by an init container.",
     false, &Resources<true, false>},
    {"kube_pod_init_container_state_started", "Start time in unix timestamp for a pod init container.", false,
     &PerStatus<true, kStarted>},
    {"kube_pod_init_container_status_last_terminated_reason",
     "Describes the last reason the init container was in terminated state.", false,
     &PerStatusReason<true, kLastReason>},
    {"kube_pod_init_container_status_last_terminated_exitcode",
     "Describes the exit code for the last init container in terminated state.", false,
     &PerStatus<true, kLastExitCode>},
    {"kube_pod_init_container_status_last_terminated_timestamp",
     "Last terminated time for a pod init container in unix timestamp.", false, &PerStatus<true, kLastFinished>},
    {"kube_pod_init_container_status_ready", "Describes whether the init containers readiness check succeeded.", true,
     &PerStatus<true, kReady>},
    {"kube_pod_init_container_status_restarts_total", "The number of restarts for the init container.", true,
     &PerStatus<true, kRestarts>, FamilyKind::kSeries, "counter"},
    {"kube_pod_init_container_status_running", "Describes whether the init container is currently in running state.",
     true, &PerStatus<true, kRunning>},
    {"kube_pod_init_container_status_terminated",
     "Describes whether the init container is currently in terminated state.", true, &PerStatus<true, kTerminated>},
    {"kube_pod_init_container_status_terminated_reason",
     "Describes the reason the init container is currently in terminated state.", false,
     &PerStatusReason<true, kTerminatedReason>},
    {"kube_pod_init_container_status_waiting", "Describes whether the init container is currently in waiting state.",
     true, &PerStatus<true, kWaiting>},
    {"kube_pod_init_container_status_waiting_reason",
     "Describes the reason the init container is currently in waiting state.", false,
     &PerStatusReason<true, kWaitingReason>},
    {"kube_pod_annotations", "Kubernetes annotations converted to Prometheus labels.", false, nullptr,
     FamilyKind::kAnnotations},
    {"kube_pod_labels", "Kubernetes labels converted to Prometheus labels.", true, nullptr, FamilyKind::kLabels},
    {"kube_pod_overhead_cpu_cores", "The pod overhead in regards to cpu cores associated with running a pod.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.overhead_cpu) Id(w, n, r).Value(*r.overhead_cpu);
     }},
    {"kube_pod_overhead_memory_bytes", "The pod overhead in regards to memory associated with running a pod.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (r.overhead_memory) Id(w, n, r).Value(*r.overhead_memory);
     }},
    {"kube_pod_owner", "Information about the Pod's owner.", true, &Owners},
    {"kube_pod_resourceclaim_info",
     "Information about a DRA ResourceClaim referenced by a pod, one series per pod.spec.resourceClaims entry; "
     "claim_name is the pod-local reference and resourceclaim_name is the resolved ResourceClaim object name.",
     false, &Claims},
    {"kube_pod_restart_policy", "Describes the restart policy in use by this pod.", true,
     &Named<&R::restart_policy, kTypeLabel>},
    {"kube_pod_runtimeclass_name_info", "The runtimeclass associated with the pod.", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       if (!r.runtime_class.view().empty()) Id(w, n, r).Label(kRuntimeClassLabel, r.runtime_class).Value(1);
     }},
    {"kube_pod_spec_volumes_persistentvolumeclaims_info",
     "Information about persistentvolumeclaim and ephemeral volumes in a pod.", true, &Volumes<false>},
    {"kube_pod_spec_volumes_persistentvolumeclaims_readonly",
     "Describes whether a persistentvolumeclaim is mounted read only. Ephemeral volumes always report 0 since the "
     "ephemeral volume source does not support a read-only flag.",
     true, &Volumes<true>},
    {"kube_pod_start_time", "Start time in unix timestamp for a pod.", true, &Time<&R::start_time>},
    {"kube_pod_status_phase", "The pods current phase.", true, &OneOf<&R::phase, kPhases, kPhaseLabel>},
    {"kube_pod_status_qos_class", "The pods current qosClass.", false, &OneOf<&R::qos, kQosClasses, kQosLabel>},
    {"kube_pod_status_ready", "Describes whether the pod is ready to serve requests.", true,
     &ConditionFamily<&R::ready>},
    {"kube_pod_status_ready_time", "Readiness achieved time in unix timestamp for a pod.", false,
     &Time<&R::ready_time>},
    {"kube_pod_status_initialized_time", "Initialized time in unix timestamp for a pod.", false,
     &Time<&R::initialized_time>},
    {"kube_pod_status_container_ready_time", "Readiness achieved time in unix timestamp for a pod containers.", false,
     &Time<&R::containers_ready_time>},
    {"kube_pod_status_reason", "The pod status reasons", false, &StatusReasons},
    {"kube_pod_status_disruption_reason", "The pod disruption condition reason", false,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (const auto& why : r.disruption_reasons) Id(w, n, r).Label("reason", why).Value(1);
     }},
    {"kube_pod_status_scheduled", "Describes the status of the scheduling process for the pod.", true,
     &ConditionFamily<&R::scheduled>},
    {"kube_pod_status_scheduled_time", "Unix timestamp when pod moved into scheduled status", true,
     &Time<&R::scheduled_time>},
    {"kube_pod_status_unschedulable", "Describes the unschedulable status for the pod.", true,
     [](const R& r, std::string_view n, TextWriter& w) {
       for (std::uint8_t code : r.scheduled) {
         if (code == 1) Id(w, n, r).Value(1);
       }
     }},
    {"kube_pod_status_unscheduled_time", "Unix timestamp when pod moved into unscheduled status", false,
     &Time<&R::unscheduled_time>},
    {"kube_pod_tolerations", "Information about the pod tolerations", false, &Tolerations},
    {"kube_pod_service_account", "The service account for a pod.", false,
     &Named<&R::service_account, kServiceAccountLabel>},
    {"kube_pod_scheduler", "The scheduler for a pod.", false, &Named<&R::scheduler, kNameLabel>},
};

constexpr FamilySet<R> kSet{"pods", &Extract, &Id, kFamilies};

}  // namespace

std::unique_ptr<FamilyStore> PodFamilies(const Options& o, const FamilyFilter& f) { return MakeStore(kSet, o, f); }

}  // namespace kube9::collectors::ksm
