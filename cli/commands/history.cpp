// The read-only commands: `current`, `history`, `heads`, `branches`, `show`.
#include <algorithm>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "db/runner.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

Result<void> run_current(bool verbose, Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(auto conn, ctx.connect(false));
  Context::log("Context impl " + emitters::to_string(conn->dialect()) + ".");
  DISTIL_TRY(Heads heads, db::read_heads(*conn, *graph, config->version_table));
  if (verbose) std::cout << "Current revision(s) for " << conn->describe() << ":\n";
  for (const auto& id : heads) {
    const auto* rev = graph->find(id);
    if (verbose) {
      std::cout << format_verbose(*graph, *rev);
    } else {
      std::cout << format_revision(*graph, *rev, {.tree = false}) << "\n";
    }
  }
  return {};
}

// Revisions in the -r START:END range: descendants-or-self of START, ancestors-or-self of END.
Result<std::vector<const model::Revision*>> history_range(Context& ctx,
                                                          const model::RevisionGraph& graph,
                                                          const std::string& range) {
  auto order = graph.topological_order();
  std::reverse(order.begin(), order.end());  // newest first
  if (range.empty()) return order;
  auto colon = range.find(':');
  if (colon == std::string::npos)
    return fail(Error{.code = ErrorCode::usage,
                      .message = "history range must be START:END (either side may be empty), got \"" +
                                 range + "\""});
  std::string start = range.substr(0, colon), end = range.substr(colon + 1);
  auto resolve = [&](const std::string& ref) -> Result<std::optional<Heads>> {
    if (ref.empty() || ref == "base" || ref == "heads") return std::optional<Heads>{};
    if (ref == "current") {
      DISTIL_TRY(const Config* config, ctx.config());
      DISTIL_TRY(auto conn, ctx.connect(false));
      DISTIL_TRY(Heads heads, db::read_heads(*conn, graph, config->version_table));
      return std::optional<Heads>{heads};
    }
    DISTIL_TRY(auto rev, graph.resolve(ref));
    Heads h;
    if (rev) h.insert((*rev)->id);
    return std::optional<Heads>{h};
  };
  DISTIL_TRY(auto lower, resolve(start));
  DISTIL_TRY(auto upper, resolve(end));
  std::set<std::string> below = upper ? graph.applied_set(*upper) : std::set<std::string>{};
  std::vector<const model::Revision*> out;
  for (const auto* rev : order) {
    if (upper && !below.count(rev->id)) continue;
    if (lower) {
      // rev must be START or a descendant of it.
      auto ancestors = graph.applied_set({rev->id});
      bool ok = false;
      for (const auto& l : *lower) ok = ok || ancestors.count(l);
      if (!ok) continue;
    }
    out.push_back(rev);
  }
  return out;
}

Result<void> run_history(const std::string& range, bool verbose, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(auto revs, history_range(ctx, *graph, range));
  for (const auto* rev : revs) {
    if (verbose) {
      std::cout << format_verbose(*graph, *rev) << "\n";
    } else {
      std::cout << format_revision(*graph, *rev, {.doc = true, .parents = true}) << "\n";
    }
  }
  return {};
}

Result<void> run_heads(bool verbose, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  for (const auto* rev : graph->heads()) {
    if (verbose) {
      std::cout << format_verbose(*graph, *rev);
    } else {
      std::cout << format_revision(*graph, *rev, {.tree = false}) << "\n";
    }
  }
  return {};
}

Result<void> run_branches(bool verbose, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  for (const auto* bp : graph->branch_points()) {
    std::cout << (verbose ? format_verbose(*graph, *bp) : format_revision(*graph, *bp, {.doc = true}) + "\n");
    std::string pad(bp->id.size(), ' ');
    for (const auto* rev : graph->topological_order())
      for (const auto& d : rev->down_revisions)
        if (d == bp->id)
          std::cout << pad << " -> " << format_revision(*graph, *rev, {.doc = true}) << "\n";
  }
  return {};
}

Result<void> run_show(const std::string& ref, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  std::vector<const model::Revision*> revs;
  if (ref == "heads") {
    revs = graph->heads();
  } else {
    DISTIL_TRY(auto rev, graph->resolve(ref));
    if (!rev) return fail(Error{.code = ErrorCode::usage, .message = "\"base\" is not a revision to show"});
    revs.push_back(*rev);
  }
  for (const auto* rev : revs) std::cout << format_verbose(*graph, *rev);
  return {};
}

}  // namespace

void add_current(CLI::App& app, Context& ctx) {
  auto verbose = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("current", "Display the current revision(s) of the database");
  cmd->add_flag("--verbose,-v", *verbose, "Use more verbose output");
  cmd->callback([verbose, &ctx] { ctx.result = run_current(*verbose, ctx); });
}

void add_history(CLI::App& app, Context& ctx) {
  auto range = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("history", "List revisions in chronological order, newest first");
  cmd->add_option("-r,--rev-range", *range, "START:END (base, head, current, ids, prefixes)");
  cmd->add_flag("--verbose,-v", *verbose, "Use more verbose output");
  cmd->callback([range, verbose, &ctx] { ctx.result = run_history(*range, *verbose, ctx); });
}

void add_heads(CLI::App& app, Context& ctx) {
  auto verbose = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("heads", "Show the current available heads");
  cmd->add_flag("--verbose,-v", *verbose, "Use more verbose output");
  cmd->callback([verbose, &ctx] { ctx.result = run_heads(*verbose, ctx); });
}

void add_branches(CLI::App& app, Context& ctx) {
  auto verbose = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("branches", "Show the branch points");
  cmd->add_flag("--verbose,-v", *verbose, "Use more verbose output");
  cmd->callback([verbose, &ctx] { ctx.result = run_branches(*verbose, ctx); });
}

void add_show(CLI::App& app, Context& ctx) {
  auto ref = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("show", "Show the revision(s) denoted by the given symbol");
  cmd->add_option("rev", *ref, "A revision id, prefix, head or heads")->required();
  cmd->callback([ref, &ctx] { ctx.result = run_show(*ref, ctx); });
}

}  // namespace distil::cli
