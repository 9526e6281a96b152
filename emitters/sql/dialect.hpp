// ops -> SQL per dialect. Pure: emitters never see a connection, so `--sql` is offline by
// construction. What a renderer needs to know about the current schema (a table's full
// definition for a SQLite rebuild) comes through a SchemaSource.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/op.hpp"
#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::emitters {

enum class Dialect { sqlite, postgresql };
std::string to_string(Dialect dialect);  // "sqlite", "postgresql"

// The schema as it is right before an op runs. The runner backs it with introspection of
// the live database (inside the migration's transaction); offline (--sql) with a simulation
// of the revision history (model::apply).
struct SchemaSource {
  // The full definition of `table`; an error naming it when it does not exist.
  std::function<model::Result<model::Table>(std::string_view table)> table;
  // CREATE TRIGGER statements on `table` (SQLite rebuilds re-create them); may be empty.
  std::function<std::vector<std::string>(std::string_view table)> triggers;
};

// The SQL of one op, in run order.
struct RenderedOp {
  std::vector<std::string> statements;  // each a complete statement without trailing ';'
  // True when the op is a SQLite table rebuild: the runner must run the revision with
  // PRAGMA foreign_keys=OFF set *outside* the transaction and restore it after COMMIT.
  bool rebuild = false;
};

// Quotes an identifier for the dialect: "a""b" (both dialects use double quotes).
std::string quote_identifier(std::string_view name);
// Quotes a string literal: 'it''s'.
std::string quote_literal(std::string_view text);

// Text helpers both SQL renderers share.

// The names, each quote_identifier'ed, joined by ", ": "a", "b".
std::string join_quoted(const std::vector<std::string>& names);
// `text` without leading and trailing whitespace (std::isspace).
std::string trim(std::string_view text);
// `sql` without surrounding whitespace and trailing semicolons.
std::string trim_statement(std::string_view sql);

// A raw `sql:` op for `dialect`: its entry for the dialect, else its dialect-independent
// text, else nothing (written for another dialect only).
RenderedOp render_raw_sql(const model::RawSql& op, Dialect dialect);
// True when `s` is one parenthesized group, quotes skipped: "(a + b)" but not "(a) + (b)".
bool is_parenthesized(std::string_view s);
// The current definitions of `names` that the source knows; unknown ones (and "") are left
// out so that model::apply() reports them in its own words. Empty when source.table is unset.
model::Schema known_tables(const SchemaSource& source, const std::vector<std::string>& names);

}  // namespace distil::emitters
