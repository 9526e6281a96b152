// SQLite connection through the sqlite3 C API.
#include "db/sqlite/connection.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "db/sqlite/introspect.hpp"

namespace distil::db::sqlite {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

namespace {

// Finalises a statement on every path out of a function.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

// Once per process, before the library's first use: no memory statistics. We never read
// them (sqlite3_memory_used, a heap limit), and keeping them takes a global mutex and a
// counter update on every allocation; a schema reload (each ALTER TABLE ADD COLUMN reparses
// every CREATE statement) makes hundreds of thousands. That was 11% of the instructions of
// `upgrade head` on SQLite (bench/analysis.md). When the library was already initialised (a
// test that opened a database itself first) the call is refused and nothing changes.
void configure_library() {
  static const int done = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)done;
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                 int busy_timeout_ms) {
  configure_library();
  sqlite3* db = nullptr;
  // NOMUTEX: a connection is only ever used by one thread at a time (`current` opens it on
  // a second thread and hands it over through a future), so SQLite's per-call locking of it
  // is work for nothing.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail(Error{.code = ErrorCode::database,
                      .message = "cannot open SQLite database \"" + path + "\": " + message});
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path, busy_timeout_ms));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // Enforce foreign keys, as a demanding user expects; rebuilds turn them off explicitly.
  DISTIL_CHECK(conn->execute("PRAGMA foreign_keys=ON"));
  return conn;
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open_existing(const std::string& path) {
  if (path != ":memory:" && !std::filesystem::exists(path)) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "SQLite database \"" + path + "\" does not exist"});
  }
  return open(path);
}

SqliteConnection::~SqliteConnection() {
  sqlite3_close_v2(db_);
  // Closed after SQLite: closing another descriptor of the file first would drop SQLite's
  // own POSIX locks (https://www.sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a_separate_thread_doing_close_).
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

namespace {

// The name of an extended result code where it tells an operator more than the message.
std::string_view code_name(int code) {
  switch (code) {
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE:
      return "SQLITE_IOERR_WRITE: a write to the file failed (disk full, file size limit or "
             "I/O error)";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_FSTAT: return "SQLITE_IOERR_FSTAT";
    case SQLITE_IOERR_DELETE: return "SQLITE_IOERR_DELETE";
    case SQLITE_IOERR_ACCESS: return "SQLITE_IOERR_ACCESS";
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
    case SQLITE_FULL: return "SQLITE_FULL: the disk is full";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_READONLY_DIRECTORY:
      return "SQLITE_READONLY_DIRECTORY: its folder is not writable, so no journal can be made";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED: the file was moved or deleted";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    default: return {};
  }
}

std::string seconds_text(int ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

std::string SqliteConnection::failure(std::string_view fallback) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string message = sqlite3_errmsg(db_);
  if (message.empty()) message = std::string(fallback);
  switch (code & 0xff) {
    case SQLITE_BUSY:
      // Our own operators are kept out by the migration lock, so this is another program
      // writing (or an old tool that takes no lock); busy_timeout already waited.
      return "database is locked by another migration or connection (SQLite stayed busy for " +
             seconds_text(busy_timeout_ms_) + ", the --lock-timeout); try again later";
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: {
      // "disk I/O error" alone does not say which: name the system error (EFBIG, ENOSPC...).
      const int os_error = sqlite3_system_errno(db_);
      const std::string_view name = code_name(code);
      message += " (" + std::string(name.empty() ? "code " + std::to_string(code) : name);
      if (os_error != 0) message += ": " + std::string(std::strerror(os_error));
      message += ", database \"" + path_ + "\")";
      return message;
    }
    default:
      return message;
  }
}

Error SqliteConnection::error(std::string_view what) const {
  return Error{.code = ErrorCode::database, .message = std::string(what) + ": " + failure("")};
}

Result<void> SqliteConnection::execute(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string m = failure(message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return fail(Error{.code = ErrorCode::database, .message = m});
  }
  return {};
}

Result<std::vector<Row>> SqliteConnection::query(std::string_view sql,
                                                 const std::vector<std::string>& params) {
  Statement s;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s.stmt, nullptr) !=
      SQLITE_OK) {
    return fail(error("cannot prepare query"));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(s.stmt, static_cast<int>(i + 1), params[i].c_str(),
                      static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
  }
  std::vector<Row> rows;
  for (;;) {
    int rc = sqlite3_step(s.stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return fail(error("query failed"));
    Row row;
    int n = sqlite3_column_count(s.stmt);
    for (int c = 0; c < n; ++c) {
      if (sqlite3_column_type(s.stmt, c) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, c));
        row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(s.stmt, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<bool> SqliteConnection::table_exists(std::string_view table) {
  DISTIL_TRY(auto rows, query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
                              {std::string(table)}));
  return !rows.empty();
}

Result<std::vector<std::string>> SqliteConnection::table_names() {
  DISTIL_TRY(auto rows, query("SELECT name FROM main.sqlite_schema WHERE type = 'table'"));
  std::vector<std::string> names;
  for (const auto& row : rows)
    if (!row.empty() && row[0]) names.push_back(*row[0]);
  return names;
}

model::Error SqliteConnection::missing_table(std::string_view table) const {
  return missing_table_error(table);
}

Result<void> SqliteConnection::begin() {
  // IMMEDIATE takes the write lock now, so two migrations never interleave inside one
  // revision; busy_timeout makes the second wait (SQLITE_BUSY is reported by execute).
  return execute("BEGIN IMMEDIATE");
}

Result<void> SqliteConnection::commit() { return execute("COMMIT"); }

void SqliteConnection::rollback() {
  if (!sqlite3_get_autocommit(db_)) (void)execute("ROLLBACK");
}

emitters::SchemaSource SqliteConnection::schema_source() {
  emitters::SchemaSource source;
  source.table = [this](std::string_view table) { return introspect_table(db_, table); };
  source.triggers = [this](std::string_view table) {
    auto sql = trigger_sql(db_, table);
    return sql ? *sql : std::vector<std::string>{};
  };
  return source;
}

Result<model::Schema> SqliteConnection::introspect(std::string_view version_table) {
  return sqlite::introspect(db_, version_table);
}

Result<void> SqliteConnection::lock_migrations(int timeout_ms) {
  // Every wait of this run is bounded by the same --lock-timeout: SQLite's own busy wait for
  // another writer too (open_existing() opened with the default).
  busy_timeout_ms_ = timeout_ms;
  sqlite3_busy_timeout(db_, timeout_ms);
  if (path_ == ":memory:" || path_.empty() || locked_) return {};
  // Said before anything is tried: SQLite opens a file it may not write read-only, silently.
  if (sqlite3_db_readonly(db_, "main") == 1) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "SQLite database \"" + path_ +
                                 "\" is read-only (file permissions or a read-only mount); "
                                 "nothing was changed"});
  }
  // SQLite writes its rollback journal (or WAL) next to the file: a folder it may not write
  // fails the first write of the first revision, so say it before anything runs.
  const std::filesystem::path folder = std::filesystem::absolute(path_).parent_path();
  if (::access(folder.c_str(), W_OK) != 0) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "the folder \"" + folder.string() + "\" of SQLite database \"" +
                                 path_ + "\" is not writable, so SQLite cannot create its journal "
                                 "there (" + std::strerror(errno) + "); nothing was changed"});
  }
  // flock() locks are separate from SQLite's POSIX record locks on the same file, so this
  // whole-run lock never interferes with SQLite's own locking.
  if (lock_fd_ < 0) lock_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (lock_fd_ < 0) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "cannot open \"" + path_ + "\" to lock it: " +
                                 std::strerror(errno)});
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int lock_error = errno;
    if (lock_error != EWOULDBLOCK && lock_error != EINTR) {
      return fail(Error{.code = ErrorCode::database,
                        .message = "cannot lock \"" + path_ + "\": " + std::strerror(lock_error)});
    }
    const auto now = std::chrono::steady_clock::now();
    // The descriptor stays open until the destructor: closing it now, while SQLite has the
    // file open, would drop SQLite's own POSIX locks (see the destructor).
    if (now >= deadline) {
      return fail(Error{.code = ErrorCode::database,
                        .message = "database is locked by another migration (waited " +
                                   seconds_text(timeout_ms) + " for the lock on \"" + path_ +
                                   "\", the --lock-timeout); try again later"});
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), deadline - now));
  }
  locked_ = true;
  return {};
}

std::string SqliteConnection::describe() const { return "sqlite:///" + path_; }

}  // namespace distil::db::sqlite
