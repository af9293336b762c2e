#include "kube/reflector.h"

#include <algorithm>

#include "base/log.h"

namespace kube9::kube {
namespace {
std::uint64_t SeedOr(std::uint64_t seed) { return seed != 0 ? seed : std::random_device{}(); }

std::string_view ResourceVersionOf(const rapidjson::Value& obj) {
  if (!obj.IsObject()) return {};
  auto meta = obj.FindMember("metadata");
  if (meta == obj.MemberEnd() || !meta->value.IsObject()) return {};
  auto rv = meta->value.FindMember("resourceVersion");
  if (rv == meta->value.MemberEnd() || !rv->value.IsString()) return {};
  return {rv->value.GetString(), rv->value.GetStringLength()};
}
}  // namespace

Reflector::Reflector(ReflectorOptions options, Client& client, ReflectorHandler& handler,
                     const base::Clock& clock, ReflectorObserver* observer)
    : options_(std::move(options)),
      client_(client),
      handler_(handler),
      clock_(clock),
      observer_(observer),
      backoff_(options_.backoff, SeedOr(options_.seed)),
      rng_(SeedOr(options_.seed) + 1) {}

std::optional<Reflector::Failure> Reflector::failing() const {
  std::lock_guard lock(failure_mu_);
  return failing_;
}

void Reflector::MarkFailed(const ApiError& error) {
  std::lock_guard lock(failure_mu_);
  if (!failing_) failing_ = Failure{clock_.Now(), error};
  else failing_->last_error = error;
  failing_flag_ = true;
}

void Reflector::MarkHealthy() {
  if (!failing_flag_.load()) return;
  std::lock_guard lock(failure_mu_);
  failing_.reset();
  failing_flag_ = false;
}

bool Reflector::WaitAfter(const ApiError& error, const base::StopSignal& stop) {
  MarkFailed(error);
  if (observer_) observer_->OnError(options_.resource, error);
  base::Millis delay = backoff_.Next();
  if (error.retry_after) delay = std::min(std::max(delay, *error.retry_after), options_.max_retry_after);
  log::Warn("list/watch failed; retrying",
            {{"resource", options_.resource}, {"error", error.ToString()}, {"retry_in_ms", delay.count()}});
  return clock_.SleepFor(delay, stop);
}

void Reflector::Run(const base::StopSignal& stop) {
  std::string reason = "initial";
  while (!stop.stopped()) {
    if (observer_) observer_->OnRelist(options_.resource, reason);
    handler_.OnSyncStart();
    auto listed = client_.List(options_.path, options_.resource, options_.list,
                               [this](const rapidjson::Value& obj) { handler_.OnListed(obj); }, stop);
    if (stop.stopped()) return;
    if (!listed.ok()) {
      reason = "error";
      if (WaitAfter(listed.error(), stop)) return;
      continue;
    }
    if (listed->skipped > 0) {
      // Once per list: the same objects are skipped again by every relist until they shrink.
      handler_.OnSkipped(listed->skipped);
      log::Warn("objects the API server sent are beyond the operator's limits; left out",
                {{"resource", options_.resource},
                 {"skipped", listed->skipped},
                 {"largest_bytes", listed->largest_skipped_bytes},
                 {"reason", listed->skip_reason}});
    }
    handler_.OnSynced();
    synced_ = true;
    MarkHealthy();
    if (observer_) observer_->OnSynced(options_.resource, listed->items);
    log::Debug("listed", {{"resource", options_.resource}, {"objects", listed->items}, {"pages", listed->pages}});

    std::string rv = listed->resource_version;
    std::uniform_int_distribution<int> spread(0, options_.watch_timeout_min_seconds);
    for (;;) {
      WatchOptions wo;
      wo.resource_version = rv;
      wo.label_selector = options_.list.label_selector;
      wo.field_selector = options_.list.field_selector;
      wo.timeout_seconds = options_.watch_timeout_min_seconds + spread(rng_);
      // A watch can stay open for minutes: it counts as a success once the server accepts it.
      wo.on_open = [this] { MarkHealthy(); };
      const auto started = clock_.Now();
      auto watched = client_.Watch(
          options_.path, options_.resource, wo,
          [this, &rv](EventType type, const rapidjson::Value& obj) {
            if (observer_) observer_->OnWatchEvent(options_.resource, type);
            if (type != EventType::kBookmark) handler_.OnEvent(type, obj);
            // Applied: a watch that breaks after this resumes here, not from where it began
            // (which may be compacted away by then, and would cost a relist).
            if (auto v = ResourceVersionOf(obj); !v.empty()) rv = v;
          },
          stop);
      if (stop.stopped()) return;
      if (watched.ok()) {
        rv = watched->resource_version;
        // A watch the server ends at once, with nothing in it, must not become a busy loop.
        if (watched->events == 0 && clock_.Now() - started < std::chrono::seconds(1)) {
          if (clock_.SleepFor(backoff_.Next(), stop)) return;
        } else {
          backoff_.Reset();
        }
        continue;
      }
      const ApiError& err = watched.error();
      if (err.kind == ErrorKind::kGone) {
        reason = "expired";  // relist at once: our resourceVersion was compacted away
        if (observer_) observer_->OnError(options_.resource, err);
        break;
      }
      if (WaitAfter(err, stop)) return;
      if (err.kind == ErrorKind::kDecode) {
        reason = "decode_error";
        break;
      }
      // Otherwise re-watch from the same resourceVersion; if it has expired meanwhile the
      // server answers 410 and we relist.
    }
  }
}

}  // namespace kube9::kube
