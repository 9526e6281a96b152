// model::Schema -> YAML model text (DESIGN §4): what `inspect` writes so a project can start
// from an existing database. Pure; model/yaml/model_io reads the text back to an equal Schema.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/schema.hpp"

namespace distil::emitters {

// Every table of `schema` in one model file: a `tables:` mapping, tables in foreign-key
// order (a referenced table before the tables that reference it; otherwise by name), each
// with only what differs from the defaults: no `nullable: true`, no name that equals the
// deterministic one of model/names.hpp, no `no action`. Types are written verbatim.
// REQUIRES: `schema` is canonical (as introspection or the model loader make it).
std::string write_models(const model::Schema& schema);

// One model file per table, as write_models writes it: file name ("<table>.yaml") -> text.
// A table name that is not a safe file name ([A-Za-z0-9_-], not a device name such as
// "con", unique regardless of case) gets its unsafe characters replaced by "_" and a short
// hash of the name appended, e.g. "Mixed Case" -> "Mixed_Case_1a2b3c4d.yaml".
std::map<std::string, std::string> write_model_files(const model::Schema& schema);

// The table names of `schema` in the order write_models writes them.
std::vector<std::string> table_order(const model::Schema& schema);

}  // namespace distil::emitters
