#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/expected.h"
#include "kube/reflector.h"
#include "sinks/events/event_db.h"
#include "sinks/events/event_record.h"
#include "sinks/events/observer.h"

namespace kube9::sinks::events {

inline constexpr const char* kStoreFileName = "events.db";

struct HistoryOptions {
  std::string path;  // the database file, e.g. /var/lib/kube9-operator/events.db
  base::Millis retention{std::chrono::hours(168)};
  std::uint64_t max_bytes = 64ull << 20;
  // Records waiting for the writer; beyond it the watch drops (and counts) instead of waiting.
  std::size_t queue_capacity = 4096;
  std::size_t batch_size = 512;  // records per transaction; a full batch wakes the writer
  base::Millis flush_interval{std::chrono::seconds(1)};
  base::Millis age_prune_interval{std::chrono::minutes(1)};
};

// The events history (docs/PRODUCT.md §9): the events reflector's handler on one side, a
// bounded queue in the middle, and a writer thread that upserts batches into the SQLite store
// and prunes it by age and size. The watch thread never waits for the disk: a full queue drops
// and counts. A store found damaged is moved aside (events.db.corrupt) and recreated.
class EventHistory final : public kube::ReflectorHandler {
 public:
  // Opens the store under its directory, recovering a corrupt or unreadable file. An error is
  // the reason the history is off (read-only or missing data directory, ...); the operator
  // runs on without it.
  static base::Expected<std::unique_ptr<EventHistory>, std::string> Open(HistoryOptions options,
                                                                        const base::Clock& clock,
                                                                        HistoryObserver* observer = nullptr);

  // The watch thread. A relist delivers every event again: the store's upsert keeps one row
  // per UID. Deletions are ignored: the history outlives the API server's one hour.
  void OnSyncStart() override {}
  void OnListed(const rapidjson::Value& object) override { Offer(object); }
  void OnSynced() override {}
  void OnEvent(kube::EventType type, const rapidjson::Value& object) override;
  // Events too large or too deeply nested for the client to read: counted as dropped.
  void OnSkipped(std::size_t count) override { Dropped("too_large", count); }

  // Queues a record for the writer; false when the queue is full (the record is dropped).
  bool Enqueue(EventRecord record);
  // Writes everything queued, then prunes when due. The writer thread calls it (tests too).
  void Flush();
  // The writer loop, on one dedicated thread, until `stop`; a last Flush before returning.
  void Run(const base::StopSignal& stop);

  // Empty while the store works; otherwise why the history stopped (for / and the logs).
  std::string Problem() const;
  const std::string& path() const { return options_.path; }

 private:
  EventHistory(HistoryOptions options, const base::Clock& clock, HistoryObserver* observer,
               std::unique_ptr<EventDb> db);
  void Offer(const rapidjson::Value& object);
  void Write(const std::vector<EventRecord>& batch);
  // Prunes by age when due; measures (and prunes by size) after a write or an age prune.
  void Maintain(bool wrote);
  // Moves the damaged store aside and opens a fresh one; off (Problem) when that fails.
  void Recover(const std::string& why);
  void Dropped(std::string_view reason, std::uint64_t n);

  const HistoryOptions options_;
  const base::Clock& clock_;
  HistoryObserver* observer_;

  std::mutex queue_mu_;  // guards queue_ (watch thread and writer)
  std::condition_variable queue_cv_;
  std::vector<EventRecord> queue_;

  // Writer thread only, except problem_ (read by the landing page).
  std::unique_ptr<EventDb> db_;
  std::optional<base::SteadyTime> last_age_prune_;
  mutable std::mutex problem_mu_;
  std::string problem_;
};

// Moves `path` and its WAL files aside to `path`.corrupt (replacing an older one), so that a
// fresh store can start and the damaged one stays for inspection. Returns an error reason.
std::string MoveAside(const std::string& path);

}  // namespace kube9::sinks::events
