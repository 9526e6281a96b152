// `check_migration`: exit 0 iff the timeline does not branch and the history is whole.
#include <iostream>

#include "cli/commands/commands.hpp"
#include "db/runner.hpp"
#include "lint/database.hpp"

namespace distil::cli {

using model::Result;

namespace {

// Lints the revisions not yet applied when the database is reachable, else every revision
// without the row-based rules (docs/lint.md); prints the findings on stderr. Returns true
// when one is an error that no `lint: {ignore: ...}` accepts.
Result<bool> lint_revisions(Context& ctx, const model::RevisionGraph& graph,
                            const Result<std::unique_ptr<db::Connection>>& conn) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(DatabaseUrl url, ctx.url());
  lint::Options options{
      .dialect = url.driver == Driver::postgresql ? "postgresql" : "sqlite",
      .large_table_rows = config->lint_large_table_rows,
      .ignore = config->lint_ignore};
  lint::Report report;
  if (conn) {
    DISTIL_TRY(report, lint::lint_pending(**conn, graph, config->version_table, options));
  } else {
    Context::log("lint: no database (" + conn.error().message +
                 "); linting every revision without row counts");
    report = lint::lint_history(graph, options);
  }
  for (const lint::Finding& f : report.findings) std::cerr << lint::format(f) << "\n";
  if (report.errors())
    std::cerr << "ERROR [distil] lint: the revisions above would fail or break the database; "
                 "fix them, or accept a finding with `lint: {ignore: [RULE]}` in the revision\n";
  return report.errors();
}

// The applied revisions whose files were edited after they were applied (docs/reliability.md,
// integrity of history); prints each. No database reachable: nothing to compare with.
Result<bool> edited_history(Context& ctx, const model::RevisionGraph& graph, db::Connection& conn) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(model::Heads heads, db::read_heads(conn, graph, config->version_table));
  DISTIL_TRY(auto edited, db::edited_revisions(conn, graph, heads, config->version_table));
  for (const auto& e : edited) std::cerr << "ERROR [distil] " << db::describe_edit(e) << "\n";
  return !edited.empty();
}

Result<void> run_check_migration(Context& ctx) {
  // Loading builds the graph, which fails on a cycle, a missing parent or a duplicate id.
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  auto problems = graph->check_single_head_per_branch();
  for (const auto& p : problems) std::cerr << "ERROR [distil] " << p.message << "\n";
  if (!problems.empty()) {
    std::cerr << "ERROR [distil] the migration timeline branches; merge the heads "
                 "(distil-db-manage merge -m \"...\" heads) or give them distinct branch labels\n";
    ctx.exit_status = 1;
    return {};
  }
  // One look at the database (when reachable) serves both checks.
  auto conn = ctx.connect(/*create=*/false);
  bool edited = false;
  if (conn) {
    DISTIL_TRY(edited, edited_history(ctx, *graph, **conn));
  }
  DISTIL_TRY(bool lint_errors, lint_revisions(ctx, *graph, conn));
  if (edited || lint_errors) {
    ctx.exit_status = 1;
    return {};
  }
  std::string heads;
  for (const auto* h : graph->heads()) heads += (heads.empty() ? "" : ", ") + h->id;
  std::cout << "OK: " << graph->revisions().size() << " revisions, no branching; head(s): "
            << (heads.empty() ? "<base>" : heads) << "\n";
  return {};
}

}  // namespace

void add_check_migration(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("check_migration", "Verify that the migration timeline does not branch");
  cmd->callback([&ctx] { ctx.result = run_check_migration(ctx); });
}

}  // namespace distil::cli
