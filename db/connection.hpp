// A live database connection, as the runner and the commands see it. One implementation
// per dialect under db/<dialect>/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::db {

using Row = std::vector<std::optional<std::string>>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual emitters::Dialect dialect() const = 0;
  // Runs one statement (or several separated by ';' where the dialect allows).
  virtual model::Result<void> execute(std::string_view sql) = 0;
  // Runs a query with text parameters ($1.. / ?), returning every row as text.
  virtual model::Result<std::vector<Row>> query(std::string_view sql,
                                                const std::vector<std::string>& params = {}) = 0;
  // Whether a table exists (in the default schema).
  virtual model::Result<bool> table_exists(std::string_view table) = 0;
  // The names of all tables (in the default schema), in one query.
  virtual model::Result<std::vector<std::string>> table_names() = 0;
  // The error schema_source().table gives for a table that does not exist.
  virtual model::Error missing_table(std::string_view table) const = 0;
  // Starts a write transaction that excludes other writers (SQLite BEGIN IMMEDIATE).
  virtual model::Result<void> begin() = 0;
  // begin(), then the rows of `sql` (no parameters), in one round trip where the driver
  // allows (PostgreSQL: one PQexec of "BEGIN; sql"). On failure the transaction may be
  // open: rollback().
  virtual model::Result<std::vector<Row>> begin_and_query(std::string_view sql) {
    DISTIL_CHECK(begin());
    return query(sql);
  }
  virtual model::Result<void> commit() = 0;
  virtual void rollback() = 0;
  // Whether execute_batch() saves round trips (a server dialect): the runner then sends a
  // revision's statements as one batch, and runs them one by one only to locate a failure.
  virtual bool batches() const { return false; }
  // Runs `statements` in order inside the open transaction, then COMMIT when `commit`, in as
  // few round trips as the driver allows (PostgreSQL: one simple-query message). On failure
  // the transaction is aborted (call rollback()), and the error need not say which
  // statement failed. Every statement must be complete (no unterminated quote or comment).
  virtual model::Result<void> execute_batch(const std::vector<std::string>& statements,
                                            bool commit) {
    for (const auto& sql : statements) DISTIL_CHECK(execute(sql));
    if (commit) return this->commit();
    return {};
  }
  // The schema the SQL renderer sees while a migration runs: the live tables.
  virtual emitters::SchemaSource schema_source() = 0;
  // Every user table of the database (not the version table, not internals), in the
  // canonical model form.
  virtual model::Result<model::Schema> introspect(std::string_view version_table) = 0;
  // Holds the whole-run migration lock, so two operators never both apply a revision.
  // Waits up to `timeout_ms`, then fails with "database is locked by another migration".
  virtual model::Result<void> lock_migrations(int timeout_ms) = 0;
  // A human-readable name of the database for logs ("sqlite:///distil.db").
  virtual std::string describe() const = 0;
};

}  // namespace distil::db
