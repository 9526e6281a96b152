// `stamp`: set the version table without running any migration.
#include <iostream>

#include "cli/commands/commands.hpp"
#include "db/runner.hpp"
#include "emitters/sql/script.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

struct StampOptions {
  std::vector<std::string> revisions;
  bool purge = false;
  bool sql = false;
};

// The revisions a stamp target names: base -> none, heads -> every head.
Result<std::vector<std::string>> targets(const model::RevisionGraph& graph,
                                         const std::vector<std::string>& refs) {
  std::vector<std::string> out;
  for (const auto& ref : refs) {
    if (ref == "base") continue;
    if (ref == "heads") {
      for (const auto* h : graph.heads()) out.push_back(h->id);
      continue;
    }
    DISTIL_TRY(auto rev, graph.resolve(ref));
    if (rev) out.push_back((*rev)->id);
  }
  return out;
}

// Rows after stamping: rows on the same lineage as a target are replaced by it (as Alembic);
// unrelated branches keep their rows. Stamping "base" alone clears the table.
Result<Heads> stamped(const model::RevisionGraph& graph, const Heads& rows,
                      const std::vector<std::string>& refs, bool purge) {
  DISTIL_TRY(auto ids, targets(graph, refs));
  Heads current;
  for (const auto& r : rows) {
    if (graph.find(r)) {
      current.insert(r);
    } else if (!purge) {
      return fail(Error{.code = ErrorCode::revision,
                        .message = "the version table names revision \"" + r +
                                   "\", which no revision file defines; use `stamp --purge` to "
                                   "replace the table's contents"});
    }
  }
  bool only_base = ids.empty();
  if (purge || only_base) current.clear();
  std::set<std::string> applied;
  for (const auto& r : current) {
    auto r_ancestors = graph.applied_set({r});
    bool related = false;
    for (const auto& t : ids) related = related || r_ancestors.count(t) || graph.applied_set({t}).count(r);
    if (!related) applied.insert(r_ancestors.begin(), r_ancestors.end());
  }
  for (const auto& t : ids) {
    auto a = graph.applied_set({t});
    applied.insert(a.begin(), a.end());
  }
  return graph.heads_of_applied(applied);
}

Result<void> run_stamp(const StampOptions& o, Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  if (o.sql) {
    // Offline: the script starts from an empty version table, as Alembic's.
    DISTIL_TRY(Heads after, stamped(*graph, {}, o.revisions, true));
    std::cout << emitters::version_table_ddl(config->version_table) << ";\n";
    for (const auto& s : emitters::version_update_sql({}, after, config->version_table))
      std::cout << s << ";\n";
    std::vector<const model::Revision*> applied;
    for (const auto& id : graph->applied_set(after)) applied.push_back(graph->find(id));
    std::cout << emitters::hash_table_ddl() << ";\n";
    for (const auto& s : emitters::hash_reset_sql(applied, config->version_table))
      std::cout << s << ";\n";
    return {};
  }
  DISTIL_TRY(auto conn, ctx.connect(true));
  db::RunOptions run{.version_table = config->version_table,
                     .lock_timeout_ms = ctx.lock_timeout_s * 1000,
                     .log = Context::log};
  Heads before;
  Heads after_rows;
  DISTIL_CHECK(db::stamp(*conn, *graph, [&](const Heads& rows) -> Result<Heads> {
    before = rows;
    DISTIL_TRY(Heads after, stamped(*graph, rows, o.revisions, o.purge));
    after_rows = after;
    return after;
  }, run));
  auto join = [](const Heads& h) {
    std::string s;
    for (const auto& x : h) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("<base>") : s;
  };
  Context::log("Stamped " + join(before) + " -> " + join(after_rows) + " (no migration ran)");
  return {};
}

}  // namespace

void add_stamp(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<StampOptions>();
  auto* cmd = app.add_subcommand("stamp", "Set the version table to a revision; run no migration");
  cmd->add_option("revisions", o->revisions, "Revision(s), heads or base")->required();
  cmd->add_flag("--purge", o->purge, "Delete every row of the version table first");
  cmd->add_flag("--sql", o->sql, "Print the SQL instead of running it (offline)");
  cmd->add_option("--lock-timeout", ctx.lock_timeout_s, "Seconds to wait for another migration");
  cmd->callback([o, &ctx] { ctx.result = run_stamp(*o, ctx); });
}

}  // namespace distil::cli
