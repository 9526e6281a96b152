// Models versus database.
#include "cli/schema_diff.hpp"

#include <future>
#include <iostream>
#include <system_error>

#include "db/runner.hpp"
#include "model/yaml/model_io.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

Result<differ::DiffResult> diff_database(Context& ctx, db::Connection& conn,
                                         model::Schema* models_out, model::Schema* actual_out,
                                         bool downgrade) {
  DISTIL_TRY(const Config* config, ctx.config());
  // The models load on a second thread while this one reads the database (the loader is
  // pure: files in, a Schema out). On two cores the wall time is the longer of the two, not
  // their sum. When the database is quicker (an empty one), this thread then parses model
  // files too. A model error is still reported first, as when they ran in turn.
  DISTIL_TRY(std::unique_ptr<model::yaml::ModelLoad> load,
             model::yaml::ModelLoad::start(config->models));
  auto finish = [&load] { return load->finish(); };
  std::future<Result<model::Schema>> models;
  try {
    models = std::async(std::launch::async, finish);
  } catch (const std::system_error&) {  // no thread to be had: load in turn
    models = std::async(std::launch::deferred, finish);
  }
  Result<model::Schema> introspected = conn.introspect(config->version_table);
  load->work();
  Result<model::Schema> loaded = models.get();
  load->save_cache();  // both threads are done with the files
  load.reset();        // the cache's text and records: megabytes the differ can use
  DISTIL_TRY(model::Schema desired, std::move(loaded));
  DISTIL_TRY(model::Schema actual, std::move(introspected));
  const differ::DiffOptions options{.dialect = emitters::to_string(conn.dialect()),
                                    .downgrade = downgrade};
  // Moved, not copied: the differ hands `actual` back to a caller that keeps it, copying it
  // only when there are changes (a copy of a 5000-table schema is 13 MB of the peak).
  differ::DiffResult result = differ::diff(desired, std::move(actual), options, actual_out);
  if (models_out) *models_out = std::move(desired);
  return result;
}

Result<void> require_up_to_date(Context& ctx, db::Connection& conn) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  DISTIL_TRY(model::Heads current, db::read_heads(conn, *graph, config->version_table));
  model::Heads heads;
  for (const auto* h : graph->heads()) heads.insert(h->id);
  if (current == heads) return {};
  std::string list;
  for (const auto& h : heads) list += (list.empty() ? "" : ", ") + h;
  std::string now;
  for (const auto& h : current) now += (now.empty() ? "" : ", ") + h;
  return fail(Error{.code = ErrorCode::database,
                    .message = "database is not up to date (it is at " +
                               (now.empty() ? std::string("<base>") : now) + ", head is " + list +
                               "); run `upgrade head` first"});
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "WARNING [distil] " << w << "\n";
}

}  // namespace distil::cli
