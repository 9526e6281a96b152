// `upgrade/downgrade --plan`: what a migration would do, as data, and its text and JSON
// renderings. Pure: no database here. The command (plan_run.cpp) supplies the starting
// schema (introspected, or simulated offline), runs the row-count queries this part writes,
// and prints. The JSON shape is documented in docs/plan.md and schemas/plan.schema.json.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/op.hpp"
#include "model/result.hpp"
#include "model/revision_graph.hpp"

namespace distil::cli::plan {

inline constexpr int kFormatVersion = 1;

// Row figures of one op, counted on the live database before anything runs; nullopt when not
// counted (no database, the table does not exist yet, or the figure does not apply).
struct RowCounts {
  std::optional<std::int64_t> table;    // rows in the table the op works on
  std::optional<std::int64_t> lost;     // rows (drop_table) or non-null values (drop_column) lost
  std::optional<std::int64_t> failing;  // rows that make the op fail (NULLs for NOT NULL, ...)
};

// A query whose single integer result fills one RowCounts member.
struct CountQuery {
  enum class Kind { table, lost, failing };
  Kind kind = Kind::table;
  std::string sql;
};

struct OpPlan {
  size_t index = 0;   // 1-based position in the revision's op list
  std::string kind;   // the op's YAML key: "drop_column"
  std::string table;  // the table it works on ("" for raw SQL)
  int line = 0;       // line of the op in the revision file (0 if unknown)
  std::vector<std::string> sql;  // exactly what the runner would execute, in order
  bool destructive = false;      // model::is_destructive
  bool rewrites_table = false;   // every row is copied/rewritten
  bool locks_table = false;      // blocks writes (or reads) to the table while it runs
  std::vector<std::string> notes;  // why, in words
  RowCounts rows;
  std::vector<CountQuery> counts;  // to run on the live database (empty offline)
};

struct StepPlan {
  std::string revision, message, file;
  bool upgrade = true;
  bool transactional = true;
  bool foreign_keys_off = false;  // a SQLite rebuild: PRAGMA foreign_keys=OFF around it
  model::Heads from, to;          // version-table rows before and after
  std::vector<OpPlan> ops;
};

struct Plan {
  std::string command;   // "upgrade" | "downgrade"
  std::string target;    // as given ("head", "-1", "--delta 2")
  emitters::Dialect dialect = emitters::Dialect::sqlite;
  std::string database;  // the database looked at; "" when planned offline (--from)
  bool rows_counted = false;
  model::Heads current, result;
  std::vector<StepPlan> steps;
};

// Where planning starts: the schema at the current revision and, when it is the live
// database's, the triggers SQLite rebuilds re-create.
struct PlanInput {
  emitters::Dialect dialect = emitters::Dialect::sqlite;
  model::Schema schema;
  std::function<std::vector<std::string>(std::string_view table)> triggers;
  bool live = false;  // `schema` is the live database: write count queries for its tables
};

// The schema after every upgrade op of the revisions applied at `heads` (raw SQL is not
// simulated), as offline `--sql` sees it.
model::Schema simulated_schema(const model::RevisionGraph& graph, const model::Heads& heads);

// Renders every op of `steps` against the schema as it will be at that point (the input
// schema advanced op by op with model::apply), classifies it, and, when input.live, writes
// the count queries for tables that exist in the live database. Errors name the revision,
// its file, line and op, as the runner's would.
model::Result<Plan> build_plan(const model::RevisionGraph& graph, const model::Heads& start,
                               const std::vector<model::PlanStep>& steps, const PlanInput& input);

// What an op does to its table beyond its SQL: a rewrite, a long lock, and why.
struct Hazards {
  bool rewrites_table = false, locks_table = false;
  std::vector<std::string> notes;
};
// `before` is the op's table before it runs (nullptr when unknown); `rebuild` whether the
// SQLite renderer made it a table rebuild.
Hazards analyse(emitters::Dialect dialect, const model::Op& op, const model::Table* before,
                bool rebuild);

// PostgreSQL: whether ALTER COLUMN TYPE from `from` to `to` rewrites the table. False only
// for binary-compatible widenings: varchar(n) -> varchar(m >= n) / varchar / text,
// text <-> varchar, numeric(p,s) -> numeric(q >= p, s) / numeric, and an unchanged type.
bool pg_type_change_rewrites(std::string_view from, std::string_view to);

// Whether a column default is volatile (PostgreSQL then rewrites the table on ADD COLUMN):
// it calls random(), clock_timestamp(), gen_random_uuid(), uuid_generate_*(), nextval(),
// timeofday() or txid_current(). now()/CURRENT_TIMESTAMP are stable, not volatile.
bool is_volatile_default(std::string_view sql);

// Totals over the plan.
struct Summary {
  size_t revisions = 0, ops = 0, destructive = 0, rewrites = 0, locks = 0;
};
Summary summarise(const Plan& plan);

// The plan for people: one block per revision, each op with its SQL; destructive ops in red,
// rewrites and locks in yellow when `colour`.
std::string render_text(const Plan& plan, bool colour);
// The plan for machines (schemas/plan.schema.json), ending in a newline.
std::string render_json(const Plan& plan);

}  // namespace distil::cli::plan
