// The shared command context.
#include "cli/context.hpp"

#include <iostream>
#include <set>

#include "db/postgres/connection.hpp"
#include "db/sqlite/connection.hpp"
#include "model/sql_expr.hpp"
#include "model/revision_cache.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

Result<const Config*> Context::config() {
  if (!config_) {
    DISTIL_TRY(Config c, load_config(config_files));
    config_ = std::move(c);
  }
  return &*config_;
}

Result<const model::RevisionGraph*> Context::graph_headers(unsigned busy_threads) {
  if (graph_) return &*graph_;
  if (!header_graph_) {
    DISTIL_TRY(const Config* c, config());
    DISTIL_TRY(auto revisions, model::load_revision_headers(c->versions, nullptr, busy_threads));
    DISTIL_TRY(auto g, model::RevisionGraph::build(std::move(revisions)));
    header_graph_ = std::move(g);
  }
  return &*header_graph_;
}

Result<const model::RevisionGraph*> Context::graph() {
  if (!graph_) {
    DISTIL_TRY(const Config* c, config());
    DISTIL_TRY(auto revisions, model::yaml::load_revisions(c->versions));
    // Raw SQL for PostgreSQL is parsed now, so a syntax error stops every command before
    // anything runs, naming the revision, op and position. A dialect-independent `sql:` is
    // PostgreSQL's too when the database is PostgreSQL.
    auto u = url();
    bool postgresql = u && u->driver == Driver::postgresql;
    for (const auto& rev : revisions)
      DISTIL_CHECK(model::sql::validate_revision_sql(rev, postgresql));
    DISTIL_TRY(auto g, model::RevisionGraph::build(std::move(revisions)));
    graph_ = std::move(g);
  }
  return &*graph_;
}

Result<DatabaseUrl> Context::url() {
  DISTIL_TRY(const Config* c, config());
  if (!database_url.empty())
    return parse_database_url(database_url, model::Where{.file = "--database-url"});
  return parse_database_url(c->connection, c->connection_where);
}

Result<std::unique_ptr<db::Connection>> Context::connect(bool create) {
  DISTIL_TRY(DatabaseUrl u, url());
  if (u.driver == Driver::postgresql) {
    DISTIL_TRY(const Config* c, config());
    auto conn = db::postgres::PgConnection::open(u.conninfo, c->schema);
    if (!conn) return fail(std::move(conn.error()));
    return std::unique_ptr<db::Connection>(std::move(*conn));
  }
  int timeout_ms = lock_timeout_s * 1000;
  auto conn = create ? db::sqlite::SqliteConnection::open(u.sqlite_path, timeout_ms)
                     : db::sqlite::SqliteConnection::open_existing(u.sqlite_path);
  if (!conn) return fail(std::move(conn.error()));
  return std::unique_ptr<db::Connection>(std::move(*conn));
}

// One write per line: std::cerr is unbuffered, so each << would be a system call of its own
// (three per revision an upgrade runs), and lines of two processes could interleave.
void Context::log(const std::string& message) {
  std::cerr << ("INFO  [distil] " + message + "\n");
}

void Context::warn(const std::string& message) {
  std::cerr << ("WARNING [distil] " + message + "\n");
}

namespace {

// Appends `items` joined by ", " (history prints one line per revision: no temporaries).
void append_joined(std::string& out, const std::vector<std::string>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) (i == 0 ? out : out.append(", ")).append(items[i]);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  append_joined(out, items);
  return out;
}

}  // namespace

std::string format_revision(const model::RevisionGraph& graph, const model::Revision& rev,
                            const FormatOptions& o, const model::Heads& current) {
  std::string text;
  text.reserve(64 + (o.doc ? rev.message.size() : 0));
  if (o.parents) {
    if (rev.down_revisions.empty()) text += "<base>";
    append_joined(text, rev.down_revisions);
    if (!rev.depends_on.empty()) {
      text += " (";
      append_joined(text, rev.depends_on);
      text += ')';
    }
    text += " -> ";
  }
  text += rev.id;
  if (o.branches && !rev.branch_labels.empty()) {
    text += " (";
    append_joined(text, rev.branch_labels);
    text += ')';
  }
  if (o.head || o.tree) {
    if (graph.is_head(rev)) text += " (head)";
    if (current.count(rev.id)) text += " (current)";
  }
  if (o.tree) {
    if (graph.children(rev).size() > 1) text += " (branchpoint)";
    if (rev.down_revisions.size() > 1) text += " (mergepoint)";
  }
  if (o.doc) text.append(", ").append(rev.message);
  return text;
}

std::string format_verbose(const model::RevisionGraph& graph, const model::Revision& rev,
                           const model::Heads& current) {
  std::string text = "Rev: " + format_revision(graph, rev, {.branches = false}, current) + "\n";
  if (rev.down_revisions.size() > 1) {
    text += "Merges: " + join(rev.down_revisions) + "\n";
  } else {
    text += "Parent: " + (rev.down_revisions.empty() ? "<base>" : rev.down_revisions[0]) + "\n";
  }
  if (!rev.depends_on.empty()) text += "Also depends on: " + join(rev.depends_on) + "\n";
  std::vector<std::string> children;
  for (const auto* c : graph.children(rev)) children.push_back(c->id);
  if (children.size() > 1) text += "Branches into: " + join(children) + "\n";
  if (!rev.branch_labels.empty()) text += "Branch names: " + join(rev.branch_labels) + "\n";
  text += "Path: " + rev.path + "\n\n";
  text += "    " + rev.message + "\n\n";
  text += "    Revision ID: " + rev.id + "\n";
  text += "    Revises: " + join(rev.down_revisions) + "\n";
  text += "    Create Date: " + rev.create_date + "\n";
  return text;
}

}  // namespace distil::cli
