#include "sinks/upload/uploader.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/gzip.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"
#include "sinks/server_api/server_api.h"

namespace kube9::sinks::upload {
namespace {

constexpr base::Millis kIdleWait{std::chrono::hours(1)};  // re-checks now and then even unwoken
constexpr std::string_view kMetricsBatch = "metrics-batch";
constexpr std::size_t kMaxLoggedBody = 200;
// Our own payloads read back from the spool: bounded all the same, since the disk is outside.
// A metrics batch is KiBs; a cluster's largest resource inventory a few MiB.
constexpr base::JsonLimits kSpooledPayloadJson{64 << 20, 64};

std::uint64_t SeedOr(std::uint64_t seed) { return seed != 0 ? seed : std::random_device{}(); }

std::string CollectionsUrl(std::string server_url) {
  while (server_url.ends_with('/')) server_url.pop_back();
  return server_url + "/v1/collections";
}

// Worth trying again later: throttling, server trouble, and (unexpected here) 1xx/3xx.
bool Retryable(int status) { return status == 408 || status == 429 || status >= 500 || status < 400; }

// Says why the server refused a payload for good, from its `{"error", "code", "message"}` body
// or, when the body is not that, from the start of it.
void LogRejection(const Spool::Item& item, int status, const std::string& body, const std::string& api_key) {
  if (const auto error = server_api::ParseErrorBody(body, api_key)) {
    log::Warn("kube9-server refused a payload for good; dropped",
              {{"type", item.type},
               {"collection_id", item.collection_id},
               {"status", status},
               {"error", error->error},
               {"code", error->code},
               {"message", error->message}});
  } else {
    log::Warn("kube9-server refused a payload for good; dropped",
              {{"type", item.type},
               {"collection_id", item.collection_id},
               {"status", status},
               {"body", log::Redact(body.substr(0, kMaxLoggedBody), api_key)}});
  }
}

}  // namespace

Uploader::Uploader(Spool& spool, http::Transport& transport, const base::Clock& clock, UploaderOptions options,
                   ApiKeyFn api_key, SplitIdFn split_id, UploadObserver* observer)
    : spool_(spool),
      transport_(transport),
      clock_(clock),
      options_(std::move(options)),
      url_(CollectionsUrl(options_.server_url)),
      api_key_(std::move(api_key)),
      split_id_(std::move(split_id)),
      observer_(observer),
      wake_(std::make_shared<base::StopSignal>()),
      backoff_(options_.backoff, SeedOr(options_.seed)) {}

void Uploader::Run(const base::StopSignal& stop, base::ThreadFailureHandler& failures) {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  std::vector<std::thread> workers;
  auto end_workers = [&] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    Wake();
    for (auto& w : workers) w.join();
  };
  try {
    const int n = std::max(1, options_.concurrency);
    workers.reserve(n);
    for (int i = 0; i < n; ++i) {
      workers.push_back(base::StartRestartingThread("upload-" + std::to_string(i), [this, &stop] { Work(stop); },
                                                    failures, clock_, stop));
    }
    while (!stop.WaitFor(kIdleWait)) {
    }
  } catch (...) {
    end_workers();  // a thread left joinable would end the process in std::terminate
    throw;
  }
  end_workers();
}

void Uploader::SetEnabled(bool enabled) {
  {
    std::lock_guard lock(mu_);
    enabled_ = enabled;
  }
  Wake();
}

void Uploader::Wake() {
  std::shared_ptr<base::StopSignal> fired;
  {
    std::lock_guard lock(mu_);
    fired = std::exchange(wake_, std::make_shared<base::StopSignal>());
  }
  fired->Stop();
}

void Uploader::Work(const base::StopSignal& stop) {
  for (;;) {
    std::shared_ptr<base::StopSignal> wake;
    std::optional<Job> job;
    std::optional<base::Millis> wait;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || stop.stopped()) return;
      wake = wake_;  // taken with the decision, so that a Wake() after it is not missed
      job = TakeLocked(wait);
    }
    if (job) {
      std::optional<base::Millis> retry_after;
      int status = 0;
      Outcome outcome;
      try {
        outcome = Upload(*job, stop, retry_after, status);
      } catch (...) {
        // The worker is restarted: the payload must not stay "in flight" for ever.
        Finish(*job, Outcome::kNotRead, std::nullopt, 0);
        throw;
      }
      Finish(*job, outcome, retry_after, status);
    } else if (wait) {
      clock_.SleepFor(*wait, *wake);
    } else {
      wake->WaitFor(kIdleWait);
    }
  }
}

std::optional<Uploader::Job> Uploader::TakeLocked(std::optional<base::Millis>& wait) {
  if (!enabled_) return std::nullopt;
  std::optional<std::string> key = api_key_();
  if (!key || key->empty()) return std::nullopt;
  const base::SteadyTime now = clock_.Now();
  if (gate_.open_at() > now) {
    wait = std::chrono::ceil<base::Millis>(gate_.open_at() - now);
    return std::nullopt;
  }
  // Forget payloads that left the spool (dropped to make room) unless a worker still holds one.
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    it = it->second.in_flight || spool_.Contains(it->first) ? std::next(it) : attempts_.erase(it);
  }
  // Payloads never tried have no entry: the oldest of those, or an older one whose retry is due.
  std::optional<base::SteadyTime> earliest;
  const std::optional<Spool::Item> candidate = spool_.FindFirst([&](const Spool::Item& item) {
    auto a = attempts_.find(item.seq);
    if (a == attempts_.end()) return true;
    if (a->second.in_flight) return false;
    if (a->second.not_before > now) {
      earliest = std::min(earliest.value_or(a->second.not_before), a->second.not_before);
      return false;
    }
    return true;
  });
  if (!candidate) {
    if (earliest) wait = std::chrono::ceil<base::Millis>(*earliest - now);
    return std::nullopt;
  }
  Attempts& a = attempts_[candidate->seq];
  a.in_flight = true;
  return Job{*candidate, std::move(*key), a.count + 1, gate_.round()};
}

Uploader::Outcome Uploader::Upload(const Job& job, const base::StopSignal& stop,
                                   std::optional<base::Millis>& retry_after, int& status) {
  const Spool::Item& item = job.item;
  auto body = spool_.Read(item);
  if (!body.ok() && body.error().gone) {
    // Dropped meanwhile to make room (then Drop is a no-op), or lost from the disk.
    if (spool_.Drop(item, "unreadable")) {
      log::Error("upload spool: a payload's file is gone; dropped",
                 {{"type", item.type}, {"collection_id", item.collection_id}, {"error", body.error().message}});
    }
    return Outcome::kDone;
  }
  if (!body.ok()) {
    log::Warn("upload spool: cannot read a payload now; kept for a later try",
              {{"type", item.type}, {"collection_id", item.collection_id}, {"error", body.error().message}});
    return Outcome::kNotRead;
  }
  http::Request request = server_api::Post(url_, job.api_key, options_.user_agent, std::move(body).value());
  request.headers.emplace_back("Content-Encoding", "gzip");
  request.headers.emplace_back("Idempotency-Key", item.collection_id);
  request.timeout = options_.request_timeout;
  request.cancel = &stop;
  const auto response = transport_.Send(request);
  if (!response.ok() && stop.stopped()) return Outcome::kAbandoned;  // shutdown: still spooled

  // An answer whose body passed the reply limit was cut off: retried like one that never came
  // (the Idempotency-Key makes a second delivery harmless), with the status it had.
  status = response.ok() ? response->status : response.error().status;
  const std::uint64_t wire_bytes = response.ok() ? request.body.size() : 0;
  Outcome outcome = Outcome::kDone;
  std::string_view result;
  if (response.ok() && status >= 200 && status < 300) {
    spool_.Remove(item);
    result = "success";
  } else if (!response.ok() || Retryable(status)) {
    outcome = Outcome::kRetry;
    result = "retry";
    if (status == 429) retry_after = server_api::RetryAfter(*response, clock_.WallNow());
  } else if ((status == 401 || status == 403) && api_key_() != job.api_key) {
    // Sent with a key that has been rotated since: not a verdict on the current key.
    outcome = Outcome::kRetry;
    result = "retry";
  } else if (status == 401 || status == 403) {
    outcome = Outcome::kUnauthorized;
    result = "unauthorized";
  } else if (status == 413) {
    switch (SplitBatch(item, request.body)) {
      case Split::kDone:
        spool_.Remove(item);
        result = "split";
        break;
      case Split::kNotSplittable:
        spool_.Drop(item, "too_large");
        result = "rejected";
        break;
      case Split::kFailed:  // the disk failed us: keep the original and try again later
        outcome = Outcome::kRetry;
        result = "retry";
        break;
    }
  } else {
    LogRejection(item, status, response->body, job.api_key);
    spool_.Drop(item, "rejected");
    result = "rejected";
  }

  if (response.ok()) {
    log::Info("upload", {{"type", item.type},
                         {"collection_id", item.collection_id},
                         {"bytes", wire_bytes},
                         {"attempt", job.attempt},
                         {"status", status},
                         {"result", result}});
  } else {
    log::Info("upload", {{"type", item.type},
                         {"collection_id", item.collection_id},
                         {"bytes", request.body.size()},
                         {"attempt", job.attempt},
                         {"status", status},
                         {"result", result},
                         {"error", response.error().message}});
  }
  if (observer_) {
    observer_->OnUpload(item.type, result, wire_bytes);
    if (outcome == Outcome::kRetry) observer_->OnRetry(item.type);
  }
  return outcome;
}

Uploader::Split Uploader::SplitBatch(const Spool::Item& item, const std::string& body) {
  if (item.type != kMetricsBatch) return Split::kNotSplittable;
  std::string json;
  if (!base::GzipDecompress(body, json, kSpooledPayloadJson.max_bytes)) return Split::kNotSplittable;
  rapidjson::Document doc;
  if (!base::ParseJson(doc, json, kSpooledPayloadJson).ok() || !doc.IsObject()) return Split::kNotSplittable;
  const auto data = doc.FindMember("data");
  if (data == doc.MemberEnd() || !data->value.IsObject()) return Split::kNotSplittable;
  const auto samples = data->value.FindMember("samples");
  if (samples == data->value.MemberEnd() || !samples->value.IsArray() || samples->value.Size() < 2) {
    return Split::kNotSplittable;
  }

  auto& alloc = doc.GetAllocator();
  rapidjson::Value all;
  all.Swap(samples->value);  // leaves null in its place, replaced by each half in turn
  const rapidjson::SizeType half = all.Size() / 2;
  std::vector<Spool::Item> stored;
  int index = 0;
  for (const auto& [begin, end] : {std::pair{rapidjson::SizeType{0}, half}, std::pair{half, all.Size()}}) {
    rapidjson::Value part(rapidjson::kArrayType);
    for (rapidjson::SizeType i = begin; i < end; ++i) part.PushBack(all[i], alloc);  // moves
    rapidjson::Value& d = doc["data"];  // looked up again: adding members may move them
    d["samples"] = part;
    const std::string id = split_id_(item.collection_id, index++);
    if (auto it = d.FindMember("collectionId"); it != d.MemberEnd()) {
      it->value.SetString(id.c_str(), static_cast<rapidjson::SizeType>(id.size()), alloc);
    } else {
      d.AddMember("collectionId", rapidjson::Value(id.c_str(), alloc), alloc);
    }
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    doc.Accept(writer);
    auto put = spool_.Put(item.type, id, base::GzipCompress(std::string_view(out.GetString(), out.GetSize())));
    if (!put.ok()) {
      for (const auto& s : stored) spool_.Remove(s);
      return Split::kFailed;
    }
    stored.push_back(*put);
  }
  log::Info("payload too large for kube9-server; split in two",
            {{"type", item.type},
             {"collection_id", item.collection_id},
             {"samples", all.Size()},
             {"new_collection_ids", stored[0].collection_id + "," + stored[1].collection_id}});
  Wake();
  return Split::kDone;
}

void Uploader::Finish(const Job& job, Outcome outcome, std::optional<base::Millis> retry_after, int status) {
  const Spool::Item& item = job.item;
  bool rejected_now = false;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.Now();
    Attempts& a = attempts_[item.seq];
    a.in_flight = false;
    switch (outcome) {
      case Outcome::kDone:
        attempts_.erase(item.seq);
        // status 0: nothing was sent (the payload had gone from the spool).
        if (status != 0 && gate_.Answered()) {
          for (auto& [seq, other] : attempts_) {
            if (other.unreachable) other.not_before = std::min(other.not_before, now);
          }
        }
        break;
      case Outcome::kRetry:
        a.count++;
        a.unreachable = status == 0 || status == 502 || status == 503 || status == 504;
        a.not_before = now + std::max(DelayLocked(a.count), retry_after.value_or(base::Millis(0)));
        if (retry_after) {
          gate_.PauseUntil(now + *retry_after);
        } else {
          gate_.Failed(job.round, now);
        }
        break;
      case Outcome::kNotRead:  // a local problem: its own backoff, and the server is not blamed
        a.count++;
        a.not_before = now + DelayLocked(a.count);
        break;
      case Outcome::kUnauthorized:
        gate_.Answered();
        rejected_now = std::exchange(enabled_, false);
        break;
      case Outcome::kAbandoned:
        break;
    }
  }
  if (rejected_now) {
    log::Warn("kube9-server rejected the API key; uploads stopped", {{"status", status}});
    if (options_.on_rejected) options_.on_rejected(status, job.api_key);
  }
}

base::Millis Uploader::DelayLocked(int failures) { return backoff_.DelayAfter(failures); }

}  // namespace kube9::sinks::upload
