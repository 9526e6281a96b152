// The SQL of whole revisions: per-op rendering for a dialect, the version-table statements,
// and the complete offline (--sql) script. Pure; the runner executes exactly these
// statements, so `upgrade --sql` prints what `upgrade` runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "model/op.hpp"
#include "model/revision_graph.hpp"

namespace distil::emitters {

// The SQL of one op in `dialect`.
model::Result<RenderedOp> render(Dialect dialect, const model::Op& op, const SchemaSource& source);

// The ops a step runs: the revision's upgrade list, or its downgrade list.
const std::vector<model::Op>& step_ops(const model::PlanStep& step);

// CREATE TABLE IF NOT EXISTS for the Alembic-compatible version table.
std::string version_table_ddl(std::string_view table);

// The statements that move the version table from `before` to `after` (Alembic style:
// INSERT for a new row, UPDATE for a moved one, DELETE for a removed one).
std::vector<std::string> version_update_sql(const model::Heads& before, const model::Heads& after,
                                            std::string_view table);

// "Running upgrade a -> b, message" (the log line and the script's comment).
std::string describe_step(const model::PlanStep& step, const model::Heads& before,
                          const model::Heads& after);

// A schema simulated from revision ops, for offline rendering. Raw SQL is not simulated.
class SimulatedSchema {
 public:
  // The schema after every upgrade op of the revisions in applied_set(heads), in order.
  SimulatedSchema(const model::RevisionGraph& graph, const model::Heads& heads);
  SchemaSource source() const;
  void advance(const model::Op& op);  // apply, ignoring what cannot be simulated

 private:
  model::Schema schema_;
};

struct OfflineOptions {
  std::string version_table = "alembic_version";
  bool create_version_table = true;  // emit the version-table DDL first
};

// The side table that records, per version table, the SHA-256 of each applied revision's
// file, so an edit made after applying can be told. The version table stays Alembic's.
inline constexpr std::string_view kHashTable = "_distil_revision_hashes";
std::string hash_table_ddl();
// Within a revision's transaction: record its hash (upgrade) or forget it (downgrade).
std::vector<std::string> hash_update_sql(const model::PlanStep& step, std::string_view version_table);
// For stamp: the recorded hashes become exactly those of `applied` (current file contents).
std::vector<std::string> hash_reset_sql(const std::vector<const model::Revision*>& applied,
                                        std::string_view version_table);
// The select that reads the recorded (revision, sha256) pairs of `version_table`.
std::string hash_select_sql(std::string_view version_table);

// The complete script for `steps` starting from `start`: version-table DDL, then each
// revision as BEGIN; ops; version update; COMMIT; (with PRAGMA foreign_keys=OFF around a
// SQLite rebuild). Errors name the revision and op index.
model::Result<std::string> offline_script(Dialect dialect, const model::RevisionGraph& graph,
                                          const model::Heads& start,
                                          const std::vector<model::PlanStep>& steps,
                                          const OfflineOptions& options);

// The statements of one op, with the revision and op index named in errors.
model::Error locate(model::Error error, const model::PlanStep& step, size_t op_index);

}  // namespace distil::emitters
