// distil-db-manage: the one place that prints errors and picks the exit status
// (0 ok, 1 the command failed or its check failed, 2 usage or config error).
#include <CLI/CLI.hpp>

#include <iostream>
#include <regex>

#include "cli/commands/commands.hpp"
#include "cli/support/tty.hpp"

namespace {

// `downgrade -1`: a negative number is a target, not an option. CLI11 would read it as a
// short option, so move it to the end behind "--" (the one positional of the command).
std::vector<std::string> normalise_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  static const std::regex kRelative("-[0-9]+");
  for (size_t i = 0; i < args.size(); ++i) {
    if (std::regex_match(args[i], kRelative) && (i == 0 || args[i - 1] != "--delta")) {
      std::string target = args[i];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      args.push_back("--");
      args.push_back(target);
      break;
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace distil;
  // Never destroyed: freeing 10,000 revision headers one by one costs milliseconds that the
  // exit frees at once (still reachable from here, so leak checkers do not report it).
  static cli::Context* const kept = new cli::Context;
  cli::Context& ctx = *kept;
  CLI::App app{"distil-db-manage: declarative schema migrations for SQLite and PostgreSQL",
               "distil-db-manage"};
  app.add_option("--config-file", ctx.config_files,
                 "Config file (repeatable; later files override earlier ones)");
  app.add_option("--database-url", ctx.database_url, "Overrides [database] connection");
  // Option callbacks run before the command's, so the mode is set when the command prints.
  app.add_option_function<std::string>(
         "--color,--colour",
         [](const std::string& mode) {
           cli::tty::set_colour_mode(
               cli::tty::parse_colour_mode(mode).value_or(cli::tty::ColourMode::automatic));
         },
         "auto (default: colour on a terminal unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.require_subcommand(1);
  cli::add_upgrade(app, ctx);
  cli::add_downgrade(app, ctx);
  cli::add_current(app, ctx);
  cli::add_history(app, ctx);
  cli::add_heads(app, ctx);
  cli::add_branches(app, ctx);
  cli::add_show(app, ctx);
  cli::add_revision(app, ctx);
  cli::add_merge(app, ctx);
  cli::add_stamp(app, ctx);
  cli::add_check_migration(app, ctx);
  cli::add_check(app, ctx);
  cli::add_inspect(app, ctx);
  cli::add_graph(app, ctx);
  cli::add_complete(app, ctx);
  // Global options are accepted after the command too (`history --color always`).
  for (CLI::App* command : app.get_subcommands({})) command->fallthrough();
  try {
    auto args = normalise_args(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc ? 2 : 0;
  } catch (const std::exception& e) {
    std::cerr << "ERROR [distil] internal error: " << e.what() << "\n";
    return 1;
  }
  if (!ctx.result) {
    std::cerr << "ERROR [distil] " << model::format_error(ctx.result.error()) << "\n";
    return model::is_usage_error(ctx.result.error()) ? 2 : 1;
  }
  return ctx.exit_status;
}
