// `__complete targets`: a hidden helper for the shell completion (completion/): prints the
// words a revision argument may be, one per line, from the versions folder only (never the
// database, so completing is instant and side-effect free).
#include <iostream>
#include <set>

#include "cli/commands/commands.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

namespace {

Result<void> run_complete(const std::string& what, Context& ctx) {
  if (what != "targets")
    return fail(Error{.code = ErrorCode::usage, .message = "__complete knows only \"targets\""});
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  std::set<std::string> words{"base", "head", "heads"};
  for (const auto& rev : graph->revisions()) {
    words.insert(rev.id);
    for (const auto& label : rev.branch_labels) {
      words.insert(label);
      words.insert(label + "@head");
      words.insert(label + "@base");
    }
  }
  for (const auto& w : words) std::cout << w << "\n";
  return {};
}

}  // namespace

void add_complete(CLI::App& app, Context& ctx) {
  auto what = std::make_shared<std::string>();
  // An empty group hides the command from --help.
  auto* cmd = app.add_subcommand("__complete", "Words for shell completion")->group("");
  cmd->add_option("what", *what, "targets")->required();
  cmd->callback([what, &ctx] { ctx.result = run_complete(*what, ctx); });
}

}  // namespace distil::cli
