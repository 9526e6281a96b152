// `--plan` (read-only look at the database) and `--rehearse` (a throwaway copy).
#include "cli/commands/plan_run.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands/plan_model.hpp"
#include "cli/schema_diff.hpp"
#include "cli/support/tty.hpp"
#include "db/postgres/connection.hpp"
#include "db/runner.hpp"
#include "db/sqlite/connection.hpp"
#include "emitters/revision/writer.hpp"

namespace distil::cli {

namespace fs = std::filesystem;
using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

// `path` as a read-only SQLite URI: file:/abs/path?mode=ro (with %, ? and # escaped).
std::string read_only_uri(const std::string& path) {
  std::string out = "file:";
  for (char c : fs::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "?mode=ro";
}

Result<Heads> rows_from_refs(const model::RevisionGraph& graph,
                             const std::vector<std::string>& refs) {
  Heads out;
  for (const auto& list : refs) {
    size_t at = 0;
    while (at <= list.size()) {
      size_t comma = list.find(',', at);
      std::string ref = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      at = comma == std::string::npos ? list.size() + 1 : comma + 1;
      if (ref.empty() || ref == "base") continue;
      auto rev = graph.resolve(ref);
      if (!rev) {
        Error e = rev.error();
        e.message = "--from " + ref + ": " + e.message;
        return fail(std::move(e));
      }
      if (*rev) out.insert((**rev)->id);
    }
  }
  return graph.heads_of_applied(graph.applied_set(out));
}

// Runs the plan's count queries on the live database. A query that fails leaves its figure
// unknown and says why in the op's notes; counting never stops the plan.
void count_rows(plan::Plan& p, db::Connection& conn) {
  for (auto& step : p.steps) {
    for (auto& op : step.ops) {
      for (const auto& q : op.counts) {
        auto rows = conn.query(q.sql);
        std::optional<std::int64_t> n;
        if (rows && !rows->empty() && !rows->front().empty() && rows->front()[0]) {
          try {
            n = std::stoll(*rows->front()[0]);
          } catch (const std::exception&) {
          }
        }
        if (!n) {
          op.notes.push_back("could not count rows (" + q.sql + ")" +
                             (rows ? std::string() : ": " + rows.error().message));
          continue;
        }
        switch (q.kind) {
          case plan::CountQuery::Kind::table: op.rows.table = n; break;
          case plan::CountQuery::Kind::lost: op.rows.lost = n; break;
          case plan::CountQuery::Kind::failing: op.rows.failing = n; break;
        }
      }
    }
  }
}

}  // namespace

Result<void> run_plan(const PlanRequest& request, const StepPlanner& planner, Context& ctx) {
  if (request.format != "text" && request.format != "json")
    return fail(Error{.code = ErrorCode::usage,
                      .message = "--format must be text or json, not \"" + request.format + "\""});
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(DatabaseUrl url, ctx.url());
  plan::PlanInput input{.dialect = url.driver == Driver::postgresql ? emitters::Dialect::postgresql
                                                                    : emitters::Dialect::sqlite};
  Heads current;
  std::string database;
  std::unique_ptr<db::Connection> conn;
  if (!request.from.empty()) {
    // Offline: the rows the operator names; the schema simulated from the revisions.
    DISTIL_TRY(Heads rows, rows_from_refs(*graph, request.from));
    current = std::move(rows);
    input.schema = plan::simulated_schema(*graph, current);
  } else {
    if (url.driver == Driver::postgresql) {
      auto c = ctx.connect(false);
      if (!c) {
        Error e = c.error();
        e.message += "\n  (--plan reads the version table and counts rows on the database; "
                     "give --from REV to plan offline)";
        return fail(std::move(e));
      }
      conn = std::move(*c);
    } else if (url.sqlite_path != ":memory:" && !url.sqlite_path.empty() &&
               fs::exists(url.sqlite_path)) {
      DISTIL_TRY(auto c, db::sqlite::SqliteConnection::open(read_only_uri(url.sqlite_path)));
      conn = std::move(c);
    }
    if (conn) {
      DISTIL_TRY(Heads rows, db::read_heads(*conn, *graph, config->version_table));
      current = std::move(rows);
      DISTIL_TRY(model::Schema schema, conn->introspect(config->version_table));
      input.schema = std::move(schema);
      input.triggers = conn->schema_source().triggers;
      database = url.driver == Driver::sqlite ? "sqlite:///" + url.sqlite_path : conn->describe();
    } else {
      database = "sqlite:///" + url.sqlite_path + " (does not exist yet)";
    }
    input.live = true;
  }
  DISTIL_TRY(auto steps, planner(current));
  DISTIL_TRY(plan::Plan p, plan::build_plan(*graph, current, steps, input));
  p.command = request.upgrade ? "upgrade" : "downgrade";
  p.target = request.target;
  p.database = database;
  if (conn) count_rows(p, *conn);
  for (auto& step : p.steps) {
    std::error_code ec;
    fs::path shown = fs::proximate(step.file, ec);
    if (!ec && !shown.empty()) step.file = shown.string();
  }
  std::cout << (request.format == "json" ? plan::render_json(p)
                                         : plan::render_text(p, tty::colour_enabled(1)));
  return {};
}

namespace {

// Deletes a copy when it goes out of scope, on every path.
struct CopyGuard {
  std::function<void()> drop;
  ~CopyGuard() {
    if (drop) drop();
  }
};

std::string seconds(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s",
                std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

Result<void> run_rehearse(const std::string& target, const StepPlanner& planner, bool verbose,
                          Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(DatabaseUrl url, ctx.url());
  static std::atomic<int> counter{0};
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  std::unique_ptr<db::Connection> copy;
  std::unique_ptr<db::Connection> admin;  // PostgreSQL: the maintenance connection
  CopyGuard guard;
  std::string original;
  const auto started = std::chrono::steady_clock::now();

  if (url.driver == Driver::sqlite) {
    if (url.sqlite_path.empty() || url.sqlite_path == ":memory:")
      return fail(Error{.code = ErrorCode::usage,
                        .message = "--rehearse needs a database file to copy; an in-memory "
                                   "database has nothing to rehearse on"});
    const fs::path path =
        fs::temp_directory_path() / ("distil-rehearse-" + tag + ".db");
    guard.drop = [path] {
      std::error_code ec;
      for (const char* suffix : {"", "-journal", "-wal", "-shm"})
        fs::remove(path.string() + suffix, ec);
    };
    original = "sqlite:///" + url.sqlite_path;
    if (fs::exists(url.sqlite_path)) {
      // VACUUM INTO reads one consistent snapshot and writes a compact copy; the source is
      // opened read-only, so nothing can write to it.
      DISTIL_TRY(auto src, db::sqlite::SqliteConnection::open(read_only_uri(url.sqlite_path)));
      auto r = src->execute("VACUUM INTO " + emitters::quote_literal(path.string()));
      if (!r)
        return fail(Error{.code = ErrorCode::database,
                          .message = "cannot copy " + original + " to " + path.string() +
                                     " (VACUUM INTO): " + r.error().message});
    } else {
      original += " (does not exist yet: rehearsing on an empty database)";
    }
    DISTIL_TRY(auto c, db::sqlite::SqliteConnection::open(path.string()));
    copy = std::move(c);
  } else {
    // CREATE DATABASE ... TEMPLATE copies the database file by file, and refuses while any
    // other session is connected to the source: find its name, then disconnect first.
    std::string source_db;
    {
      DISTIL_TRY(auto c, ctx.connect(false));
      original = c->describe();
      DISTIL_TRY(auto rows, c->query("SELECT current_database()"));
      if (rows.empty() || rows[0].empty() || !rows[0][0])
        return fail(Error{.code = ErrorCode::database, .message = "cannot read current_database()"});
      source_db = *rows[0][0];
    }
    std::string admin_db = source_db == "postgres" ? "template1" : "postgres";
    DISTIL_TRY(std::string admin_info,
               db::postgres::conninfo_with_database(url.conninfo, admin_db));
    DISTIL_TRY(auto a, db::postgres::PgConnection::open(admin_info));
    admin = std::move(a);
    const std::string copy_db = "distil_rehearse_" + tag;
    auto created = admin->execute("CREATE DATABASE " + emitters::quote_identifier(copy_db) +
                                  " TEMPLATE " + emitters::quote_identifier(source_db));
    if (!created) {
      Error e = created.error();
      if (e.message.find("being accessed by other users") != std::string::npos) {
        auto others = admin->query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                                   {source_db});
        std::string n = others && !others->empty() && others->front()[0] ? *others->front()[0]
                                                                          : "some";
        e.message = "cannot copy database \"" + source_db + "\" for the rehearsal: " + n +
                    " other session(s) are connected to it, and PostgreSQL copies a database "
                    "(CREATE DATABASE ... TEMPLATE) only while nobody else is connected; close "
                    "them (see pg_stat_activity) or rehearse on a restored backup. Nothing was "
                    "changed.";
      } else {
        e.message = "cannot copy database \"" + source_db + "\" for the rehearsal (CREATE "
                    "DATABASE ... TEMPLATE needs the CREATEDB privilege): " + e.message;
      }
      return fail(std::move(e));
    }
    db::Connection* admin_raw = admin.get();
    guard.drop = [admin_raw, copy_db] {
      (void)admin_raw->execute("DROP DATABASE IF EXISTS " + emitters::quote_identifier(copy_db) +
                               " WITH (FORCE)");
    };
    DISTIL_TRY(std::string copy_info,
               db::postgres::conninfo_with_database(url.conninfo, copy_db));
    DISTIL_TRY(auto c, db::postgres::PgConnection::open(copy_info, config->schema));
    copy = std::move(c);
  }
  const auto copied = std::chrono::steady_clock::now();
  Context::log("Rehearsing on a copy of " + original + ": " + copy->describe());

  db::RunOptions run{.version_table = config->version_table,
                     .lock_timeout_ms = ctx.lock_timeout_s * 1000,
                     .verbose = verbose,
                     .log = Context::log};
  auto applied = db::run(*copy, *graph, planner, run);
  const auto upgraded = std::chrono::steady_clock::now();
  if (!applied) {
    Error e = applied.error();
    e.message = "rehearsal failed on the copy (the real database was not touched): " + e.message;
    return fail(std::move(e));
  }
  DISTIL_TRY(differ::DiffResult diff, diff_database(ctx, *copy));
  print_warnings(diff.warnings);
  copy.reset();
  auto drop = std::move(guard.drop);
  guard.drop = nullptr;
  drop();
  std::cout << "Rehearsal of upgrade " << target << " on a copy of " << original << "\n";
  std::cout << "  copied in " << seconds(copied - started) << "; applied " << *applied
            << " revision(s) in " << seconds(upgraded - copied) << "\n";
  const bool colour = tty::colour_enabled(1);
  if (diff.empty()) {
    std::cout << "  check: " << tty::paint(tty::Style::green, "clean", colour)
              << " (the upgraded copy matches the models)\n";
  } else {
    std::cout << "  check: "
              << tty::paint(tty::Style::red,
                            std::to_string(diff.upgrade.size()) + " difference(s)", colour)
              << " between the upgraded copy and the models:\nupgrade:\n"
              << emitters::write_ops(diff.upgrade);
    ctx.exit_status = 1;
  }
  std::cout << "  the copy was deleted; the real database was not changed\n";
  return {};
}

}  // namespace distil::cli
