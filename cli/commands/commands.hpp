// Each command binds its flags on the CLI11 app and sets a callback that stores its outcome
// in the Context.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace distil::cli {

void add_upgrade(CLI::App& app, Context& ctx);
void add_downgrade(CLI::App& app, Context& ctx);
void add_current(CLI::App& app, Context& ctx);
void add_history(CLI::App& app, Context& ctx);
void add_heads(CLI::App& app, Context& ctx);
void add_branches(CLI::App& app, Context& ctx);
void add_show(CLI::App& app, Context& ctx);
void add_revision(CLI::App& app, Context& ctx);
void add_merge(CLI::App& app, Context& ctx);
void add_stamp(CLI::App& app, Context& ctx);
void add_check_migration(CLI::App& app, Context& ctx);
void add_check(CLI::App& app, Context& ctx);
void add_inspect(CLI::App& app, Context& ctx);
void add_graph(CLI::App& app, Context& ctx);
void add_complete(CLI::App& app, Context& ctx);  // hidden: shell completion words

}  // namespace distil::cli
