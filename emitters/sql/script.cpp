// Whole-revision SQL: version-table statements and the offline script.
#include "emitters/sql/script.hpp"

#include "emitters/sql/postgres/render.hpp"
#include "emitters/sql/sqlite/render.hpp"

#include <algorithm>
#include <stdexcept>

namespace distil::emitters {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::PlanStep;
using model::Result;

Result<RenderedOp> render(Dialect dialect, const model::Op& op, const SchemaSource& source) {
  switch (dialect) {
    case Dialect::sqlite:
      return sqlite::render(op, source);
    case Dialect::postgresql:
      return postgres::render(op, source);
  }
  return fail(Error{.code = ErrorCode::internal, .message = "unknown SQL dialect"});
}

const std::vector<model::Op>& step_ops(const PlanStep& step) {
  if (!step.revision->ops_loaded)  // a programming error: never apply a header-only revision
    throw std::logic_error("revision " + step.revision->id + " was loaded without its ops");
  return step.upgrade ? step.revision->upgrade : step.revision->downgrade;
}

std::string version_table_ddl(std::string_view table) {
  std::string t = quote_identifier(table);
  std::string pkc = quote_identifier(std::string(table) + "_pkc");
  return "CREATE TABLE IF NOT EXISTS " + t + " (version_num VARCHAR(32) NOT NULL, CONSTRAINT " +
         pkc + " PRIMARY KEY (version_num))";
}

std::vector<std::string> version_update_sql(const Heads& before, const Heads& after,
                                            std::string_view table) {
  std::vector<std::string> removed, added;
  for (const auto& h : before)
    if (!after.count(h)) removed.push_back(h);
  for (const auto& h : after)
    if (!before.count(h)) added.push_back(h);
  std::string t = quote_identifier(table);
  std::vector<std::string> out;
  size_t pairs = std::min(removed.size(), added.size());
  for (size_t i = pairs; i < removed.size(); ++i)
    out.push_back("DELETE FROM " + t + " WHERE version_num = " + quote_literal(removed[i]));
  for (size_t i = 0; i < pairs; ++i)
    out.push_back("UPDATE " + t + " SET version_num = " + quote_literal(added[i]) +
                  " WHERE version_num = " + quote_literal(removed[i]));
  for (size_t i = pairs; i < added.size(); ++i)
    out.push_back("INSERT INTO " + t + " (version_num) VALUES (" + quote_literal(added[i]) + ")");
  return out;
}

std::string hash_table_ddl() {
  return "CREATE TABLE IF NOT EXISTS " + std::string(kHashTable) +
         " (version_table VARCHAR(255) NOT NULL, revision VARCHAR(32) NOT NULL, "
         "sha256 CHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
         "PRIMARY KEY (version_table, revision))";
}

std::vector<std::string> hash_update_sql(const PlanStep& step, std::string_view version_table) {
  const auto& rev = *step.revision;
  std::string where = " WHERE version_table = " + quote_literal(version_table) +
                      " AND revision = " + quote_literal(rev.id);
  if (!step.upgrade) return {"DELETE FROM " + std::string(kHashTable) + where};
  return {"INSERT INTO " + std::string(kHashTable) + " (version_table, revision, sha256) VALUES (" +
          quote_literal(version_table) + ", " + quote_literal(rev.id) + ", " +
          quote_literal(rev.content_hash) +
          ") ON CONFLICT (version_table, revision) DO UPDATE SET sha256 = excluded.sha256, "
          "applied_at = CURRENT_TIMESTAMP"};
}

std::vector<std::string> hash_reset_sql(const std::vector<const model::Revision*>& applied,
                                        std::string_view version_table) {
  std::vector<std::string> out{"DELETE FROM " + std::string(kHashTable) +
                               " WHERE version_table = " + quote_literal(version_table)};
  constexpr size_t kBatch = 500;
  for (size_t i = 0; i < applied.size(); i += kBatch) {
    std::string sql = "INSERT INTO " + std::string(kHashTable) +
                      " (version_table, revision, sha256) VALUES ";
    for (size_t j = i; j < std::min(applied.size(), i + kBatch); ++j) {
      if (j > i) sql += ", ";
      sql += "(" + quote_literal(version_table) + ", " + quote_literal(applied[j]->id) + ", " +
             quote_literal(applied[j]->content_hash) + ")";
    }
    out.push_back(std::move(sql));
  }
  return out;
}

std::string hash_select_sql(std::string_view version_table) {
  return "SELECT revision, sha256 FROM " + std::string(kHashTable) +
         " WHERE version_table = " + quote_literal(version_table);
}

std::string describe_step(const PlanStep& step, const Heads& before, const Heads& after) {
  const auto& rev = *step.revision;
  std::string parents;
  for (const auto& d : rev.down_revisions) parents += (parents.empty() ? "" : ", ") + d;
  if (step.upgrade) {
    (void)before;
    return "Running upgrade " + parents + " -> " + rev.id + ", " + rev.message;
  }
  (void)after;
  return "Running downgrade " + rev.id + " -> " + parents + ", " + rev.message;
}

SimulatedSchema::SimulatedSchema(const model::RevisionGraph& graph, const Heads& heads) {
  auto applied = graph.applied_set(heads);
  for (const auto* rev : graph.topological_order()) {
    if (!applied.count(rev->id)) continue;
    for (const auto& op : rev->upgrade) advance(op);
  }
}

void SimulatedSchema::advance(const model::Op& op) {
  // Raw SQL and ops on tables the history never created cannot be simulated; offline
  // rendering then reports the table as unknown if it needs its definition.
  (void)model::apply(schema_, op);
}

SchemaSource SimulatedSchema::source() const {
  SchemaSource source;
  source.table = [this](std::string_view table) -> Result<model::Table> {
    if (const auto* t = schema_.find_table(table)) return *t;
    return fail(Error{.code = ErrorCode::revision,
                      .message = "the definition of this table is unknown offline (it was not "
                                 "created by a revision's ops); run online instead",
                      .where = {.table = std::string(table)}});
  };
  source.triggers = [](std::string_view) { return std::vector<std::string>{}; };
  return source;
}

Error locate(Error error, const PlanStep& step, size_t op_index) {
  const auto& rev = *step.revision;
  const auto& lines = step.upgrade ? rev.upgrade_lines : rev.downgrade_lines;
  if (error.where.file.empty()) {
    error.where.file = rev.path;
    if (op_index < lines.size()) error.where.line = lines[op_index];
  }
  if (error.where.revision.empty()) error.where.revision = rev.id;
  const auto& ops = step.upgrade ? rev.upgrade : rev.downgrade;
  // Past the last op: the bookkeeping (version-table update, hash record) or the COMMIT.
  error.message = (op_index >= ops.size()
                       ? std::string("version-table update / COMMIT after the ") +
                             (step.upgrade ? "upgrade" : "downgrade") + " ops"
                       : std::string(step.upgrade ? "upgrade" : "downgrade") + " op " +
                             std::to_string(op_index + 1)) +
                  ": " + error.message;
  return error;
}

Result<std::string> offline_script(Dialect dialect, const model::RevisionGraph& graph,
                                   const Heads& start, const std::vector<PlanStep>& steps,
                                   const OfflineOptions& options) {
  std::string out;
  auto emit = [&out](const std::string& sql) { out += sql + ";\n"; };
  if (options.create_version_table) emit(version_table_ddl(options.version_table));
  emit(hash_table_ddl());
  SimulatedSchema sim(graph, start);
  Heads heads = start;
  for (const auto& step : steps) {
    Heads next = graph.after_step(heads, step);
    std::vector<std::string> body;
    bool rebuild = false;
    const auto& ops = step_ops(step);
    for (size_t i = 0; i < ops.size(); ++i) {
      auto rendered = render(dialect, ops[i], sim.source());
      if (!rendered) return fail(locate(std::move(rendered.error()), step, i));
      rebuild = rebuild || rendered->rebuild;
      for (auto& s : rendered->statements) body.push_back(std::move(s));
      sim.advance(ops[i]);
    }
    // One comment line: a message with a line break must not end the comment (it is no SQL).
    std::string comment = describe_step(step, heads, next);
    std::replace_if(comment.begin(), comment.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    out += "\n-- " + comment + "\n";
    if (!step.revision->transactional) {
      // `transaction: false`: the ops run on their own, the version update after them.
      out += "-- transaction: false (these statements cannot run inside a transaction)\n";
      for (const auto& s : body) emit(s);
      body.clear();
    }
    if (rebuild) emit("PRAGMA foreign_keys=OFF");
    emit("BEGIN");
    for (const auto& s : body) emit(s);
    for (const auto& s : version_update_sql(heads, next, options.version_table)) emit(s);
    for (const auto& s : hash_update_sql(step, options.version_table)) emit(s);
    emit("COMMIT");
    if (rebuild) emit("PRAGMA foreign_keys=ON");
    heads = std::move(next);
  }
  return out;
}

}  // namespace distil::emitters
