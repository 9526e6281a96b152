// `check`: exit 1 when autogenerate would produce any op (a drift gate for CI).
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/schema_diff.hpp"
#include "emitters/revision/writer.hpp"

namespace distil::cli {

using model::Result;

namespace {

Result<void> run_check(Context& ctx) {
  DISTIL_TRY(auto conn, ctx.connect(false));
  DISTIL_TRY(differ::DiffResult diff, diff_database(ctx, *conn));
  print_warnings(diff.warnings);
  if (diff.empty()) {
    Context::log("No changes detected: the database matches the models.");
    return {};
  }
  std::cout << "upgrade:\n" << emitters::write_ops(diff.upgrade);
  std::cerr << "ERROR [distil] " << diff.upgrade.size()
            << " pending operation(s): the database differs from the models; run "
               "`revision --autogenerate` and `upgrade head`\n";
  ctx.exit_status = 1;
  return {};
}

}  // namespace

void add_check(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("check", "Exit 1 if the database differs from the models");
  cmd->callback([&ctx] { ctx.result = run_check(ctx); });
}

}  // namespace distil::cli
