#include "collectors/collector_set.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/time_format.h"
#include "collectors/extract.h"

namespace kube9::collectors {

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
                           const AlsoFeed& also_feed)
    : clock_(clock) {
  auto want = [&](std::string_view name) { return std::find(enabled.begin(), enabled.end(), name) != enabled.end(); };
  for (const Registration& reg : Registry()) {
    if (!want(reg.kind.name)) continue;
    kube::ReflectorHandler* handler = nullptr;
    StoreBase* store = nullptr;
    if (reg.add_store != nullptr) {
      handler = store = reg.add_store(stores_);
    } else if (reg.kind.name == kEvents.name) {
      handler = events_history;  // the history has its own metrics; off when it is
    }
    if (handler == nullptr) continue;
    kube::ReflectorOptions options;
    options.resource = std::string(reg.kind.name);
    options.path = std::string(reg.kind.path);
    options.list.limit = page_size;
    Running r;
    if (kube::ReflectorHandler* second = also_feed ? also_feed(reg.kind.name) : nullptr; second != nullptr) {
      r.tee = std::make_unique<TeeHandler>(*handler, *second);
      handler = r.tee.get();
    }
    r.name = std::string(reg.kind.name);
    r.store = handler;
    r.stats_store = store;
    r.reflector = std::make_unique<kube::Reflector>(options, client, *handler, clock, observer);
    running_.push_back(std::move(r));
  }
}

CollectorSet::~CollectorSet() { Join(); }

void CollectorSet::Start(const base::StopSignal& stop, base::ThreadFailureHandler& failures) {
  for (auto& r : running_) {
    // A reflector starts over with a LIST, so a restart after a failure loses nothing.
    r.thread = base::StartRestartingThread("w:" + r.name, [&r, &stop] { r.reflector->Run(stop); }, failures, clock_,
                                           stop);
  }
}

void CollectorSet::Join() {
  for (auto& r : running_) {
    if (r.thread.joinable()) r.thread.join();
  }
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
  return out;
}

}  // namespace kube9::collectors
