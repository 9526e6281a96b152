// `upgrade` and `downgrade`: online through the runner, or offline (--sql) as a script.
#include <future>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/support/progress.hpp"
#include "cli/commands/plan_run.hpp"
#include "db/runner.hpp"
#include "emitters/sql/script.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

struct MigrateOptions {
  bool upgrade = true;
  std::string target;
  int delta = 0;
  bool sql = false;
  bool verbose = false;
  bool plan = false;      // --plan: print what would run, run nothing
  bool rehearse = false;  // --rehearse: run on a copy, then check
  std::string format = "text";
  std::vector<std::string> from;  // --plan --from REV: offline, from these rows
};

Error usage(std::string message) { return Error{.code = ErrorCode::usage, .message = std::move(message)}; }

// "base" -> {}, "heads" -> all heads, otherwise the resolved revision (or its head).
Result<Heads> resolve_heads(const model::RevisionGraph& graph, const std::string& ref) {
  Heads out;
  if (ref == "base" || ref.empty()) return out;
  if (ref == "heads") {
    for (const auto* h : graph.heads()) out.insert(h->id);
    return out;
  }
  DISTIL_TRY(auto rev, graph.resolve(ref));
  if (rev) out.insert((*rev)->id);
  return out;
}

Result<std::vector<model::PlanStep>> plan(const model::RevisionGraph& graph, const Heads& current,
                                          const MigrateOptions& o) {
  if (o.delta != 0) return graph.plan_delta(current, o.delta, o.upgrade);
  return o.upgrade ? graph.plan_upgrade(current, o.target) : graph.plan_downgrade(current, o.target);
}

Result<void> run_offline(const MigrateOptions& o, Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(DatabaseUrl url, ctx.url());
  std::string start, end = o.target;
  if (auto colon = o.target.find(':'); colon != std::string::npos) {
    start = o.target.substr(0, colon);
    end = o.target.substr(colon + 1);
  } else if (!o.upgrade) {
    return fail(usage("downgrade with --sql requires <fromrev>:<torev>"));
  }
  if (o.delta != 0) return fail(usage("--delta cannot be combined with --sql; use START:END"));
  DISTIL_TRY(Heads start_heads, resolve_heads(*graph, start));
  MigrateOptions ranged = o;
  ranged.target = end.empty() ? (o.upgrade ? "heads" : "base") : end;
  DISTIL_TRY(auto steps, plan(*graph, start_heads, ranged));
  emitters::OfflineOptions offline{.version_table = config->version_table,
                                   .create_version_table = start_heads.empty()};
  emitters::Dialect dialect = url.driver == Driver::postgresql ? emitters::Dialect::postgresql
                                                               : emitters::Dialect::sqlite;
  DISTIL_TRY(std::string script, emitters::offline_script(dialect, *graph, start_heads, steps, offline));
  std::cout << script;
  return {};
}

Result<void> run_migrate(const MigrateOptions& o, Context& ctx) {
  if (o.delta != 0 && !o.target.empty() && o.target != (o.upgrade ? "head" : ""))
    return fail(usage("give either a target or --delta, not both"));
  if (o.delta < 0) return fail(usage("--delta must be a positive number of revisions"));
  if (o.plan && o.sql) return fail(usage("--plan and --sql cannot be combined"));
  if (o.rehearse && (o.sql || o.plan))
    return fail(usage("--rehearse cannot be combined with --sql or --plan"));
  if (!o.from.empty() && !o.plan) return fail(usage("--from is only meaningful with --plan"));
  if (o.format != "text" && !o.plan)
    return fail(usage("--format is only meaningful with --plan"));
  if (o.sql) return run_offline(o, ctx);
  if (o.target.find(':') != std::string::npos)
    return fail(usage("a START:END range is only allowed with --sql (offline mode)"));
  if (!o.upgrade && o.target.empty() && o.delta == 0)
    return fail(usage("downgrade needs a target (a revision, base, -N) or --delta N"));
  DISTIL_TRY(const Config* config, ctx.config());
  // A PostgreSQL connection is opened while the revision files are parsed: loading libpq
  // and the server's start-up take about 20 ms, as long as parsing 1000 files. Opening it
  // changes nothing (the migration lock is taken by the runner), and a revision error still
  // comes first. A SQLite file is opened after: opening may create it.
  const bool run_now = !o.plan && !o.rehearse;
  auto url = ctx.url();
  const bool connect_early = run_now && url && url->driver == Driver::postgresql;
  std::future<Result<std::unique_ptr<db::Connection>>> connecting;
  if (connect_early)
    connecting = std::async(std::launch::async, [&ctx, &o] { return ctx.connect(o.upgrade); });
  Result<const model::RevisionGraph*> graph_or = ctx.graph();
  Result<std::unique_ptr<db::Connection>> conn_or{nullptr};
  if (connect_early) conn_or = connecting.get();
  DISTIL_TRY(const model::RevisionGraph* graph, std::move(graph_or));
  auto planner = [graph, &o](const Heads& current) { return plan(*graph, current, o); };
  const std::string shown =
      o.delta != 0 ? "--delta " + std::to_string(o.delta) : o.target;
  if (o.plan) {
    return run_plan(PlanRequest{.upgrade = o.upgrade, .target = shown, .format = o.format,
                                .from = o.from},
                    planner, ctx);
  }
  if (o.rehearse) return run_rehearse(shown, planner, o.verbose, ctx);
  if (!connect_early) conn_or = ctx.connect(o.upgrade);
  DISTIL_TRY(auto conn, std::move(conn_or));
  Context::log("Context impl " + emitters::to_string(conn->dialect()) + ".");
  Context::log("Will assume transactional DDL.");
  db::RunOptions run{.version_table = config->version_table,
                     .lock_timeout_ms = ctx.lock_timeout_s * 1000,
                     .verbose = o.verbose,
                     .log = Context::log,
                     .warn = Context::warn};
  Progress progress(run, o.upgrade);  // "[k/N] rev message — elapsed" when stderr is a tty
  DISTIL_TRY(int applied, db::run(*conn, *graph,
                                  [&](const Heads& current) { return plan(*graph, current, o); },
                                  run));
  if (applied == 0) Context::log("Nothing to do: the database is already at the target.");
  return {};
}

void add_migrate(CLI::App& app, Context& ctx, bool upgrade) {
  auto o = std::make_shared<MigrateOptions>();
  o->upgrade = upgrade;
  CLI::App* cmd = upgrade
      ? app.add_subcommand("upgrade", "Upgrade to a later version (default: head)")
      : app.add_subcommand("downgrade", "Revert to a previous version");
  cmd->add_option("target", o->target,
                  upgrade ? "head, heads, LABEL@head, a revision or prefix, +N; START:END with --sql"
                          : "a revision or prefix, base, -N, LABEL@base; START:END with --sql");
  cmd->add_option("--delta", o->delta, "Number of revisions to move");
  cmd->add_flag("--sql", o->sql, "Print the SQL script instead of running it (offline)");
  cmd->add_flag("--verbose,-v", o->verbose, "Log every statement");
  cmd->add_flag("--plan", o->plan,
                "Print what would run (SQL, locks, rewrites, data loss, row counts); run nothing");
  cmd->add_option("--format", o->format, "--plan output: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--from", o->from,
                  "--plan without a database: plan from these version rows (REV, base)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  if (upgrade) {
    cmd->add_flag("--rehearse", o->rehearse,
                  "Upgrade a throwaway copy of the database, run `check` on it, report, delete it");
  }
  cmd->add_option("--lock-timeout", ctx.lock_timeout_s,
                  "Seconds to wait for another migration to finish (default 60)");
  cmd->callback([o, &ctx] {
    MigrateOptions opts = *o;
    if (opts.upgrade && opts.target.empty() && opts.delta == 0) opts.target = "head";
    if (opts.delta != 0 && opts.upgrade && opts.target == "head") opts.target.clear();
    ctx.result = run_migrate(opts, ctx);
  });
}

}  // namespace

void add_upgrade(CLI::App& app, Context& ctx) { add_migrate(app, ctx, true); }
void add_downgrade(CLI::App& app, Context& ctx) { add_migrate(app, ctx, false); }

}  // namespace distil::cli
