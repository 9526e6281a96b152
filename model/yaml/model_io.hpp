// YAML table models (DESIGN §4) -> model::Schema, the desired side of the differ. The only
// place, with revision_io, that reads YAML (through yaml/document.hpp, libyaml).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_cache.hpp"
#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::model::yaml {

// Parses one model file's text (`tables:` mapping name -> table) and checks it as a complete
// schema: foreign keys name defined tables and columns, keys and indexes name columns,
// constraint and index names are unique, column types are not typos of portable types
// (any other type is kept verbatim for the dialect). `path` names the file in errors, which
// carry the line. Errors: ErrorCode::model.
Result<Schema> parse_models(std::string_view text, const std::string& path);

// Loads one model file, or every *.yaml file of a folder (sorted by name, not recursive),
// merged into one schema and checked as parse_models does. A table defined in two files is
// an error naming both places. Errors: ErrorCode::config for a missing path, ErrorCode::io
// for an unreadable file, ErrorCode::model otherwise (also for a folder with no *.yaml).
Result<Schema> load_models(const std::filesystem::path& file_or_folder);

// load_models() in steps, so several threads can share the parsing: start() lists the
// files, any number of threads call work() (each parses files until none is left), and one
// calls finish(), which parses what is left, waits for the files others are parsing and
// merges them in file order. The result and the errors are load_models()'s. `check` and
// autogenerate run finish() on a second thread while the database is introspected, and
// work() on their own thread once the database is read, which helps only when the database
// was quick.
class ModelLoad {
 public:
  static Result<std::unique_ptr<ModelLoad>> start(const std::filesystem::path& file_or_folder);
  void work();
  Result<Schema> finish();
  // Writes the models folder's cache of parsed files (model/model_cache.hpp) when a file was
  // parsed. Call it once every thread's work() and finish() have returned.
  void save_cache() const { cache_.save(); }

 private:
  ModelLoad(std::vector<std::filesystem::path> files, ModelCache cache);
  std::vector<std::filesystem::path> files_;
  ModelCache cache_;
  std::vector<std::optional<Result<std::vector<Table>>>> parsed_;  // one slot per file
  std::unique_ptr<std::atomic<bool>[]> ready_;                      // slot i is filled
  std::atomic<std::size_t> next_{0};                                // the next file to claim
  std::atomic<std::size_t> first_error_;  // files after a failed one are not parsed
};

}  // namespace distil::model::yaml
