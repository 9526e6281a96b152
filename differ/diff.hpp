// The differ (DESIGN §7): the ops that turn an actual schema (introspected, or the simulated
// head) into the desired one (the YAML models), plus their exact inverse. Links model only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/op.hpp"
#include "model/schema.hpp"

namespace distil::differ {

struct DiffOptions {
  // "sqlite" or "postgresql". Comments are compared only on "postgresql" (SQLite stores none).
  std::string dialect = "sqlite";
  // false: DiffResult::downgrade is left empty, for add_downgrade() to build once the
  // caller has freed what it no longer needs (it is a second copy of every created table).
  bool downgrade = true;
};

struct DiffResult {
  std::vector<model::Op> upgrade;    // actual -> desired, in run order
  std::vector<model::Op> downgrade;  // desired -> actual: reverse(op) of each, in reverse order
  std::vector<std::string> warnings;  // for people: risky ops, changes no op can express
  bool empty() const { return upgrade.empty(); }
};

// Returns the ops that turn `actual` into `desired`, ordered so they run as written:
// renames (only from `renamed_from` hints; a hint whose old name is gone is ignored), drops
// of foreign keys, checks, uniques and indexes that go or change, dropped columns, created
// tables (a table after the tables it references; a foreign key that cannot exist yet,
// as in a cycle, follows as create_foreign_key), added columns, altered columns, created
// uniques, indexes, checks and foreign keys, dropped tables (referencing tables first).
// Each group is in name order. Types, defaults and expressions compare by their canonical
// form (below), so spelling differences produce no op. Pure: never touches a database.
// Changes no op can express (primary key, autoincrement, table comment) become warnings.
// `actual` is taken by value: the differ simulates its ops on it (pass std::move when the
// caller is done with it; at 5000 tables a copy is 13 MB). A caller that needs it back
// passes `actual_out`, which receives `actual` as given: copied when the first op changes
// the working schema, moved back when there is no op (a matching database costs no copy).
DiffResult diff(const model::Schema& desired, model::Schema actual,
                const DiffOptions& options = {}, model::Schema* actual_out = nullptr);

// Fills result.downgrade: reverse(op) of each upgrade op, in reverse order; an op that
// cannot be reversed becomes a "downgrade: ..." warning. diff() does this unless told not to.
void add_downgrade(DiffResult& result);

// The canonical spelling of a column type, for comparison only: lower case, no spaces
// around parentheses and commas, aliases folded ("int4" -> "integer", "character
// varying(10)" -> "varchar(10)", "timestamp with time zone" -> "timestamptz", ...).
std::string canonical_type(std::string_view type);

// The canonical spelling of an SQL expression (a default, a check, an index predicate), for
// comparison only: lower case and collapsed whitespace outside quoted literals/identifiers,
// no spaces next to punctuation or operators, redundant outer parentheses removed.
std::string canonical_expression(std::string_view sql);

// A column default compares as an expression: "(0)" == "0", "now ( )" == "NOW()".
inline std::string canonical_default(std::string_view sql) { return canonical_expression(sql); }

}  // namespace distil::differ
