// Migration lint (docs/lint.md): findings on ops that will fail, lose data or lock a big
// table, before they run. The rules are pure: ops + the schema before them + optional table
// statistics (row counts, views) as plain data; statistics.hpp gathers those from a database.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/op.hpp"
#include "model/schema.hpp"

namespace distil::lint {

enum class Severity { warning, error };
std::string to_string(Severity severity);  // "warning", "error"

// The rules. Each finding carries one of these ids; `lint: {ignore: [...]}` names them.
inline constexpr const char* kNotNullWithoutDefault = "L001";  // error
inline constexpr const char* kForeignKeyNotUnique = "L002";    // error
inline constexpr const char* kTypeNarrowing = "L003";          // warning
inline constexpr const char* kDropColumnInUse = "L004";        // error (view), warning (index)
inline constexpr const char* kIndexNotConcurrent = "L005";     // warning (PostgreSQL)

struct Finding {
  std::string rule;  // "L001".."L005"
  Severity severity = Severity::warning;
  std::string message;
  model::Origin origin;   // the model file and line, or the revision file and the op's line
  std::string revision;   // the revision id when the ops came from a revision file
  std::string table, column;
  bool ignored = false;   // accepted by a `lint: {ignore: ...}` entry or [lint] ignore
  friend bool operator==(const Finding&, const Finding&) = default;
};

// A view of the database and what it reads. `uses` is exact when the database says so
// (PostgreSQL's pg_depend); otherwise the rules look for the table and column names in
// `definition` (SQLite, views created by raw SQL in a revision).
struct View {
  struct Use {
    std::string table, column;
    friend bool operator==(const Use&, const Use&) = default;
  };
  std::string name;
  std::string definition;  // the SELECT, as the database or the revision wrote it
  std::vector<Use> uses;
  bool uses_known = false;
  friend bool operator==(const View&, const View&) = default;
};

// What the database holds besides its schema, as plain data.
struct Statistics {
  // Rows per table, counted up to `count_limit` (a count equal to it means "at least").
  // Tables missing here are unknown: the row-based rules (L001, L005) stay quiet on them.
  std::map<std::string, std::int64_t> rows;
  std::int64_t count_limit = 0;  // 0: exact counts
  std::vector<View> views;
  friend bool operator==(const Statistics&, const Statistics&) = default;
};

struct Options {
  std::string dialect = "sqlite";           // "sqlite" or "postgresql"
  std::int64_t large_table_rows = 100000;   // L005 from this many rows
  std::vector<std::string> ignore;          // rule ids accepted everywhere ([lint] ignore)
};

// Where the ops come from, for the findings' locations.
struct Source {
  std::string revision;          // the revision id ("" at autogenerate time)
  std::string file;              // the revision file
  std::vector<int> op_lines;     // the line of each op in `file` (0 or missing: unknown)
  std::vector<std::string> ignore;  // the revision's `lint: {ignore: [...]}`
  // The YAML models (autogenerate): a finding on a table or column the op does not carry
  // an origin for (alter_column, drop_column) names the model's table or column.
  const model::Schema* models = nullptr;
};

// Lints a sequence of ops (one revision after another), keeping track of the schema, the
// row counts and the views as the ops change them (model::apply; raw SQL is scanned for
// CREATE/DROP VIEW). An op that cannot be simulated leaves the state as it was.
class Linter {
 public:
  // `stats`: nullopt when no database is reachable; then the row-based rules are off.
  Linter(model::Schema before, std::optional<Statistics> stats, Options options);

  // The findings of `ops`, in op order, then advances past them. Ignored findings are
  // returned too, with `ignored` set.
  std::vector<Finding> lint(const std::vector<model::Op>& ops, const Source& source = {});

  const model::Schema& schema() const { return schema_; }

 private:
  struct Step;
  model::Schema schema_;
  std::optional<std::map<std::string, std::int64_t>> rows_;
  std::int64_t count_limit_ = 0;
  std::vector<View> views_;
  Options options_;
};

// One-shot form of Linter: the findings of `ops` run against `before`.
// `before` is taken by value: the linter simulates the ops on it.
std::vector<Finding> lint(const std::vector<model::Op>& ops, model::Schema before,
                          const std::optional<Statistics>& stats, const Options& options,
                          const Source& source = {});

// True when `entry` ("L003", "L003:orders", "L003:orders.total") accepts `finding`.
bool ignores(std::string_view entry, const Finding& finding);

// `WARNING [distil] lint L003 <message> (file:line, revision R)` — the line the CLI prints;
// an ignored finding says "(ignored)" and is printed as INFO.
std::string format(const Finding& finding);

// The tables whose rows the rules may need for `ops` (every table an op names), for
// gather_statistics.
std::vector<std::string> tables_named(const std::vector<model::Op>& ops);

// Why changing a column from type `from` to `to` may lose or reject data ("" when it
// cannot): varchar(100) -> varchar(20), numeric(12,2) -> numeric(12,1), bigint -> integer,
// text -> varchar(n), timestamp -> date, ... Types compare by differ::canonical_type.
std::string narrowing(std::string_view from, std::string_view to);

}  // namespace distil::lint
