#include "collectors/collector_set.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/time_format.h"

namespace kube9::collectors {

const std::vector<ResourceKind>& AllResources() {
  static const std::vector<ResourceKind> kinds = {
      {"nodes", "", "/api/v1/nodes"},
      {"namespaces", "", "/api/v1/namespaces"},
      {"pods", "", "/api/v1/pods"},
      {"services", "", "/api/v1/services"},
      {"persistentvolumeclaims", "", "/api/v1/persistentvolumeclaims"},
      {"deployments", "apps", "/apis/apps/v1/deployments"},
      {"statefulsets", "apps", "/apis/apps/v1/statefulsets"},
      {"daemonsets", "apps", "/apis/apps/v1/daemonsets"},
      {"replicasets", "apps", "/apis/apps/v1/replicasets"},
      {"jobs", "batch", "/apis/batch/v1/jobs"},
      {"cronjobs", "batch", "/apis/batch/v1/cronjobs"},
      {"events", "", "/api/v1/events"},  // the events history's, not an aggregate store
  };
  return kinds;
}

namespace {

template <typename T>
std::unique_ptr<Store<T>> Make(std::optional<T> (*extract)(const rapidjson::Value&)) {
  return std::make_unique<Store<T>>(extract);
}

}  // namespace

CollectorSet::CollectorSet(const std::vector<std::string>& enabled, kube::Client& client, const base::Clock& clock,
                           kube::ReflectorObserver* observer, int page_size, kube::ReflectorHandler* events_history)
    : clock_(clock) {
  auto want = [&](std::string_view name) { return std::find(enabled.begin(), enabled.end(), name) != enabled.end(); };
  auto run = [&](std::string_view name, kube::ReflectorHandler& handler, std::function<StoreStats()> stats) {
    const ResourceKind& kind = *std::find_if(AllResources().begin(), AllResources().end(),
                                             [&](const ResourceKind& k) { return k.name == name; });
    kube::ReflectorOptions options;
    options.resource = std::string(name);
    options.path = std::string(kind.path);
    options.list.limit = page_size;
    Running r;
    r.name = std::string(name);
    r.store = &handler;
    r.stats = std::move(stats);
    r.reflector = std::make_unique<kube::Reflector>(options, client, handler, clock, observer);
    running_.push_back(std::move(r));
  };
  auto add = [&](std::string_view name, auto& store, auto extract) {
    if (!want(name)) return;
    store = Make(extract);
    auto* raw = store.get();
    run(name, *raw, [raw, resource = std::string(name)] { return StoreStats{resource, raw->size(), raw->skipped()}; });
  };
  add("nodes", stores_.nodes, &ExtractNode);
  add("namespaces", stores_.namespaces, &ExtractNamespace);
  add("pods", stores_.pods, &ExtractPod);
  add("services", stores_.services, &ExtractService);
  add("persistentvolumeclaims", stores_.pvcs, &ExtractPvc);
  add("deployments", stores_.deployments, &ExtractDeployment);
  add("statefulsets", stores_.statefulsets, &ExtractStatefulSet);
  add("daemonsets", stores_.daemonsets, &ExtractDaemonSet);
  add("replicasets", stores_.replicasets, &ExtractNamespaced);
  add("jobs", stores_.jobs, &ExtractJob);
  add("cronjobs", stores_.cronjobs, &ExtractNamespaced);
  // Events go to the history (sinks/events), which has its own metrics; off when it is.
  if (want("events") && events_history) run("events", *events_history, nullptr);
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
    if (r.stats && !r.reflector->synced()) out.push_back(r.name);
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
    if (r.stats) out.push_back(r.stats());
  }
  return out;
}

}  // namespace kube9::collectors
