// `upgrade/downgrade --plan` and `upgrade --rehearse`: the parts that look at (or copy) the
// database. The plan itself is plan_model.hpp; migrate.cpp binds the flags.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "model/result.hpp"
#include "model/revision_graph.hpp"

namespace distil::cli {

// Plans the steps from the version-table rows (migrate.cpp's target/--delta logic).
using StepPlanner =
    std::function<model::Result<std::vector<model::PlanStep>>(const model::Heads& current)>;

struct PlanRequest {
  bool upgrade = true;
  std::string target;        // for display: "head", "-1", "--delta 2"
  std::string format = "text";  // "text" | "json"
  // --from REV...: plan offline from these version rows (ids, prefixes or "base"); no
  // database is opened. Empty: read the rows (and count rows) on the database, read-only.
  std::vector<std::string> from;
};

// Prints the plan to stdout. Never writes to the database: SQLite is opened read-only
// (a missing file plans from <base>); PostgreSQL runs only SELECTs.
model::Result<void> run_plan(const PlanRequest& request, const StepPlanner& planner, Context& ctx);

// Copies the database (SQLite: VACUUM INTO a temporary file; PostgreSQL: CREATE DATABASE
// ... TEMPLATE), upgrades the copy with the runner, compares it with the models as `check`
// does, prints a report, and deletes the copy. Sets ctx.exit_status to 1 when the check is
// not clean; a failed upgrade of the copy is an error (exit 1). The real database is only read.
model::Result<void> run_rehearse(const std::string& target, const StepPlanner& planner,
                                 bool verbose, Context& ctx);

}  // namespace distil::cli
