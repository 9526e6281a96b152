// Internal to the SQLite emitter: the pieces render.cpp and rebuild.cpp share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/op.hpp"
#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::emitters::sqlite::detail {

// CREATE TABLE for `table` under the name `create_as` (a rebuild creates "_distil_new_t";
// self-references and the primary key's name still use table.name).
std::string create_table_sql(const model::Table& table, std::string_view create_as);

// CREATE [UNIQUE] INDEX statements of `table`, in its order.
std::vector<std::string> create_index_sql(const model::Table& table);

// The column definition as in CREATE TABLE / ADD COLUMN (never with a PRIMARY KEY clause
// unless `inline_pk`).
std::string column_sql(const model::Column& column, bool not_null, bool inline_pk);

// True for a default SQLite accepts bare: a literal, a number, NULL/TRUE/FALSE or a
// CURRENT_* keyword. Anything else is written in parentheses.
bool is_simple_default(std::string_view sql);

// CURRENT_TIMESTAMP, CURRENT_DATE or CURRENT_TIME (any case).
bool is_current_keyword(std::string_view sql);

// True when the default is absent or the NULL literal.
bool is_null_default(const std::optional<std::string>& sql);

// `source.table(name)`, or an error when the source cannot provide tables.
model::Result<model::Table> fetch_table(const SchemaSource& source, std::string_view name);

// The 12-step rebuild of `table` for `op` (which must apply to it): the in-transaction part.
// REQUIRES: the runner sets PRAGMA foreign_keys=OFF outside the transaction (RenderedOp::rebuild).
model::Result<RenderedOp> rebuild(const model::Op& op, const std::string& table,
                                  const SchemaSource& source);

}  // namespace distil::emitters::sqlite::detail
