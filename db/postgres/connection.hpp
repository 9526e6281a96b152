// The PostgreSQL connection, through libpq.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "db/connection.hpp"

namespace distil::db::postgres {

// A libpq connection string equal to `conninfo` but for database `dbname`.
model::Result<std::string> conninfo_with_database(const std::string& conninfo,
                                                  const std::string& dbname);

class PgConnection final : public Connection {
 public:
  // Connects with a libpq connection string or URI ("postgresql://user@host/db?host=/dir").
  // `schema` is the schema migrations work in ("" = public). Errors are one clear line
  // (server down, bad password, missing database), ErrorCode::database.
  static model::Result<std::unique_ptr<PgConnection>> open(const std::string& conninfo,
                                                           const std::string& schema = "");
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  emitters::Dialect dialect() const override { return emitters::Dialect::postgresql; }
  model::Result<void> execute(std::string_view sql) override;
  model::Result<std::vector<Row>> query(std::string_view sql,
                                        const std::vector<std::string>& params = {}) override;
  model::Result<bool> table_exists(std::string_view table) override;
  model::Result<std::vector<std::string>> table_names() override;
  model::Error missing_table(std::string_view table) const override;
  model::Result<void> begin() override;
  model::Result<std::vector<Row>> begin_and_query(std::string_view sql) override;
  bool batches() const override { return true; }
  model::Result<void> execute_batch(const std::vector<std::string>& statements,
                                    bool commit) override;
  model::Result<void> commit() override;
  void rollback() override;
  emitters::SchemaSource schema_source() override;
  model::Result<model::Schema> introspect(std::string_view version_table) override;
  // A session advisory lock (pg_try_advisory_lock in a loop until the timeout).
  model::Result<void> lock_migrations(int timeout_ms) override;
  std::string describe() const override;

  PGconn* handle() const { return conn_; }

 private:
  PgConnection(PGconn* conn, std::string schema) : conn_(conn), schema_(std::move(schema)) {}
  PGconn* conn_ = nullptr;
  std::string schema_;
  bool locked_ = false;
};

}  // namespace distil::db::postgres
