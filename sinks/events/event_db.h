#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "sinks/events/event_record.h"

struct sqlite3;

namespace kube9::sinks::events {

// Why a store operation failed, in the categories the history treats differently.
enum class DbErrorKind {
  kCorrupt,   // not a database, or damaged: move it aside and start afresh
  kFull,      // the disk (or the volume) is full: drop and count, try again later
  kNotFound,  // opened for reading, and no store exists
  kOther,     // permissions, read-only file system, I/O errors
};
struct DbError {
  DbErrorKind kind = DbErrorKind::kOther;
  std::string message;
};

// The filters of `query events list`, already validated. Times are Unix milliseconds.
struct EventFilter {
  std::vector<Severity> severities;  // empty: any
  bool match_nothing = false;        // --type named only event types this store never holds
  std::optional<std::int64_t> since_ms, until_ms;  // on the last occurrence, inclusive
  std::optional<std::string> object_kind, object_namespace, object_name;
  int limit = 50;
  std::int64_t offset = 0;
};

struct QueryResult {
  std::vector<EventRecord> rows;  // newest first, by last occurrence
  std::int64_t total = 0;         // rows matching the filters, before limit and offset
};

// One SQLite database file holding one row per Kubernetes event UID. The writer opens it in
// WAL mode so that readers (the query command, another process) read while it writes. Not
// thread-safe: one owner thread per instance.
class EventDb {
 public:
  // Opens the store, creating it when missing: WAL, the schema, a small page cache (the store
  // must add little to the operator's memory). Checks the file's integrity first.
  static base::Expected<std::unique_ptr<EventDb>, DbError> OpenForWriting(const std::string& path);
  // Opens an existing store read-only; never creates or changes it.
  static base::Expected<std::unique_ptr<EventDb>, DbError> OpenForReading(const std::string& path);
  ~EventDb();
  EventDb(const EventDb&) = delete;
  EventDb& operator=(const EventDb&) = delete;

  // Inserts each record, or updates the row of its UID (count and last occurrence only grow),
  // in one transaction: all or nothing.
  base::Expected<base::Ok, DbError> Upsert(const std::vector<EventRecord>& batch);
  // Deletes rows whose last occurrence is before `cutoff_ms`; returns how many.
  base::Expected<std::int64_t, DbError> DeleteOlderThan(std::int64_t cutoff_ms);
  // Deletes the oldest rows (by last occurrence) until the pages in use fit in `max_bytes`,
  // and hands the freed pages back to the file system; returns how many rows went.
  base::Expected<std::int64_t, DbError> ShrinkTo(std::uint64_t max_bytes);
  // Size of the pages in use (what the rows take, with indexes), and the file's size.
  base::Expected<std::uint64_t, DbError> UsedBytes();
  base::Expected<std::int64_t, DbError> Rows();

  base::Expected<QueryResult, DbError> Query(const EventFilter& filter);

 private:
  explicit EventDb(sqlite3* db) : db_(db) {}
  base::Expected<base::Ok, DbError> Exec(const char* sql);
  base::Expected<std::int64_t, DbError> ScalarInt(const char* sql);
  void Checkpoint();
  DbError Error(int code, std::string_view what) const;

  sqlite3* db_;
};

}  // namespace kube9::sinks::events
