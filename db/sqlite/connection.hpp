// The SQLite connection: the embedded default dialect.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "db/connection.hpp"

namespace distil::db::sqlite {

class SqliteConnection final : public Connection {
 public:
  // Opens (creating if needed) the file at `path`, or an in-memory database for ":memory:".
  // Foreign keys are enforced; `busy_timeout_ms` bounds waits for other writers.
  static model::Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                               int busy_timeout_ms = 60000);
  // Opens an existing file only (for read-only commands): an error when it does not exist.
  static model::Result<std::unique_ptr<SqliteConnection>> open_existing(const std::string& path);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  emitters::Dialect dialect() const override { return emitters::Dialect::sqlite; }
  model::Result<void> execute(std::string_view sql) override;
  model::Result<std::vector<Row>> query(std::string_view sql,
                                        const std::vector<std::string>& params = {}) override;
  model::Result<bool> table_exists(std::string_view table) override;
  model::Result<std::vector<std::string>> table_names() override;
  model::Error missing_table(std::string_view table) const override;
  model::Result<void> begin() override;
  model::Result<void> commit() override;
  void rollback() override;
  emitters::SchemaSource schema_source() override;
  model::Result<model::Schema> introspect(std::string_view version_table) override;
  model::Result<void> lock_migrations(int timeout_ms) override;
  std::string describe() const override;

  sqlite3* handle() const { return db_; }

 private:
  SqliteConnection(sqlite3* db, std::string path, int busy_timeout_ms)
      : db_(db), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  model::Error error(std::string_view what) const;
  // The message of the last failed call: SQLite's, with what it means for an operator when
  // another connection holds the database (SQLITE_BUSY) or the file system refused a write.
  std::string failure(std::string_view fallback) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  int busy_timeout_ms_ = 0;
  int lock_fd_ = -1;   // the descriptor the migration lock is (or was tried) on
  bool locked_ = false;
};

}  // namespace distil::db::sqlite
