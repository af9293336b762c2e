#include "collectors/collector_set.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time_format.h"
#include "collectors/extract.h"

namespace kube9::collectors {
namespace {

kube::ReflectorOptions ReflectorOptionsFor(const ResourceKind& kind, int page_size) {
  kube::ReflectorOptions options;
  options.resource = std::string(kind.name);
  options.path = std::string(kind.path);
  options.list.limit = page_size;
  return options;
}

}  // namespace

namespace {
// Feeds two handlers from one reflector, in order.
class TeeHandler final : public kube::ReflectorHandler {
 public:
  TeeHandler(kube::ReflectorHandler& a, kube::ReflectorHandler& b) : a_(a), b_(b) {}
  void OnSyncStart() override {
    a_.OnSyncStart();
    b_.OnSyncStart();
  }
  void OnListed(const rapidjson::Value& object) override {
    a_.OnListed(object);
    b_.OnListed(object);
  }
  void OnSynced() override {
    a_.OnSynced();
    b_.OnSynced();
  }
  void OnEvent(kube::EventType type, const rapidjson::Value& object) override {
    a_.OnEvent(type, object);
    b_.OnEvent(type, object);
  }
  void OnSkipped(std::size_t count) override {
    a_.OnSkipped(count);
    b_.OnSkipped(count);
  }

 private:
  kube::ReflectorHandler& a_;
  kube::ReflectorHandler& b_;
};
}  // namespace

CollectorSet::CollectorSet(const std::vector<std::string>& enabled, kube::Client& client, const base::Clock& clock,
                           kube::ReflectorObserver* observer, int page_size, kube::ReflectorHandler* events_history,
                           const AlsoFeed& also_feed, Sharding sharding)
    : client_(client), clock_(clock), observer_(observer), page_size_(page_size), stores_(sharding) {
  auto want = [&](std::string_view name) { return std::find(enabled.begin(), enabled.end(), name) != enabled.end(); };
  for (const Registration& reg : Registry()) {
    if (!want(reg.kind.name)) continue;
    if (reg.optional()) {
      optional_enabled_.push_back(&reg);
      continue;
    }
    kube::ReflectorHandler* handler = nullptr;
    StoreBase* store = nullptr;
    if (reg.add_store != nullptr) {
      handler = store = reg.add_store(stores_);
    } else if (reg.kind.name == kEvents.name) {
      handler = events_history;  // the history has its own metrics; off when it is
    }
    if (handler == nullptr) continue;
    Running r;
    if (kube::ReflectorHandler* second = also_feed ? also_feed(reg.kind.name) : nullptr; second != nullptr) {
      r.tee = std::make_unique<TeeHandler>(*handler, *second);
      handler = r.tee.get();
    }
    r.name = std::string(reg.kind.name);
    r.store = handler;
    r.stats_store = store;
    r.reflector =
        std::make_unique<kube::Reflector>(ReflectorOptionsFor(reg.kind, page_size), client, *handler, clock, observer);
    running_.push_back(std::move(r));
  }
}

CollectorSet::~CollectorSet() { Join(); }

void CollectorSet::Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures) {
  for (auto& r : running_) {
    // A reflector starts over with a LIST, so a restart after a failure loses nothing.
    r.thread = base::StartRestartingThread(
        "w:" + r.name, [&r, &stop] { r.reflector->Run(stop); }, failures, clock_, stop);
  }
  std::optional<ServedApis> served;
  {
    std::lock_guard change(change_mu_);
    global_stop_ = &stop;
    failures_ = &failures;
    served = served_;
  }
  if (served) SetServedApis(*served);  // what discovery found before the start
}

void CollectorSet::Join() {
  {
    std::lock_guard change(change_mu_);
    joined_ = true;
    std::vector<std::unique_ptr<OptionalRunning>> stopping;
    {
      std::lock_guard lock(optional_mu_);
      stopping.swap(optional_);
    }
    for (auto& r : stopping) r->stop->Stop();  // all at once: they end in parallel
    for (auto& r : stopping) {
      if (r->thread.joinable()) r->thread.join();
    }
  }
  for (auto& r : running_) {
    if (r.thread.joinable()) r.thread.join();
  }
}

std::unique_ptr<CollectorSet::OptionalRunning> CollectorSet::MakeOptional(const Registration& reg) const {
  auto r = std::make_unique<OptionalRunning>();
  r->reg = &reg;
  r->store = reg.make_store();
  r->stop = std::make_unique<base::StopSignal>();
  r->reflector = std::make_unique<kube::Reflector>(ReflectorOptionsFor(reg.kind, page_size_), client_, *r->store,
                                                   clock_, observer_);
  return r;
}

void CollectorSet::StopOptional(OptionalRunning& r) {
  r.stop->Stop();
  if (r.thread.joinable()) r.thread.join();
  if (observer_ != nullptr) observer_->OnStopped(r.reg->kind.name);
}

void CollectorSet::SetServedApis(const ServedApis& served) {
  std::lock_guard change(change_mu_);
  served_ = served;
  if (joined_ || global_stop_ == nullptr) return;  // not started yet, or stopping for good
  const bool report_off = !std::exchange(reported_off_, true);
  for (const Registration* reg : optional_enabled_) {
    const bool wanted = served.contains(ServedKeyOf(*reg));
    if (!wanted && report_off) {
      // Once, so that an operator without VPA or Argo CD says why their collectors do not run.
      log::Info("optional collector off: its API is not served (API discovery looks again every interval)",
                {{"collector", std::string(reg->kind.name)}, {"api", ServedKeyOf(*reg)}});
    }
    std::unique_ptr<OptionalRunning> stopping;
    {
      std::lock_guard lock(optional_mu_);
      auto it = std::find_if(optional_.begin(), optional_.end(), [&](const auto& r) { return r->reg == reg; });
      const bool running = it != optional_.end();
      if (wanted == running) continue;
      if (running) {
        stopping = std::move(*it);
        optional_.erase(it);
      }
    }
    const std::string name(reg->kind.name);
    if (stopping) {
      log::Info("optional collector stopped: its API is no longer served",
                {{"collector", name}, {"api", ServedKeyOf(*reg)}});
      StopOptional(*stopping);
      continue;
    }
    auto r = MakeOptional(*reg);
    // Its own stop signal, so that it can end alone; Join stops it with the rest.
    OptionalRunning& ref = *r;
    r->thread = base::StartRestartingThread(
        "w:" + name, [&ref] { ref.reflector->Run(*ref.stop); }, *failures_, clock_, *ref.stop);
    log::Info("optional collector started: its API is served", {{"collector", name}, {"api", ServedKeyOf(*reg)}});
    std::lock_guard lock(optional_mu_);
    // Registry order, so that Stats and Failures list collectors in a stable order.
    auto pos = std::find_if(optional_.begin(), optional_.end(), [&](const auto& o) { return o->reg > reg; });
    optional_.insert(pos, std::move(r));
  }
}

std::shared_ptr<const StoreBase> CollectorSet::FindOptionalByName(std::string_view name) const {
  std::lock_guard lock(optional_mu_);
  for (const auto& r : optional_) {
    if (r->reg->kind.name == name) return r->reflector->synced() ? r->store : nullptr;
  }
  return nullptr;
}

std::vector<std::string> CollectorSet::RunningOptional() const {
  std::lock_guard lock(optional_mu_);
  std::vector<std::string> out;
  for (const auto& r : optional_) out.emplace_back(r->reg->kind.name);
  return out;
}

OptionalStores CollectorSet::SyncedOptional() const {
  std::lock_guard lock(optional_mu_);
  OptionalStores out;
  for (const auto& r : optional_) {
    if (r->reflector->synced()) out.Add(r->reg->kind.name, r->store);
  }
  return out;
}

std::vector<std::string> CollectorSet::UnsyncedOptional() const {
  std::lock_guard lock(optional_mu_);
  std::vector<std::string> out;
  for (const auto& r : optional_) {
    if (!r->reflector->synced()) out.emplace_back(r->reg->kind.name);
  }
  return out;
}

std::vector<std::string> CollectorSet::Unsynced() const {
  std::vector<std::string> out;
  for (const auto& r : running_) {
    // The events history's first LIST can be long (a cluster may hold tens of thousands of
    // events) and no aggregate needs it: it does not hold readiness or the samples back.
    if (r.stats_store != nullptr && !r.reflector->synced()) out.push_back(r.name);
  }
  return out;
}

std::vector<CollectorFailure> CollectorSet::Failures() const {
  std::vector<CollectorFailure> out;
  const auto now = clock_.Now();
  for (const auto& r : running_) {
    if (auto f = r.reflector->failing()) {
      out.push_back({r.name, std::chrono::duration_cast<base::Millis>(now - f->since), f->last_error});
    }
  }
  std::lock_guard lock(optional_mu_);
  for (const auto& r : optional_) {
    // Not found: its API went away since the last discovery, which will stop it; not a fault.
    if (auto f = r->reflector->failing(); f && f->last_error.kind != kube::ErrorKind::kNotFound) {
      out.push_back(
          {std::string(r->reg->kind.name), std::chrono::duration_cast<base::Millis>(now - f->since), f->last_error});
    }
  }
  return out;
}

std::optional<std::string> DescribeCollectorFailures(const std::vector<CollectorFailure>& failures,
                                                     base::Millis threshold) {
  std::vector<const CollectorFailure*> failing;
  for (const auto& f : failures) {
    if (f.failing_for > threshold) failing.push_back(&f);
  }
  if (failing.empty()) return std::nullopt;
  // Whole seconds: the text should not change at every write for sub-second noise.
  auto age = [](const CollectorFailure& f) {
    return base::FormatDuration(std::chrono::duration_cast<std::chrono::seconds>(f.failing_for));
  };
  if (failing.size() == 1) {
    const auto& f = *failing.front();
    return fmt::format("collector {} failing for {}: {}", f.collector, age(f), f.error.ToString());
  }
  // Names first: the status's error is cut at 500 characters and every name must survive.
  std::string names, details;
  for (const auto* f : failing) {
    names += (names.empty() ? "" : ", ") + f->collector;
    details += fmt::format("{}{} for {}: {}", details.empty() ? "" : "; ", f->collector, age(*f), f->error.ToString());
  }
  return fmt::format("collectors {} failing: {}", names, details);
}

std::vector<CollectorSet::StoreStats> CollectorSet::Stats() const {
  std::vector<StoreStats> out;
  for (const auto& r : running_) {
    if (r.stats_store != nullptr) out.push_back({r.name, r.stats_store->size(), r.stats_store->skipped()});
  }
  std::lock_guard lock(optional_mu_);
  for (const auto& r : optional_)
    out.push_back({std::string(r->reg->kind.name), r->store->size(), r->store->skipped()});
  return out;
}

}  // namespace kube9::collectors
