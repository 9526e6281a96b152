// Live SQLite -> model::Schema: the same canonical form the YAML models load to.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::db::sqlite {

// Every user table (not sqlite_* internals, not `version_table`), with columns in order,
// declared types as written, nullability, defaults, primary keys (composite, AUTOINCREMENT),
// unique constraints, indexes (unique, partial, expression), foreign keys (composite, actions,
// names as declared) and CHECK constraints (from the stored CREATE TABLE SQL).
model::Result<model::Schema> introspect(sqlite3* db, std::string_view version_table);

// How introspect() read each table: from its stored CREATE TABLE text alone (written in the
// plain forms the parser settles; see ParsedTable::complete), or with SQLite's pragmas.
struct IntrospectStats {
  std::size_t from_text = 0;
  std::size_t from_pragmas = 0;
};
struct IntrospectOptions {
  bool use_text = true;  // false: the pragmas for every table (the differential tests' reference)
  IntrospectStats* stats = nullptr;
};
model::Result<model::Schema> introspect(sqlite3* db, std::string_view version_table,
                                        const IntrospectOptions& options);

// One table; an error naming it when it does not exist.
model::Result<model::Table> introspect_table(sqlite3* db, std::string_view table);
// The error introspect_table() gives for a table that does not exist.
model::Error missing_table_error(std::string_view table);

// The CREATE TRIGGER statements of the triggers on `table`, in creation order.
model::Result<std::vector<std::string>> trigger_sql(sqlite3* db, std::string_view table);

}  // namespace distil::db::sqlite
