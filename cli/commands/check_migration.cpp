// `check_migration`: exit 0 iff the timeline does not branch and the history is whole.
#include <iostream>

#include "cli/commands/commands.hpp"

namespace distil::cli {

using model::Result;

namespace {

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
