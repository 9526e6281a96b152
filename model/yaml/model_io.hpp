// YAML table models (DESIGN §4) -> model::Schema, the desired side of the differ. The only
// place, with revision_io, that reads YAML (through yaml/document.hpp, libyaml).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

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

}  // namespace distil::model::yaml
