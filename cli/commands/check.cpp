// `check`: exit 1 when autogenerate would produce any op (a drift gate for CI). On a
// terminal the pending ops are coloured: added green, removed red, changed yellow.
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/schema_diff.hpp"
#include "cli/support/tty.hpp"
#include "emitters/revision/writer.hpp"

namespace distil::cli {

using model::Result;

namespace {

// Added (create/add) green, removed (drop) red, changed (alter, rename, raw SQL) yellow.
tty::Style style_of(const model::Op& op) {
  return std::visit(
      model::Overloaded{
          [](const model::CreateTable&) { return tty::Style::green; },
          [](const model::AddColumn&) { return tty::Style::green; },
          [](const model::CreateIndex&) { return tty::Style::green; },
          [](const model::CreateUnique&) { return tty::Style::green; },
          [](const model::CreateForeignKey&) { return tty::Style::green; },
          [](const model::CreateCheck&) { return tty::Style::green; },
          [](const model::DropTable&) { return tty::Style::red; },
          [](const model::DropColumn&) { return tty::Style::red; },
          [](const model::DropIndex&) { return tty::Style::red; },
          [](const model::DropConstraint&) { return tty::Style::red; },
          [](const auto&) { return tty::Style::yellow; },
      },
      op);
}

// The ops as `revision --autogenerate` would write them, each op coloured when `colour`.
std::string show_ops(const std::vector<model::Op>& ops, bool colour) {
  if (!colour) return emitters::write_ops(ops);
  std::string out;
  for (const auto& op : ops) out += tty::paint_lines(style_of(op), emitters::write_ops({op}), true);
  return out;
}

Result<void> run_check(Context& ctx) {
  DISTIL_TRY(auto conn, ctx.connect(false));
  DISTIL_TRY(differ::DiffResult diff, diff_database(ctx, *conn));
  print_warnings(diff.warnings);
  if (diff.empty()) {
    Context::log("No changes detected: the database matches the models.");
    return {};
  }
  std::cout << "upgrade:\n" << show_ops(diff.upgrade, tty::colour_enabled(1));
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
