// ops -> SQLite SQL, including the 12-step table rebuild for what SQLite cannot ALTER
// (https://www.sqlite.org/lang_altertable.html#otheralter). Pure.
#pragma once

#include <string>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/op.hpp"
#include "model/result.hpp"

namespace distil::emitters::sqlite {

// The SQL for `op`. Uses `source` only for ops that need the current definition (rebuilds).
// A rebuild creates the new table, copies every row, checks the row counts are equal, drops
// the old table, renames (with legacy_alter_table so views survive), re-creates indexes and
// triggers, and checks foreign keys — each check a statement that fails the transaction.
// Errors name the table/column at fault (e.g. altering a column that does not exist).
model::Result<RenderedOp> render(const model::Op& op, const SchemaSource& source);

// CREATE TABLE (and its CREATE INDEX statements) for a full table definition.
std::vector<std::string> render_create_table(const model::Table& table);

}  // namespace distil::emitters::sqlite
