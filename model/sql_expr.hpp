// PostgreSQL SQL normalisation and validation through libpg_query (parse, deparse): the
// only place that sees libpg_query. Canonicalise here so the differ compares with ==.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model::sql {

// The canonical text of a PostgreSQL expression (a column default, a CHECK expression, an
// index predicate or index expression): parsed and deparsed, so spelling, whitespace, case
// of keywords and redundant parentheses vanish, and a literal's cast to a type is dropped
// ('nz'::character varying == 'nz'; 'f'::boolean == false). Errors (ErrorCode::model) give
// the position of a syntax error.
Result<std::string> normalize_expression(std::string_view expression);

// The canonical spelling of a PostgreSQL type ("int4[]" == "integer[]", "timestamp" ==
// "timestamp without time zone", "varchar(3)" == "character varying(3)").
Result<std::string> normalize_type(std::string_view type);

// Parses a SQL script (one or more statements). Errors (ErrorCode::revision) carry the
// message and the 1-based line and character position of the syntax error in `sql`.
Result<void> validate_sql(std::string_view sql);

// Validates every raw `sql:` op of the revision as PostgreSQL: its `postgresql` entry, and,
// when `include_any` (the database is PostgreSQL), else its dialect-independent one. The error (ErrorCode::revision) names the revision, its file,
// the op's line and "upgrade op N: <syntax error> at line L, position P" (N counts from 1;
// L and P are within the op's SQL).
// Why a PostgreSQL statement cannot run inside a transaction block ("CREATE/DROP INDEX
// CONCURRENTLY", "ALTER TYPE ... ADD VALUE", "VACUUM", ...), or nullopt when it can (or
// does not parse).
std::optional<std::string> outside_transaction_reason(std::string_view sql);

// A revision whose raw SQL needs to run outside a transaction must say so with
// `transaction: false`; otherwise validation fails naming the op.
Result<void> validate_revision_sql(const Revision& revision, bool include_any = true);

}  // namespace distil::model::sql
