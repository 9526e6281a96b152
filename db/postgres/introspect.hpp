// Live PostgreSQL -> model::Schema from pg_catalog: a constant number of queries for all
// tables of a schema (not one per table).
#pragma once

#include <libpq-fe.h>

#include <string_view>

#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::db::postgres {

// Every table of `schema` ("" = public) but the version table: columns with format_type
// text, nullability, defaults (pg_get_expr), identity (autoincrement), primary/unique/foreign
// keys with actions, checks, indexes (partial, expression), comments.
model::Result<model::Schema> introspect(PGconn* conn, std::string_view schema,
                                        std::string_view version_table);

// One table; an error naming it when missing.
// The error introspect_table() gives for a table that does not exist in `schema`.
model::Error missing_table_error(std::string_view schema, std::string_view table);
model::Result<model::Table> introspect_table(PGconn* conn, std::string_view schema,
                                             std::string_view table);

}  // namespace distil::db::postgres
