// The read-only commands: `current`, `history`, `heads`, `branches`, `show`. On a terminal
// (cli/support/tty) ids, branch labels and the (head), (current), (branchpoint) and
// (mergepoint) marks are coloured; piped output is plain text.
#include <algorithm>
#include <future>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/support/tty.hpp"
#include "db/runner.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

using tty::Style;

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// format_revision (cli/context.hpp) with colour: revision ids yellow, branch labels blue,
// (head) green, (current) cyan, (branchpoint)/(mergepoint) magenta, <base> dim. With
// `colour` false it is format_revision itself, so piped output never changes; with colour,
// removing the escape codes gives that same text (tests/tty checks both).
std::string show_revision(const model::RevisionGraph& graph, const model::Revision& rev,
                          const FormatOptions& o, const Heads& current, bool colour) {
  if (!colour) return format_revision(graph, rev, o, current);
  auto ids = [](const std::vector<std::string>& list) {
    std::vector<std::string> painted;
    for (const auto& id : list) painted.push_back(tty::paint(Style::yellow, id, true));
    return join(painted);
  };
  std::string text;
  if (o.parents) {
    text += rev.down_revisions.empty() ? tty::paint(Style::dim, "<base>", true) : ids(rev.down_revisions);
    if (!rev.depends_on.empty()) text += " (" + ids(rev.depends_on) + ")";
    text += " -> ";
  }
  text += tty::paint(Style::yellow, rev.id, true);
  if (o.branches && !rev.branch_labels.empty())
    text += " (" + tty::paint(Style::blue, join(rev.branch_labels), true) + ")";
  if (o.head || o.tree) {
    if (graph.is_head(rev))
      text += " " + tty::paint(Style::green, "(head)", true);
    if (current.count(rev.id)) text += " " + tty::paint(Style::cyan, "(current)", true);
  }
  if (o.tree) {
    if (graph.children(rev).size() > 1)
      text += " " + tty::paint(Style::magenta, "(branchpoint)", true);
    if (rev.down_revisions.size() > 1) text += " " + tty::paint(Style::magenta, "(mergepoint)", true);
  }
  if (o.doc) text += ", " + rev.message;
  return text;
}

// format_verbose with its "Rev:" line coloured as show_revision does.
std::string show_verbose(const model::RevisionGraph& graph, const model::Revision& rev,
                         const Heads& current, bool colour) {
  std::string text = format_verbose(graph, rev, current);
  if (!colour) return text;
  auto nl = text.find('\n');
  return "Rev: " + show_revision(graph, rev, {.branches = false}, current, true) + text.substr(nl);
}

Result<void> run_current(bool verbose, Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  // The database is opened and its version rows read while the revision headers load: on
  // SQLite the first query parses the whole schema (50 ms at 5,000 tables), on PostgreSQL
  // connecting takes round trips. Errors come in the old order: revisions, then database.
  struct Read {
    Result<std::unique_ptr<db::Connection>> conn;
    Result<Heads> rows = Heads{};
  };
  // On SQLite that read is CPU work (the schema parse), and the headers' stats leave it a
  // core (at 10,000 files and 5,000 tables: 60 ms against 70). A PostgreSQL connection
  // mostly waits for the server.
  auto url = ctx.url();
  const unsigned busy_threads = url && url->driver == Driver::sqlite ? 1 : 0;
  auto reading = std::async(std::launch::async, [&ctx, config] {
    Read read{ctx.connect(false)};
    if (read.conn) read.rows = db::read_rows(**read.conn, config->version_table);
    return read;
  });
  auto graph_or = ctx.graph_headers(busy_threads);
  Read read = reading.get();
  DISTIL_TRY(const model::RevisionGraph* graph, std::move(graph_or));
  DISTIL_TRY(auto conn, std::move(read.conn));
  Context::log("Context impl " + emitters::to_string(conn->dialect()) + ".");
  DISTIL_TRY(Heads rows, std::move(read.rows));
  DISTIL_TRY(Heads heads, db::known_heads(std::move(rows), *graph, config->version_table));
  const bool colour = tty::colour_enabled(1);
  if (verbose) std::cout << "Current revision(s) for " << conn->describe() << ":\n";
  for (const auto& id : heads) {
    const auto* rev = graph->find(id);
    if (verbose) {
      std::cout << show_verbose(*graph, *rev, {}, colour);
    } else {
      std::cout << show_revision(*graph, *rev, {.tree = false}, {}, colour) << "\n";
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

Result<void> run_history(const std::string& range, bool verbose, bool indicate_current,
                         Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  DISTIL_TRY(auto revs, history_range(ctx, *graph, range));
  Heads current;
  if (indicate_current) {
    DISTIL_TRY(const Config* config, ctx.config());
    DISTIL_TRY(auto conn, ctx.connect(false));
    DISTIL_TRY(current, db::read_heads(*conn, *graph, config->version_table));
  }
  const bool colour = tty::colour_enabled(1);
  for (const auto* rev : revs) {
    if (verbose) {
      std::cout << show_verbose(*graph, *rev, current, colour) << "\n";
    } else {
      std::cout << show_revision(*graph, *rev, {.doc = true, .parents = true}, current, colour)
                << "\n";
    }
  }
  return {};
}

Result<void> run_heads(bool verbose, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  const bool colour = tty::colour_enabled(1);
  for (const auto* rev : graph->heads()) {
    if (verbose) {
      std::cout << show_verbose(*graph, *rev, {}, colour);
    } else {
      std::cout << show_revision(*graph, *rev, {.tree = false}, {}, colour) << "\n";
    }
  }
  return {};
}

Result<void> run_branches(bool verbose, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  const bool colour = tty::colour_enabled(1);
  for (const auto* bp : graph->branch_points()) {
    std::cout << (verbose ? show_verbose(*graph, *bp, {}, colour)
                          : show_revision(*graph, *bp, {.doc = true}, {}, colour) + "\n");
    std::string pad(bp->id.size(), ' ');
    for (const auto* rev : graph->topological_order())
      for (const auto& d : rev->down_revisions)
        if (d == bp->id)
          std::cout << pad << " -> " << show_revision(*graph, *rev, {.doc = true}, {}, colour)
                    << "\n";
  }
  return {};
}

Result<void> run_show(const std::string& ref, Context& ctx) {
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  std::vector<const model::Revision*> revs;
  if (ref == "heads") {
    revs = graph->heads();
  } else {
    DISTIL_TRY(auto rev, graph->resolve(ref));
    if (!rev) return fail(Error{.code = ErrorCode::usage, .message = "\"base\" is not a revision to show"});
    revs.push_back(*rev);
  }
  const bool colour = tty::colour_enabled(1);
  for (const auto* rev : revs) std::cout << show_verbose(*graph, *rev, {}, colour);
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
  auto indicate_current = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("history", "List revisions in chronological order, newest first");
  cmd->add_option("-r,--rev-range", *range, "START:END (base, head, current, ids, prefixes)");
  cmd->add_flag("--verbose,-v", *verbose, "Use more verbose output");
  cmd->add_flag("--indicate-current,-i", *indicate_current,
                "Mark the database's current revision(s) with (current)");
  cmd->callback([range, verbose, indicate_current, &ctx] {
    ctx.result = run_history(*range, *verbose, *indicate_current, ctx);
  });
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
