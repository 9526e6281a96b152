// Internal to model/yaml: the YAML reading of tables, columns and constraints (DESIGN §4's
// vocabulary), shared by the model loader (model_io) and the revision parser (create_table).
// Not a public header: it exposes the YAML document tree, which stays inside model/yaml/.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/result.hpp"
#include "model/schema.hpp"
#include "model/yaml/document.hpp"

namespace distil::model::yaml::detail {

// Thrown inside model/yaml only and turned into a Result by the public functions. The
// reader is a recursive descent in which nearly every step can fail on user input; a throw
// keeps each step a plain value-returning function, and nothing escapes the adapter.
struct ParseFailure {
  Error error;
};

using Keys = std::vector<std::string_view>;

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);
// `; did you mean "x"?` for the nearest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const Keys& candidates);
std::string quote(std::string_view text);
// "a string", "a list", ... for messages.
const char* kind_of(Node node);

// What is being read, for messages ("add_column: ...") and Where{table, column}.
struct Context {
  std::string what;
  std::string table, column;
};

// File-level state: the path, line offset and error code for messages; the revision id
// once known (revision files only).
class Reader {
 public:
  // `max_entries`: how many mapping entries and list items the whole read may visit. Pass
  // the text's size in bytes: each entry written out takes at least one byte, so only YAML
  // aliases (`*a`, the same node named again and again) can go beyond it, and they would
  // otherwise let a few kilobytes cost quadratic time and memory.
  Reader(std::string path, int first_line, ErrorCode code,
         std::size_t max_entries = std::numeric_limits<std::size_t>::max())
      : path_(std::move(path)), first_line_(first_line), code_(code), max_entries_(max_entries) {}

  std::string revision_id;

  // 1-based line of a document position in the file.
  int line_at(const Mark& mark) const {
    return mark.line < 0 ? first_line_ : mark.line + first_line_;
  }
  // 1-based line of `node` in the file; `fallback` when it has no position (a null).
  int line_of(Node node, int fallback = 0) const;
  Error error(int line, std::string message, const Context& context = {}) const;
  [[noreturn]] void raise(int line, std::string message, const Context& context = {}) const;
  // "invalid YAML: <libyaml's message>" at the line libyaml reports.
  Error yaml_error(const Document::Invalid& e) const;
  const std::string& path() const { return path_.str(); }
  // The same, shared: what every Origin read from this file holds.
  const FileName& file() const { return path_; }
  // Counts `n` more entries read at `line`; raises once there are more than max_entries.
  void count_entries(std::size_t n, int line) const;

 private:
  FileName path_;
  int first_line_;
  ErrorCode code_;
  std::size_t max_entries_;
  mutable std::size_t entries_ = 0;
};

// The YAML document of `text` (its root is null when there is none). Raises, at the line,
// for a second document ("`what` holds one YAML document, found N"; `what` is e.g. "a model
// file") and for invalid YAML ("invalid YAML: <libyaml's message>").
Document load_single_document(const Reader& reader, std::string_view text, std::string_view what);

struct Entry {
  std::string key;
  Node value;
  int line = 0;  // of the key
};

// One YAML mapping (an op's fields, a column, ...) with the keys it may have, and typed
// access to its values. Every accessor fails with the line and the context when the value
// is missing or malformed.
class Fields {
 public:
  Fields(const Reader& reader, Node node, int fallback_line, Context context,
         Keys allowed);

  const Context& context() const { return context_; }
  void set_table(std::string table) { context_.table = std::move(table); }
  void set_column(std::string column) { context_.column = std::move(column); }
  int line() const { return line_; }
  const std::vector<Entry>& entries() const { return entries_; }

  [[noreturn]] void raise(int line, std::string message) const;

  // Fails on the first key that is not allowed, suggesting the nearest allowed one, or, for
  // a stray key left by an unquoted comma in flow style, how to quote the value.
  void check_keys() const;
  const Entry* find(std::string_view key) const;
  // The entry for `key`, present and not null.
  const Entry& need(std::string_view key) const;
  // A required, non-empty string.
  std::string text(std::string_view key) const;
  // Absent or null: nullopt.
  std::optional<std::string> optional_text(std::string_view key) const;
  // Absent: nullopt (unchanged); null: a nullopt inside (remove); else the text.
  std::optional<std::optional<std::string>> patch_text(std::string_view key) const;
  std::optional<bool> optional_bool(std::string_view key) const;
  // A list of names (or expressions): `[a, b]`; required lists must not be empty.
  std::vector<std::string> names(std::string_view key, bool required) const;
  std::string scalar(const Entry& entry) const;

 private:
  const Reader& reader_;
  Context context_;
  Keys allowed_;
  int line_ = 0;
  std::vector<Entry> entries_;
};

// The keys of a column mapping, and of a table body (without `name`).
extern const Keys kColumnKeys;
extern const Keys kTableBodyKeys;

struct ReadColumn {
  Column column;
  bool primary_key = false;
  std::optional<bool> nullable;  // as written
};

ReadColumn read_column(const Reader& reader, Node node, int fallback_line,
                       Context context);
// The foreign-key fields of `f` (columns, references, on_delete, on_update, name).
ForeignKey read_foreign_key(const Reader& reader, const Fields& f, const std::string& table);
Index read_index_fields(const Reader& reader, const Fields& f, const std::string& table);
Unique read_unique_fields(const Reader& reader, const Fields& f, const std::string& table);

// Reads a table body (kTableBodyKeys) from `f` for the table `name`: columns (required,
// no duplicates), primary key (on columns or table-level, naming existing columns, which
// become NOT NULL), unique, indexes, foreign keys and checks (unnamed ones get
// model/names.hpp names), comment, renamed_from. Does not check that unique/index/FK
// columns exist (a create_table may be followed by add_column in the same revision).
Table read_table_body(const Reader& reader, Fields& f, std::string table_name);

}  // namespace distil::model::yaml::detail
