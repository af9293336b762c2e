#include "sinks/events/event_history.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace kube9::sinks::events {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string MoveAside(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = path + suffix;
    if (!Exists(from)) continue;
    const std::string to = path + ".corrupt" + suffix;
    if (std::rename(from.c_str(), to.c_str()) != 0) {
      return "cannot move " + from + " aside: " + std::strerror(errno);
    }
  }
  // A WAL left from the damaged store must never be replayed into the fresh one.
  for (const char* suffix : {"-wal", "-shm"}) {
    if (Exists(path + suffix) && ::unlink((path + suffix).c_str()) != 0) {
      return "cannot remove " + path + suffix + ": " + std::strerror(errno);
    }
  }
  return "";
}

base::Expected<std::unique_ptr<EventHistory>, std::string> EventHistory::Open(HistoryOptions options,
                                                                             const base::Clock& clock,
                                                                             HistoryObserver* observer) {
  const std::string dir = std::filesystem::path(options.path).parent_path().string();
  if (!dir.empty() && ::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return base::Unexpected("cannot create the data directory " + dir + ": " + std::strerror(errno));
  }
  if (!dir.empty() && ::access(dir.c_str(), W_OK | X_OK) != 0) {
    return base::Unexpected("the data directory " + dir + " is not writable: " + std::strerror(errno));
  }
  auto recover = [&](const char* reason, const std::string& detail) -> std::string {
    log::Warn("events store unusable, moving it aside and starting a new one",
              {{"path", options.path}, {"reason", reason}, {"error", detail}});
    if (observer) observer->OnRecovery(reason);
    return MoveAside(options.path);
  };
  if (Exists(options.path) && ::access(options.path.c_str(), R_OK | W_OK) != 0) {
    if (std::string e = recover("unreadable", std::strerror(errno)); !e.empty()) return base::Unexpected(e);
  }
  auto db = EventDb::OpenForWriting(options.path);
  if (!db.ok() && db.error().kind == DbErrorKind::kCorrupt) {
    if (std::string e = recover("corrupt", db.error().message); !e.empty()) return base::Unexpected(e);
    db = EventDb::OpenForWriting(options.path);
  }
  if (!db.ok()) return base::Unexpected(db.error().message);
  auto history = std::unique_ptr<EventHistory>(new EventHistory(std::move(options), clock, observer, std::move(*db)));
  history->Maintain(true);  // prune what aged out while the operator was down
  return history;
}

EventHistory::EventHistory(HistoryOptions options, const base::Clock& clock, HistoryObserver* observer,
                           std::unique_ptr<EventDb> db)
    : options_(std::move(options)), clock_(clock), observer_(observer), db_(std::move(db)) {}

void EventHistory::OnEvent(kube::EventType type, const rapidjson::Value& object) {
  if (type == kube::EventType::kDeleted) return;
  Offer(object);
}

void EventHistory::Offer(const rapidjson::Value& object) {
  std::optional<EventRecord> record = ExtractEvent(object);
  if (!record || !IsRecorded(record->type, record->reason, record->message.value_or(""))) return;
  Enqueue(std::move(*record));
}

void EventHistory::Dropped(std::string_view reason, std::uint64_t n) {
  if (observer_ && n > 0) observer_->OnDropped(reason, n);
}

bool EventHistory::Enqueue(EventRecord record) {
  bool wake = false;
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() >= options_.queue_capacity) {
      Dropped("queue_full", 1);
      return false;
    }
    queue_.push_back(std::move(record));
    wake = queue_.size() >= options_.batch_size;
  }
  if (wake) queue_cv_.notify_one();
  return true;
}

void EventHistory::Run(const base::StopSignal& stop) {
  // The stop signal has its own condition variable: wait in short slices to notice it soon.
  constexpr base::Millis kSlice{200};
  auto last_flush = std::chrono::steady_clock::now();
  while (!stop.stopped()) {
    bool batch_ready = false;
    {
      std::unique_lock lock(queue_mu_);
      batch_ready = queue_cv_.wait_for(lock, kSlice, [&] { return queue_.size() >= options_.batch_size; });
    }
    if (batch_ready || std::chrono::steady_clock::now() - last_flush >= options_.flush_interval) {
      Flush();
      last_flush = std::chrono::steady_clock::now();
    }
  }
  Flush();
}

void EventHistory::Flush() {
  std::vector<EventRecord> pending;
  {
    std::lock_guard lock(queue_mu_);
    pending.swap(queue_);
  }
  for (std::size_t start = 0; start < pending.size(); start += options_.batch_size) {
    const std::size_t end = std::min(pending.size(), start + options_.batch_size);
    Write(std::vector<EventRecord>(std::make_move_iterator(pending.begin() + static_cast<std::ptrdiff_t>(start)),
                                   std::make_move_iterator(pending.begin() + static_cast<std::ptrdiff_t>(end))));
  }
  Maintain(!pending.empty());
}

void EventHistory::Write(const std::vector<EventRecord>& batch) {
  if (!db_) {
    Dropped("store_unavailable", batch.size());
    return;
  }
  auto written = db_->Upsert(batch);
  if (written.ok()) {
    if (observer_) {
      std::array<std::uint64_t, kSeverityNames.size()> by_severity{};
      for (const auto& r : batch) ++by_severity[static_cast<std::size_t>(r.severity)];
      for (std::size_t i = 0; i < by_severity.size(); ++i) {
        if (by_severity[i] > 0) observer_->OnRecorded(kSeverityNames[i], by_severity[i]);
      }
    }
    return;
  }
  const DbError& e = written.error();
  switch (e.kind) {
    case DbErrorKind::kFull:
      log::Warn("events store: the disk is full, dropping events", {{"events", batch.size()}, {"error", e.message}});
      Dropped("disk_full", batch.size());
      break;
    case DbErrorKind::kCorrupt:
      Dropped("corrupt", batch.size());
      Recover(e.message);
      break;
    default:
      log::Warn("events store: cannot write, dropping events", {{"events", batch.size()}, {"error", e.message}});
      Dropped("write_error", batch.size());
      break;
  }
}

void EventHistory::Recover(const std::string& why) {
  db_.reset();
  log::Warn("events store damaged, moving it aside and starting a new one",
            {{"path", options_.path}, {"error", why}});
  if (observer_) observer_->OnRecovery("corrupt");
  std::string problem = MoveAside(options_.path);
  if (problem.empty()) {
    auto db = EventDb::OpenForWriting(options_.path);
    if (db.ok()) db_ = std::move(*db);
    else problem = db.error().message;
  }
  if (!problem.empty()) {
    log::Error("events history off: cannot recreate the store", {{"path", options_.path}, {"error", problem}});
    std::lock_guard lock(problem_mu_);
    problem_ = problem;
  }
}

void EventHistory::Maintain(bool wrote) {
  if (!db_) return;
  auto handle = [&](const DbError& e, const char* what) {
    log::Warn("events store: prune failed", {{"prune", what}, {"error", e.message}});
    if (e.kind == DbErrorKind::kCorrupt) Recover(e.message);
  };
  const base::SteadyTime now = clock_.Now();
  if (!last_age_prune_ || now - *last_age_prune_ >= options_.age_prune_interval) {
    last_age_prune_ = now;
    const auto cutoff = clock_.WallNow() - options_.retention;
    const std::int64_t cutoff_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
    auto deleted = db_->DeleteOlderThan(cutoff_ms);
    if (!deleted.ok()) return handle(deleted.error(), "age");
    if (observer_) observer_->OnPrune("age", static_cast<std::uint64_t>(*deleted));
    wrote = true;  // the size is measured after every age prune, written or not
  }
  // Nothing changed since the last measure: the size and the row count are as reported.
  if (!wrote) return;
  auto used = db_->UsedBytes();
  if (!used.ok()) return handle(used.error(), "size");
  if (*used > options_.max_bytes) {
    // Down to 90%, so that a store at its bound is not pruned again at every batch.
    auto deleted = db_->ShrinkTo(options_.max_bytes / 10 * 9);
    if (!deleted.ok()) return handle(deleted.error(), "size");
    if (observer_) observer_->OnPrune("size", static_cast<std::uint64_t>(*deleted));
    used = db_->UsedBytes();
    if (!used.ok()) return handle(used.error(), "size");
  }
  if (observer_) {
    auto rows = db_->Rows();
    if (rows.ok()) observer_->OnStoreSize(static_cast<std::uint64_t>(*rows), *used);
  }
}

std::string EventHistory::Problem() const {
  std::lock_guard lock(problem_mu_);
  return problem_;
}

}  // namespace kube9::sinks::events
