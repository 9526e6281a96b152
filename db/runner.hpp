// The runner: applies plans of revisions to a live database, one transaction per revision
// together with its version-table update, under a whole-run migration lock.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "model/revision_graph.hpp"

namespace distil::db {

struct RunOptions {
  std::string version_table = "alembic_version";
  int lock_timeout_ms = 60000;
  bool verbose = false;                           // log each statement
  std::function<void(const std::string&)> log;    // INFO lines (stderr)
  std::function<void(const std::string&)> warn;   // WARNING lines (stderr)
  // Called before each revision of the plan starts (index from 0) and after it committed;
  // for progress displays.
  std::function<void(size_t index, size_t total, const model::PlanStep& step)> on_step_start;
  std::function<void(size_t index, size_t total, const model::PlanStep& step)> on_step_done;
};

// The version-table rows, validated against the graph: a row naming a revision no file
// defines is an error that says how to repair it (stamp). A missing table = no rows.
model::Result<model::Heads> read_heads(Connection& conn, const model::RevisionGraph& graph,
                                       const std::string& version_table);
// The raw rows, unvalidated (for stamp --purge and diagnostics).
model::Result<model::Heads> read_rows(Connection& conn, const std::string& version_table);
// read_heads' validation of rows read with read_rows.
model::Result<model::Heads> known_heads(model::Heads rows, const model::RevisionGraph& graph,
                                        const std::string& version_table);

// Plans with `plan` (called under the lock with the current rows) and applies every step.
// Each revision runs in its own transaction with its version update; a failure rolls that
// revision back entirely and stops, naming the revision, op and statement. Returns the
// number of revisions applied.
using Planner = std::function<model::Result<std::vector<model::PlanStep>>(const model::Heads&)>;
model::Result<int> run(Connection& conn, const model::RevisionGraph& graph, const Planner& plan,
                       const RunOptions& options);

// Sets the version table to `target(current rows)` without running any migration; the
// recorded file hashes become those of the revisions now applied (their current files).
using Stamper = std::function<model::Result<model::Heads>(const model::Heads&)>;
model::Result<void> stamp(Connection& conn, const model::RevisionGraph& graph,
                          const Stamper& target, const RunOptions& options);

// An applied revision whose file changed after it was applied.
struct EditedRevision {
  const model::Revision* revision;
  std::string recorded_sha256;
};
// The applied revisions (ancestors of `heads`) whose recorded hash differs from their file's.
// Revisions applied without a recorded hash (by Alembic, or before hashes were kept) are not
// reported. A database without the hash table has none.
model::Result<std::vector<EditedRevision>> edited_revisions(Connection& conn,
                                                            const model::RevisionGraph& graph,
                                                            const model::Heads& heads,
                                                            const std::string& version_table);
// "revision 0003 (migrations/versions/0003_x.yaml) was edited after it was applied ..."
std::string describe_edit(const EditedRevision& edit);

}  // namespace distil::db
