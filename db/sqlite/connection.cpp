// SQLite connection through the sqlite3 C API.
#include "db/sqlite/connection.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
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

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                 int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail(Error{.code = ErrorCode::database,
                      .message = "cannot open SQLite database \"" + path + "\": " + message});
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path));
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

Error SqliteConnection::error(std::string_view what) const {
  return Error{.code = ErrorCode::database,
               .message = std::string(what) + ": " + sqlite3_errmsg(db_)};
}

Result<void> SqliteConnection::execute(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string m = message ? message : sqlite3_errstr(rc);
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

Result<void> SqliteConnection::begin() {
  // IMMEDIATE takes the write lock now, so two migrations never interleave inside one
  // revision; busy_timeout makes the second wait.
  auto r = execute("BEGIN IMMEDIATE");
  if (!r) {
    if (sqlite3_errcode(db_) == SQLITE_BUSY) {
      return fail(Error{.code = ErrorCode::database,
                        .message = "database is locked by another migration (timed out waiting)"});
    }
    return r;
  }
  return {};
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
  if (path_ == ":memory:" || path_.empty() || lock_fd_ >= 0) return {};
  // flock() locks are separate from SQLite's POSIX record locks on the same file, so this
  // whole-run lock never interferes with SQLite's own locking.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error{.code = ErrorCode::database,
                                .message = "cannot open \"" + path_ + "\" to lock it"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return fail(Error{.code = ErrorCode::database,
                        .message = "database is locked by another migration (waited " +
                                   std::to_string(timeout_ms / 1000) + " s); try again later"});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  lock_fd_ = fd;
  return {};
}

std::string SqliteConnection::describe() const { return "sqlite:///" + path_; }

}  // namespace distil::db::sqlite
