#include "sinks/events/event_db.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

namespace kube9::sinks::events {
namespace {

// auto_vacuum must be chosen before the first table exists: INCREMENTAL lets a prune hand
// freed pages back, so the file follows --events.max-bytes down as well as up.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  reason TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT,
  object_kind TEXT NOT NULL,
  object_namespace TEXT NOT NULL,
  object_name TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_last ON events(last_ms);
)sql";

// A repeat of an event updates its row: the count and the last occurrence only grow (a relist
// may deliver an older copy after a newer watch event), the rest follows the newest copy.
constexpr const char* kUpsert = R"sql(
INSERT INTO events (uid, type, reason, severity, message, object_kind, object_namespace, object_name,
                    count, first_ms, last_ms, source)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT(uid) DO UPDATE SET
  count = max(count, excluded.count),
  first_ms = min(first_ms, excluded.first_ms),
  last_ms = max(last_ms, excluded.last_ms),
  type = CASE WHEN excluded.last_ms >= last_ms THEN excluded.type ELSE type END,
  reason = CASE WHEN excluded.last_ms >= last_ms THEN excluded.reason ELSE reason END,
  severity = CASE WHEN excluded.last_ms >= last_ms THEN excluded.severity ELSE severity END,
  message = CASE WHEN excluded.last_ms >= last_ms THEN excluded.message ELSE message END,
  source = CASE WHEN excluded.last_ms >= last_ms THEN excluded.source ELSE source END
)sql";

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  int prepare_rc() const { return rc_; }
  sqlite3_stmt* get() { return stmt_; }
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Null(int i) { sqlite3_bind_null(stmt_, i); }
  std::string ColumnText(int i) {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

DbErrorKind KindOf(int code) {
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DbErrorKind::kCorrupt;
    case SQLITE_FULL:
      return DbErrorKind::kFull;
    default:
      return DbErrorKind::kOther;
  }
}

base::Expected<sqlite3*, DbError> OpenHandle(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    DbError e{KindOf(rc), fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
    sqlite3_close(db);
    return base::Unexpected(e);
  }
  sqlite3_extended_result_codes(db, 1);
  // The writer commits small batches; a reader waits this long for a checkpoint, never more.
  sqlite3_busy_timeout(db, 2000);
  return db;
}

}  // namespace

DbError EventDb::Error(int code, std::string_view what) const {
  return DbError{KindOf(code), fmt::format("{}: {}", what, sqlite3_errmsg(db_))};
}

base::Expected<base::Ok, DbError> EventDb::Exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return base::Ok{};
  DbError e{KindOf(rc), message ? message : sqlite3_errstr(rc)};
  sqlite3_free(message);
  return base::Unexpected(e);
}

base::Expected<std::int64_t, DbError> EventDb::ScalarInt(const char* sql) {
  Statement s(db_, sql);
  if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(Error(s.prepare_rc(), sql));
  const int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return base::Unexpected(Error(rc, sql));
  return static_cast<std::int64_t>(sqlite3_column_int64(s.get(), 0));
}

base::Expected<std::unique_ptr<EventDb>, DbError> EventDb::OpenForWriting(const std::string& path) {
  auto opened = OpenHandle(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!opened.ok()) return base::Unexpected(opened.error());
  std::unique_ptr<EventDb> db(new EventDb(*opened));
  // A file that is not a database fails on its first read, here; a damaged one fails the check.
  auto check = [&]() -> base::Expected<base::Ok, DbError> {
    Statement s(db->db_, "PRAGMA quick_check");
    if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(db->Error(s.prepare_rc(), "integrity check"));
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return base::Unexpected(db->Error(rc, "integrity check"));
    const std::string verdict = s.ColumnText(0);
    if (verdict != "ok") return base::Unexpected(DbError{DbErrorKind::kCorrupt, "integrity check: " + verdict});
    return base::Ok{};
  };
  if (auto c = check(); !c.ok()) return base::Unexpected(c.error());
  for (const char* pragma : {"PRAGMA auto_vacuum = INCREMENTAL", "PRAGMA journal_mode = WAL",
                             // WAL with NORMAL: a committed batch survives the process being
                             // killed; only a power loss may take the last batches with it.
                             "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -1024", "PRAGMA temp_store = MEMORY",
                             "PRAGMA journal_size_limit = 4194304"}) {
    if (auto r = db->Exec(pragma); !r.ok()) return base::Unexpected(r.error());
  }
  if (auto r = db->Exec(kSchema); !r.ok()) return base::Unexpected(r.error());
  return db;
}

base::Expected<std::unique_ptr<EventDb>, DbError> EventDb::OpenForReading(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return base::Unexpected(DbError{DbErrorKind::kNotFound, fmt::format("no events store at {}", path)});
  }
  auto opened = OpenHandle(path, SQLITE_OPEN_READONLY);
  if (!opened.ok()) return base::Unexpected(opened.error());
  std::unique_ptr<EventDb> db(new EventDb(*opened));
  for (const char* pragma : {"PRAGMA cache_size = -1024", "PRAGMA temp_store = MEMORY"}) {
    if (auto r = db->Exec(pragma); !r.ok()) return base::Unexpected(r.error());
  }
  return db;
}

EventDb::~EventDb() { sqlite3_close(db_); }

base::Expected<base::Ok, DbError> EventDb::Upsert(const std::vector<EventRecord>& batch) {
  if (batch.empty()) return base::Ok{};
  if (auto r = Exec("BEGIN IMMEDIATE"); !r.ok()) return r;
  Statement s(db_, kUpsert);
  if (s.prepare_rc() != SQLITE_OK) {
    DbError e = Error(s.prepare_rc(), "prepare upsert");
    (void)Exec("ROLLBACK");
    return base::Unexpected(e);
  }
  for (const EventRecord& r : batch) {
    s.Text(1, r.uid);
    s.Text(2, r.type);
    s.Text(3, r.reason);
    s.Text(4, SeverityName(r.severity));
    if (r.message) s.Text(5, *r.message);
    else s.Null(5);
    s.Text(6, r.object_kind);
    s.Text(7, r.object_namespace);
    s.Text(8, r.object_name);
    s.Int(9, r.count);
    s.Int(10, r.first_ms);
    s.Int(11, r.last_ms);
    s.Text(12, r.source);
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) {
      DbError e = Error(rc, "upsert");
      (void)Exec("ROLLBACK");
      return base::Unexpected(e);
    }
    sqlite3_reset(s.get());
    sqlite3_clear_bindings(s.get());
  }
  if (auto r = Exec("COMMIT"); !r.ok()) {
    (void)Exec("ROLLBACK");
    return r;
  }
  return base::Ok{};
}

base::Expected<std::int64_t, DbError> EventDb::DeleteOlderThan(std::int64_t cutoff_ms) {
  Statement s(db_, "DELETE FROM events WHERE last_ms < ?1");
  if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(Error(s.prepare_rc(), "prune by age"));
  s.Int(1, cutoff_ms);
  const int rc = sqlite3_step(s.get());
  if (rc != SQLITE_DONE) return base::Unexpected(Error(rc, "prune by age"));
  const std::int64_t deleted = sqlite3_changes(db_);
  if (deleted > 0) {
    if (auto r = Exec("PRAGMA incremental_vacuum"); !r.ok()) return base::Unexpected(r.error());
    Checkpoint();
  }
  return deleted;
}

base::Expected<std::int64_t, DbError> EventDb::ShrinkTo(std::uint64_t max_bytes) {
  std::int64_t deleted = 0;
  // Rows are not all the same size: delete the share that should free enough, measure, repeat.
  for (int round = 0; round < 32; ++round) {
    auto used = UsedBytes();
    if (!used.ok()) return base::Unexpected(used.error());
    if (*used <= max_bytes) break;
    auto rows = Rows();
    if (!rows.ok()) return base::Unexpected(rows.error());
    if (*rows == 0) break;
    const double share = static_cast<double>(*used - max_bytes) / static_cast<double>(*used);
    const auto n = std::max<std::int64_t>(1, static_cast<std::int64_t>(share * static_cast<double>(*rows)) + *rows / 100);
    Statement s(db_, "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY last_ms, id LIMIT ?1)");
    if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(Error(s.prepare_rc(), "prune by size"));
    s.Int(1, n);
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return base::Unexpected(Error(rc, "prune by size"));
    deleted += sqlite3_changes(db_);
    if (auto r = Exec("PRAGMA incremental_vacuum"); !r.ok()) return base::Unexpected(r.error());
  }
  if (deleted > 0) Checkpoint();
  return deleted;
}

void EventDb::Checkpoint() {
  // The file shrinks when the WAL is copied back; a busy reader only delays that (best effort).
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

base::Expected<std::uint64_t, DbError> EventDb::UsedBytes() {
  auto pages = ScalarInt("PRAGMA page_count");
  if (!pages.ok()) return base::Unexpected(pages.error());
  auto free_pages = ScalarInt("PRAGMA freelist_count");
  if (!free_pages.ok()) return base::Unexpected(free_pages.error());
  auto page_size = ScalarInt("PRAGMA page_size");
  if (!page_size.ok()) return base::Unexpected(page_size.error());
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, *pages - *free_pages) * *page_size);
}

base::Expected<std::int64_t, DbError> EventDb::Rows() { return ScalarInt("SELECT count(*) FROM events"); }

base::Expected<QueryResult, DbError> EventDb::Query(const EventFilter& f) {
  QueryResult out;
  if (f.match_nothing) return out;
  std::string where = " WHERE 1";
  std::vector<std::string> texts;  // bound in order after the severities
  if (!f.severities.empty()) {
    where += " AND severity IN (";
    for (std::size_t i = 0; i < f.severities.size(); ++i) where += i ? ",?" : "?";
    where += ")";
  }
  if (f.since_ms) where += " AND last_ms >= ?";
  if (f.until_ms) where += " AND last_ms <= ?";
  if (f.object_kind) where += " AND object_kind = ?";
  if (f.object_namespace) where += " AND object_namespace = ?";
  if (f.object_name) where += " AND object_name = ?";
  auto bind = [&](Statement& s) {
    int i = 1;
    for (Severity sev : f.severities) s.Text(i++, SeverityName(sev));
    if (f.since_ms) s.Int(i++, *f.since_ms);
    if (f.until_ms) s.Int(i++, *f.until_ms);
    if (f.object_kind) s.Text(i++, *f.object_kind);
    if (f.object_namespace) s.Text(i++, *f.object_namespace);
    if (f.object_name) s.Text(i++, *f.object_name);
    return i;
  };
  // Both statements in one read transaction: the total and the page agree even while the
  // operator writes.
  if (auto r = Exec("BEGIN"); !r.ok()) return base::Unexpected(r.error());
  struct EndRead {
    EventDb* db;
    ~EndRead() { (void)db->Exec("COMMIT"); }
  } end{this};
  {
    Statement s(db_, "SELECT count(*) FROM events" + where);
    if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(Error(s.prepare_rc(), "count events"));
    bind(s);
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return base::Unexpected(Error(rc, "count events"));
    out.total = sqlite3_column_int64(s.get(), 0);
  }
  Statement s(db_,
              "SELECT uid, type, reason, severity, message, object_kind, object_namespace, object_name, count, "
              "first_ms, last_ms, source FROM events" +
                  where + " ORDER BY last_ms DESC, id DESC LIMIT ? OFFSET ?");
  if (s.prepare_rc() != SQLITE_OK) return base::Unexpected(Error(s.prepare_rc(), "list events"));
  int i = bind(s);
  s.Int(i++, f.limit);
  s.Int(i, f.offset);
  for (;;) {
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return base::Unexpected(Error(rc, "list events"));
    EventRecord r;
    r.uid = s.ColumnText(0);
    r.type = s.ColumnText(1);
    r.reason = s.ColumnText(2);
    r.severity = ParseSeverity(s.ColumnText(3)).value_or(Severity::kInfo);
    if (sqlite3_column_type(s.get(), 4) != SQLITE_NULL) r.message = s.ColumnText(4);
    r.object_kind = s.ColumnText(5);
    r.object_namespace = s.ColumnText(6);
    r.object_name = s.ColumnText(7);
    r.count = sqlite3_column_int64(s.get(), 8);
    r.first_ms = sqlite3_column_int64(s.get(), 9);
    r.last_ms = sqlite3_column_int64(s.get(), 10);
    r.source = s.ColumnText(11);
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace kube9::sinks::events
