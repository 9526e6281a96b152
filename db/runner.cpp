// Applying revisions to a live database.
#include "db/runner.hpp"

#include "emitters/sql/script.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

namespace distil::db {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::PlanStep;
using model::Result;

namespace {

std::string version_select_sql(const std::string& version_table) {
  return "SELECT version_num FROM " + emitters::quote_identifier(version_table);
}

Heads heads_of(const std::vector<Row>& rows) {
  Heads heads;
  for (const auto& row : rows)
    if (!row.empty() && row[0]) heads.insert(*row[0]);
  return heads;
}

}  // namespace

// `heads`, or the error for a row that names no revision file.
Result<Heads> known_heads(Heads heads, const model::RevisionGraph& graph,
                          const std::string& version_table) {
  for (const auto& h : heads) {
    if (!graph.find(h)) {
      return fail(Error{
          .code = ErrorCode::revision,
          .message = "the version table \"" + version_table + "\" names revision \"" + h +
                     "\", which no revision file defines (was a file deleted or renamed?); "
                     "restore the file, or repair with `stamp --purge REVISION`"});
    }
  }
  return heads;
}

Result<Heads> read_rows(Connection& conn, const std::string& version_table) {
  DISTIL_TRY(bool exists, conn.table_exists(version_table));
  if (!exists) return Heads{};
  DISTIL_TRY(auto rows, conn.query(version_select_sql(version_table)));
  return heads_of(rows);
}

Result<Heads> read_heads(Connection& conn, const model::RevisionGraph& graph,
                         const std::string& version_table) {
  DISTIL_TRY(Heads heads, read_rows(conn, version_table));
  return known_heads(std::move(heads), graph, version_table);
}

Result<std::vector<EditedRevision>> edited_revisions(Connection& conn,
                                                     const model::RevisionGraph& graph,
                                                     const Heads& heads,
                                                     const std::string& version_table) {
  std::vector<EditedRevision> out;
  DISTIL_TRY(bool exists, conn.table_exists(emitters::kHashTable));
  if (!exists || heads.empty()) return out;
  DISTIL_TRY(auto rows, conn.query(emitters::hash_select_sql(version_table)));
  std::set<std::string> applied = graph.applied_set(heads);
  for (const auto& row : rows) {
    if (row.size() < 2 || !row[0] || !row[1] || !applied.count(*row[0])) continue;
    const model::Revision* rev = graph.find(*row[0]);
    if (rev && rev->content_hash != *row[1]) out.push_back({rev, *row[1]});
  }
  std::sort(out.begin(), out.end(), [](const EditedRevision& a, const EditedRevision& b) {
    return a.revision->id < b.revision->id;
  });
  return out;
}

std::string describe_edit(const EditedRevision& edit) {
  const auto& rev = *edit.revision;
  return "revision " + rev.id + (rev.path.empty() ? "" : " (" + rev.path + ")") +
         " was edited after it was applied (recorded sha256 " + edit.recorded_sha256.substr(0, 12) +
         "…, file now " + rev.content_hash.substr(0, 12) +
         "…); the database does not have the edit. Restore the file, or put the change in a new "
         "revision; `stamp` records the current contents once the database really matches them";
}

namespace {

// The tables the renderers read (to validate an op, and for SQLite rebuilds and PostgreSQL
// type changes), introspected once per run and then followed by simulating each op that ran
// (model::apply, the simulator the offline --sql script is built on), instead of introspected
// again before every op: that was a quarter of `upgrade head` on SQLite and most of the
// statements per revision on PostgreSQL. Whatever the simulator cannot follow (raw SQL, an op
// it refuses on these few tables) and every rolled-back or non-transactional step empties it,
// so the next op reads the live table again.
//
// It also knows which tables exist (one query, then followed through create_table,
// drop_table and rename_table), so the check that a create_table's table is new costs no
// catalog query: that was one more round trip per created table on PostgreSQL.
class TableCache {
 public:
  explicit TableCache(Connection& conn)
      : conn_(conn),
        live_(conn.schema_source()),
        fold_case_(conn.dialect() == emitters::Dialect::sqlite) {}

  // `before_live` runs before any catalog query (a batching runner sends the statements it
  // holds back, so the query sees them).
  emitters::SchemaSource source(std::function<Result<void>()> before_live = {}) {
    emitters::SchemaSource source;
    source.table = [this, before_live](std::string_view name) -> Result<model::Table> {
      if (const model::Table* known = known_.find_table(name)) return *known;
      if (before_live) DISTIL_CHECK(before_live());
      if (!exists(name)) return fail(conn_.missing_table(name));
      DISTIL_TRY(model::Table table, live_.table(name));
      known_.tables.insert_or_assign(table.name, table);
      known_.forget_lookups();
      return table;
    };
    source.triggers = live_.triggers;
    if (before_live) {
      // A failed send leaves the transaction aborted: the batch's end fails, and the runner
      // runs the revision again one statement at a time, which reports the error.
      source.triggers = [before_live, triggers = live_.triggers](std::string_view table) {
        (void)before_live();
        return triggers(table);
      };
    }
    return source;
  }

  // `op` ran (its statements succeeded inside the step's transaction).
  void ran(const model::Op& op) {
    if (std::holds_alternative<model::RawSql>(op) || !model::apply(known_, op)) {
      clear();
      return;
    }
    if (!names_) return;
    if (const auto* create = std::get_if<model::CreateTable>(&op)) {
      names_->insert(key(create->table.name));
    } else if (const auto* drop = std::get_if<model::DropTable>(&op)) {
      names_->erase(key(drop->table.name));
    } else if (const auto* rename = std::get_if<model::RenameTable>(&op)) {
      names_->erase(key(rename->from));
      names_->insert(key(rename->to));
    }
  }
  void clear() {
    known_ = model::Schema{};
    names_.reset();
  }

 private:
  // SQLite compares table names without ASCII case; PostgreSQL exactly (we quote names).
  std::string key(std::string_view name) const {
    std::string out(name);
    if (fold_case_) {
      for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
    return out;
  }
  // Whether the table exists; true when the names cannot be read (the live lookup decides).
  bool exists(std::string_view name) {
    if (!names_) {
      auto listed = conn_.table_names();
      if (!listed) return true;
      names_.emplace();
      for (const std::string& table : *listed) names_->insert(key(table));
    }
    return names_->count(key(name)) != 0;
  }

  Connection& conn_;
  emitters::SchemaSource live_;
  bool fold_case_;
  model::Schema known_;
  std::optional<std::set<std::string>> names_;  // key()s of the tables that exist
};

// The version table's rows, inside a run: the table exists (run() created it), so no
// existence check first. With `begin`, a transaction is begun in the same round trip.
Result<Heads> reread_heads(Connection& conn, const model::RevisionGraph& graph,
                           const std::string& version_table, bool begin = false) {
  const std::string sql = version_select_sql(version_table);
  DISTIL_TRY(auto rows, begin ? conn.begin_and_query(sql) : conn.query(sql));
  return known_heads(heads_of(rows), graph, version_table);
}

// Under -v, every statement the runner sends is logged before it is sent.
void verbose_log(const RunOptions& options, const std::string& line) {
  if (options.verbose && options.log) options.log(line);
}

// The version-table update of one step, then its hash record.
std::vector<std::string> bookkeeping_sql(const Heads& before, const Heads& after,
                                         const PlanStep& step, const RunOptions& options) {
  auto out = emitters::version_update_sql(before, after, options.version_table);
  for (auto& sql : emitters::hash_update_sql(step, options.version_table)) out.push_back(std::move(sql));
  return out;
}

// Runs the ops of a `transaction: false` revision one by one outside a transaction, then
// its version update in a transaction of its own. A failure part-way leaves the ops before
// it applied (nothing can undo them): the error says so.
Result<void> run_outside_transaction(Connection& conn, const PlanStep& step, const Heads& before,
                                     const Heads& after, const RunOptions& options) {
  const auto& ops = emitters::step_ops(step);
  auto source = conn.schema_source();
  for (size_t i = 0; i < ops.size(); ++i) {
    auto rendered = emitters::render(conn.dialect(), ops[i], source);
    if (!rendered) return fail(emitters::locate(std::move(rendered.error()), step, i));
    for (const auto& sql : rendered->statements) {
      if (options.verbose && options.log) options.log(sql + ";");
      auto r = conn.execute(sql);
      if (!r) {
        Error e = r.error();
        e.message += "\n  while running (outside a transaction): " + sql;
        if (i > 0)
          e.message += "\n  the " + std::to_string(i) +
                       " op(s) before it stay applied; the version table was not changed";
        return fail(emitters::locate(std::move(e), step, i));
      }
    }
  }
  verbose_log(options, "BEGIN");
  DISTIL_CHECK(conn.begin());
  for (const auto& sql : bookkeeping_sql(before, after, step, options)) {
    verbose_log(options, sql + ";");
    auto r = conn.execute(sql);
    if (!r) {
      conn.rollback();
      return fail(emitters::locate(std::move(r.error()), step, ops.size()));
    }
  }
  verbose_log(options, "COMMIT");
  return conn.commit();
}

// A failed batch's error (run_step with `batch`), located at its revision: which of its
// statements failed is unknown.
Error locate_batch(Error error, const PlanStep& step) {
  const auto& rev = *step.revision;
  if (error.where.file.empty()) {
    error.where.file = rev.path;
    error.where.line = rev.line;
  }
  if (error.where.revision.empty()) error.where.revision = rev.id;
  error.message = std::string(step.upgrade ? "upgrade" : "downgrade") +
                  " ops (sent as one batch): " + error.message;
  return error;
}

// Runs one revision inside the open transaction. Sets `needs_fk_off` (and fails) when the
// revision contains a SQLite rebuild but foreign keys are still enforced.
//
// With `batch` (a server connection, Connection::batches), the statements are held back and
// sent with the bookkeeping and COMMIT as one batch: one round trip per revision instead of
// one per statement. A catalog query of the renderers sends what is held first. A batch does
// not say which statement failed, so on failure the runner rolls back and runs the revision
// again without `batch`, which reports the failing statement and op.
Result<void> run_step(Connection& conn, const PlanStep& step, const Heads& before,
                      const Heads& after, bool fk_off, bool& needs_fk_off, TableCache& tables,
                      const RunOptions& options, bool batch) {
  const auto& ops = emitters::step_ops(step);
  std::vector<std::string> held;
  auto send_held = [&]() -> Result<void> {
    if (held.empty()) return {};
    auto sent = conn.execute_batch(held, /*commit=*/false);
    held.clear();
    return sent;
  };
  auto source = batch ? tables.source(send_held) : tables.source();
  auto exec = [&](const std::string& sql) -> Result<void> {
    if (options.verbose && options.log) options.log(sql + ";");
    if (batch) {
      held.push_back(sql);
      return {};
    }
    return conn.execute(sql);
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    auto rendered = emitters::render(conn.dialect(), ops[i], source);
    if (!rendered) return fail(emitters::locate(std::move(rendered.error()), step, i));
    if (rendered->rebuild && !fk_off) {
      needs_fk_off = true;
      return fail(Error{.code = ErrorCode::internal, .message = "restart with foreign keys off"});
    }
    for (const auto& sql : rendered->statements) {
      auto r = exec(sql);
      if (!r) {
        Error e = r.error();
        e.message += "\n  while running: " + sql;
        return fail(emitters::locate(std::move(e), step, i));
      }
    }
    tables.ran(ops[i]);
  }
  // The version update and the hash record go in one round trip (both dialects run
  // ';'-separated statements in one call); -v still logs each.
  if (batch) {
    for (auto& sql : bookkeeping_sql(before, after, step, options)) {
      verbose_log(options, sql + ";");
      held.push_back(std::move(sql));
    }
    verbose_log(options, "COMMIT");
    return conn.execute_batch(held, /*commit=*/true);
  }
  std::string bookkeeping;
  for (const auto& sql : bookkeeping_sql(before, after, step, options)) {
    verbose_log(options, sql + ";");
    bookkeeping += sql + ";\n";
  }
  if (auto r = conn.execute(bookkeeping); !r)
    return fail(emitters::locate(std::move(r.error()), step, ops.size()));
  return {};
}

}  // namespace

Result<int> run(Connection& conn, const model::RevisionGraph& graph, const Planner& plan,
                const RunOptions& options) {
  DISTIL_CHECK(conn.lock_migrations(options.lock_timeout_ms));
  DISTIL_CHECK(conn.execute(emitters::version_table_ddl(options.version_table)));
  DISTIL_CHECK(conn.execute(emitters::hash_table_ddl()));
  DISTIL_TRY(Heads heads, read_heads(conn, graph, options.version_table));
  DISTIL_TRY(auto edited, edited_revisions(conn, graph, heads, options.version_table));
  auto warn = options.warn ? options.warn : options.log;
  if (warn)
    for (const auto& e : edited) warn(describe_edit(e));
  DISTIL_TRY(auto steps, plan(heads));
  bool sqlite = conn.dialect() == emitters::Dialect::sqlite;
  TableCache tables(conn);
  int applied = 0;
  const size_t total = steps.size();
  for (size_t index = 0; index < total; ++index) {
    const PlanStep& step = steps[index];
    // Once per step, handed to what runs it: after_step follows a plan in O(1) a step from
    // the rows it last returned, and asked again from the rows before, it starts over, O(R).
    Heads after = graph.after_step(heads, step);
    if (options.log) options.log(emitters::describe_step(step, heads, after));
    if (options.on_step_start) options.on_step_start(index, total, step);
    if (!step.revision->transactional) {
      tables.clear();
      auto now = reread_heads(conn, graph, options.version_table);
      if (!now) return fail(std::move(now.error()));
      if (*now != heads)
        return fail(Error{.code = ErrorCode::database,
                          .message = "the version table changed while migrating (another tool "
                                     "is migrating this database); nothing more was applied"});
      DISTIL_CHECK(run_outside_transaction(conn, step, heads, after, options));
      heads = std::move(after);
      ++applied;
      if (options.on_step_done) options.on_step_done(index, total, step);
      continue;
    }
    bool fk_off = false;
    bool batch = conn.batches();
    std::optional<Error> batch_error;  // why the batch failed, while it runs again
    for (;;) {
      // PRAGMA foreign_keys is a no-op inside a transaction, so a revision with a SQLite
      // table rebuild restarts with foreign keys off; each rebuild checks them before COMMIT.
      if (fk_off) {
        verbose_log(options, "PRAGMA foreign_keys=OFF;");
        DISTIL_CHECK(conn.execute("PRAGMA foreign_keys=OFF"));
      }
      verbose_log(options, "BEGIN");
      // Another tool may have moved the version table since we planned: never apply twice.
      auto now = reread_heads(conn, graph, options.version_table, /*begin=*/true);
      if (!now || *now != heads) {
        conn.rollback();
        // The batch's own error, when the revision cannot even start again (the server
        // went away): it names the revision, if not the statement.
        if (!now && batch_error) return fail(locate_batch(std::move(*batch_error), step));
        if (!now) return fail(std::move(now.error()));
        return fail(Error{.code = ErrorCode::database,
                          .message = "the version table changed while migrating (another tool "
                                     "is migrating this database); nothing more was applied"});
      }
      bool needs_fk_off = false;
      auto r = run_step(conn, step, heads, after, fk_off, needs_fk_off, tables, options, batch);
      if (!r) {
        conn.rollback();
        tables.clear();
        if (needs_fk_off && sqlite) {
          fk_off = true;
          continue;
        }
        if (batch) {
          // Nothing of the batch stays (rolled back): run it again statement by statement,
          // which names the failing statement and op (or applies it, if the failure was
          // transient and does not recur).
          verbose_log(options, "ROLLBACK (the batch failed; running its statements one by one)");
          batch_error = std::move(r.error());
          batch = false;
          continue;
        }
        if (fk_off) (void)conn.execute("PRAGMA foreign_keys=ON");
        return fail(std::move(r.error()));
      }
      if (batch) break;  // committed with the batch
      verbose_log(options, "COMMIT");
      auto c = conn.commit();
      if (fk_off) {
        verbose_log(options, "PRAGMA foreign_keys=ON;");
        (void)conn.execute("PRAGMA foreign_keys=ON");
      }
      if (!c) {
        conn.rollback();
        tables.clear();
        return fail(emitters::locate(std::move(c.error()), step, emitters::step_ops(step).size()));
      }
      break;
    }
    heads = std::move(after);
    ++applied;
    if (options.on_step_done) options.on_step_done(index, total, step);
  }
  return applied;
}

Result<void> stamp(Connection& conn, const model::RevisionGraph& graph, const Stamper& target,
                   const RunOptions& options) {
  DISTIL_CHECK(conn.lock_migrations(options.lock_timeout_ms));
  DISTIL_CHECK(conn.execute(emitters::version_table_ddl(options.version_table)));
  DISTIL_CHECK(conn.execute(emitters::hash_table_ddl()));
  DISTIL_CHECK(conn.begin());
  auto rows = read_rows(conn, options.version_table);
  if (!rows) {
    conn.rollback();
    return fail(std::move(rows.error()));
  }
  auto next = target(*rows);
  if (!next) {
    conn.rollback();
    return fail(std::move(next.error()));
  }
  // Heads that name no revision (stamp --purge of an unknown row) have no file to hash.
  model::Heads known;
  for (const auto& h : *next)
    if (graph.find(h)) known.insert(h);
  std::vector<const model::Revision*> applied;
  for (const auto& id : graph.applied_set(known)) applied.push_back(graph.find(id));
  auto statements = emitters::version_update_sql(*rows, *next, options.version_table);
  for (auto& sql : emitters::hash_reset_sql(applied, options.version_table))
    statements.push_back(std::move(sql));
  for (const auto& sql : statements) {
    if (options.verbose && options.log) options.log(sql + ";");
    auto r = conn.execute(sql);
    if (!r) {
      conn.rollback();
      return fail(std::move(r.error()));
    }
  }
  return conn.commit();
}

}  // namespace distil::db
