// `inspect [-o DIR] [--force]`: YAML models (DESIGN §4) of the live database, to bootstrap a
// project from an existing one. Without -o, one text on stdout; with -o, one file per table.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/schema_diff.hpp"
#include "emitters/model/writer.hpp"
#include "model/yaml/model_io.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

namespace {

struct InspectOptions {
  std::string output_dir;  // empty: stdout
  bool force = false;
};

// The written models must load back to the schema that was inspected; when they do not
// (a column without a declared type, say), the text is still worth editing: warn, naming
// what the loader says or the tables that came back different.
void warn_unless_round_trip(const model::Schema& schema, const std::string& text) {
  std::vector<std::string> warnings;
  Result<model::Schema> back = model::yaml::parse_models(text, "<inspected models>");
  if (!back) {
    warnings.push_back("the written models do not load back (" + model::format_error(back.error()) +
                       "); edit them before use");
  } else {
    for (const auto& [name, table] : schema.tables) {
      const model::Table* read = back->find_table(name);
      if (read == nullptr || !(*read == table)) {
        warnings.push_back("table \"" + name +
                           "\": the written model does not load back identical; review it");
      }
    }
  }
  print_warnings(warnings);
}

Result<void> write_files(const std::filesystem::path& dir,
                         const std::map<std::string, std::string>& files, bool force) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(Error{.code = ErrorCode::io,
                      .message = "cannot create models folder: " + ec.message(),
                      .where = {.file = dir.string()}});
  }
  if (!force) {
    // Refuse before writing anything, so a refused run leaves the folder as it was.
    for (const auto& [file, text] : files) {
      if (std::filesystem::exists(dir / file, ec)) {
        return fail(Error{.code = ErrorCode::io,
                          .message = "model file already exists; pass --force to overwrite it",
                          .where = {.file = (dir / file).string()}});
      }
    }
  }
  for (const auto& [file, text] : files) {
    const std::filesystem::path path = dir / file;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return fail(Error{.code = ErrorCode::io,
                        .message = "cannot write model file",
                        .where = {.file = path.string()}});
    }
    Context::log("Wrote " + path.string());
  }
  return {};
}

Result<void> run_inspect(const InspectOptions& options, Context& ctx) {
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(auto conn, ctx.connect(false));
  DISTIL_TRY(model::Schema schema, conn->introspect(config->version_table));
  if (schema.tables.empty()) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "the database " + conn->describe() +
                                 " has no tables to write models of"});
  }
  const std::string text = emitters::write_models(schema);
  warn_unless_round_trip(schema, text);
  if (options.output_dir.empty()) {
    std::cout << text;
    return {};
  }
  DISTIL_CHECK(write_files(options.output_dir, emitters::write_model_files(schema), options.force));
  Context::log("Wrote models of " + std::to_string(schema.tables.size()) + " table(s) from " +
               conn->describe());
  return {};
}

}  // namespace

void add_inspect(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("inspect", "Write YAML models of the live database");
  auto options = std::make_shared<InspectOptions>();
  cmd->add_option("-o,--output", options->output_dir,
                  "Folder for one model file per table (default: one text on stdout)");
  cmd->add_flag("--force", options->force, "Overwrite existing model files");
  cmd->callback([&ctx, options] { ctx.result = run_inspect(*options, ctx); });
}

}  // namespace distil::cli
