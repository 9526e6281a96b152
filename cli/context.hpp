// What every command shares: global options, the config, the revision graph (parsed once
// per command) and the database connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "db/connection.hpp"
#include "model/result.hpp"
#include "model/revision_graph.hpp"

namespace distil::cli {

struct Context {
  // Global options.
  std::vector<std::string> config_files;
  std::string database_url;  // --database-url (overrides [database] connection)
  int lock_timeout_s = 60;

  // The command's outcome: set by the command's callback, read by main().
  model::Result<void> result;
  int exit_status = 0;  // for commands whose check fails without an error (check_migration)

  // Loaded on demand.
  model::Result<const Config*> config();
  model::Result<const model::RevisionGraph*> graph();
  // The same graph from revision headers only (no ops; model/revision_cache.hpp), for
  // commands that never run or render ops: history, heads, current, branches, stamp, graph.
  // `busy_threads`: as model::load_revision_headers (threads of the caller working meanwhile).
  model::Result<const model::RevisionGraph*> graph_headers(unsigned busy_threads = 0);
  model::Result<DatabaseUrl> url();
  // Opens the database; `create` false fails when a SQLite file does not exist.
  model::Result<std::unique_ptr<db::Connection>> connect(bool create = true);

  // Writes an INFO line to stderr: "INFO  [distil] message".
  static void log(const std::string& message);
  // Writes a WARNING line to stderr: "WARNING [distil] message".
  static void warn(const std::string& message);

 private:
  std::optional<Config> config_;
  std::optional<model::RevisionGraph> graph_;
  std::optional<model::RevisionGraph> header_graph_;
};

// "1975ea83b712 (label) (head)" and friends, as Alembic prints revisions.
struct FormatOptions {
  bool branches = true, doc = false, parents = false, tree = true, head = true;
};
std::string format_revision(const model::RevisionGraph& graph, const model::Revision& rev,
                            const FormatOptions& options, const model::Heads& current = {});
// Alembic's verbose multi-line entry (Rev:, Parent:, Path:, message, Revision ID, ...).
std::string format_verbose(const model::RevisionGraph& graph, const model::Revision& rev,
                           const model::Heads& current = {});

}  // namespace distil::cli
