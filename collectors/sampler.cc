#include "collectors/sampler.h"

#include <rapidjson/document.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/limits.h"

namespace kube9::collectors {
namespace {
constexpr auto kVersionRefresh = std::chrono::minutes(10);
constexpr base::Millis kSyncPoll{100};
}  // namespace

std::string ParseGitVersion(std::string_view body) {
  rapidjson::Document doc;
  if (!base::ParseJson(doc, body, kube::kVersionJson).ok() || !doc.IsObject()) return "";
  auto m = doc.FindMember("gitVersion");
  return m != doc.MemberEnd() && m->value.IsString() ? m->value.GetString() : "";
}

Sampler::Sampler(const SampleSource& collectors, kube::Client& client, const base::Clock& clock,
                 base::Millis interval, std::vector<Consumer> consumers)
    : collectors_(collectors), client_(client), clock_(clock), interval_(interval), consumers_(std::move(consumers)) {}

void Sampler::RefreshVersion() {
  const auto now = clock_.Now();
  if (version_read_at_ && now - *version_read_at_ < kVersionRefresh) return;
  version_read_at_ = now;
  auto body = client_.GetRaw("/version", "version", kube::kVersionJson.max_bytes);
  if (!body.ok()) {
    log::Warn("cannot read the Kubernetes version", {{"error", body.error().ToString()}});
    if (version_.empty()) version_read_at_.reset();  // try again next sample
    return;
  }
  if (std::string v = ParseGitVersion(*body); !v.empty()) {
    if (v != version_) log::Info("Kubernetes version", {{"version", v}});
    version_ = v;
  } else {
    log::Warn("the /version response has no gitVersion");
  }
}

bool Sampler::SampleOnce() {
  RefreshVersion();
  const std::vector<std::string> unsynced = collectors_.Unsynced();
  const auto sample =
      std::make_shared<const ClusterAggregates>(Aggregate(collectors_.stores(), clock_.WallNow(), version_));
  for (const auto& consume : consumers_) consume(sample, unsynced);
  return unsynced.empty();
}

void Sampler::Run(const base::StopSignal& stop) {
  while (!stop.stopped()) {
    if (SampleOnce()) {
      if (clock_.SleepFor(interval_, stop)) return;
      continue;
    }
    // Still syncing: sample again as soon as every first LIST is done (or after an interval).
    const auto deadline = clock_.Now() + interval_;
    while (!collectors_.Unsynced().empty() && clock_.Now() < deadline) {
      if (clock_.SleepFor(kSyncPoll, stop)) return;
    }
  }
}

}  // namespace kube9::collectors
