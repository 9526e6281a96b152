// ops -> PostgreSQL SQL (native ALTER TABLE; identity columns for autoincrement). Pure.
#pragma once

#include <string>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/op.hpp"
#include "model/result.hpp"

namespace distil::emitters::postgres {

// The SQL for `op`. Errors name the table/column at fault.
model::Result<RenderedOp> render(const model::Op& op, const SchemaSource& source);

// CREATE TABLE, its CREATE INDEX and COMMENT ON statements for a full table definition.
std::vector<std::string> render_create_table(const model::Table& table);

}  // namespace distil::emitters::postgres
