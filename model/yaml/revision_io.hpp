// Revision files (DESIGN §5): YAML text <-> model::Revision. The only place, with
// model_io, that reads YAML (through yaml/document.hpp, libyaml).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model::yaml {

// Parses one revision file's text. `path` names the file in errors, which carry the line.
// Revision ids and every down_revision/depends_on are read as strings, whatever YAML would
// make of them (006, 1e10). Errors: ErrorCode::revision.
Result<Revision> parse_revision(std::string_view text, const std::string& path);

// Reads `text` as parse_revision() does, with the same errors, but keeps no op: each is read
// and dropped. How `revision` proves a file it is about to write reads back, without a
// second copy of every op alive (at 5000 created tables that copy was 18 MB).
Result<void> check_revision(std::string_view text, const std::string& path);

// Reads and parses a file; the NNNN prefix of its name becomes Revision::number.
Result<Revision> load_revision(const std::filesystem::path& path);

// Whether a file name in a versions folder is a revision file: *.yaml, not starting with '.'
// (editors' lock and backup files such as ".#0003_x.yaml" are not revisions).
bool is_revision_file_name(std::string_view name);

// The revision files of a versions folder (is_revision_file_name, regular files), sorted by
// name. A missing folder is an ErrorCode::config error naming it.
Result<std::vector<std::filesystem::path>> list_revision_files(const std::filesystem::path& folder);

// Loads every *.yaml file of a versions folder (sorted by name). A missing folder is an
// ErrorCode::config error naming it. From 64 files the files are parsed on one thread per
// core (at most 4); the error returned is still the first failing file's in name order.
Result<std::vector<Revision>> load_revisions(const std::filesystem::path& folder);

// Parses a YAML sequence of ops (the `upgrade:` list syntax) — used by golden tests and
// tools. `path` and `first_line` place errors.
Result<std::vector<Op>> parse_ops(std::string_view text, const std::string& path, int first_line = 1);
// Reads a YAML sequence of ops as parse_ops() does, with the same errors, keeping none.
Result<void> check_ops(std::string_view text, const std::string& path, int first_line = 1);

}  // namespace distil::model::yaml
