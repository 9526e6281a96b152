// The models-versus-database comparison that `revision --autogenerate` and `check` share.
#pragma once

#include "cli/context.hpp"
#include "db/connection.hpp"
#include "differ/diff.hpp"

namespace distil::cli {

// Loads the YAML models of the config, introspects the database and diffs them; the two
// schemas are copied to `models` / `actual` when given (lint needs them). With
// `downgrade` false the result's downgrade is left for differ::add_downgrade().
model::Result<differ::DiffResult> diff_database(Context& ctx, db::Connection& conn,
                                                model::Schema* models = nullptr,
                                                model::Schema* actual = nullptr,
                                                bool downgrade = true);

// Fails with "database is not up to date" unless every head of the history is applied.
model::Result<void> require_up_to_date(Context& ctx, db::Connection& conn);

// Writes each warning to stderr as "WARNING [distil] ...".
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace distil::cli
