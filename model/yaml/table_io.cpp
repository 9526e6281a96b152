// Tables, columns and constraints in YAML (DESIGN §4's vocabulary): shared by the model
// loader and the revision parser. libyaml stays in model/yaml/ (document.cpp).
#include "model/yaml/table_io.hpp"


#include <algorithm>
#include <cctype>

#include "model/names.hpp"

namespace distil::model::yaml::detail {

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

using Keys = std::vector<std::string_view>;

// `; did you mean "x"?` for the nearest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const Keys& candidates) {
  std::string_view best;
  std::size_t best_distance = std::string_view::npos;
  for (std::string_view candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best.empty() || best_distance > limit || best_distance >= word.size()) return "";
  return "; did you mean \"" + std::string(best) + "\"?";
}

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// "create_table: unique #1", or "unique #1" when there is no outer context.
std::string join_what(std::string_view outer, std::string_view inner) {
  return outer.empty() ? std::string(inner) : std::string(outer) + ": " + std::string(inner);
}

const char* kind_of(Node node) {
  switch (node.kind()) {
    case Node::Kind::null:
      return "nothing (null)";
    case Node::Kind::scalar:
      return "a string";
    case Node::Kind::sequence:
      return "a list";
    case Node::Kind::map:
      return "a mapping";
  }
  return "nothing";
}

int Reader::line_of(Node node, int fallback) const {
  if (node.is_null() || node.line() < 0) return fallback;
  return node.line() + first_line_;
}

Error Reader::error(int line, std::string message, const Context& context) const {
  if (!context.what.empty()) message = context.what + ": " + message;
  return Error{.code = code_,
               .message = std::move(message),
               .where = {.file = path_,
                         .line = line,
                         .revision = revision_id,
                         .table = context.table,
                         .column = context.column}};
}

void Reader::raise(int line, std::string message, const Context& context) const {
  throw ParseFailure{error(line, std::move(message), context)};
}

Error Reader::yaml_error(const Document::Invalid& e) const {
  const int line = e.mark.line < 0 ? 0 : e.mark.line + first_line_;
  return error(line, "invalid YAML: " + e.message);
}

Document load_single_document(const Reader& reader, std::string_view text, std::string_view what) {
  Document document = [&] {
    try {
      return Document::parse(text);
    } catch (const Document::Invalid& invalid) {
      throw ParseFailure{reader.yaml_error(invalid)};
    }
  }();
  const std::vector<Mark>& starts = document.document_starts();
  if (starts.size() > 1) {
    reader.raise(reader.line_at(starts[1]), std::string(what) +
                                                " holds one YAML document, found " +
                                                std::to_string(starts.size()));
  }
  return document;
}

void Reader::count_entries(std::size_t n, int line) const {
  entries_ += n;
  if (entries_ > max_entries_) {
    raise(line, "YAML aliases (*name) repeat more entries than the file has bytes (" +
                    std::to_string(max_entries_) + "); write the repeated parts out");
  }
}

Fields::Fields(const Reader& reader, Node node, int fallback_line, Context context,
               Keys allowed)
    : reader_(reader), context_(std::move(context)), allowed_(std::move(allowed)) {
  line_ = reader_.line_of(node, fallback_line);
  if (!node.is_map()) {
    raise(line_, std::string("expected a mapping of fields, found ") + kind_of(node));
  }
  reader_.count_entries(node.size(), line_);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const int key_line = reader_.line_of(node.key(i), line_);
    if (!node.key(i).is_scalar()) raise(key_line, "a key must be a plain name");
    std::string key(node.key(i).text());
    if (find(key) != nullptr) raise(key_line, "key " + quote(key) + " appears twice");
    entries_.push_back(Entry{.key = std::move(key), .value = node.value(i), .line = key_line});
  }
}

void Fields::raise(int line, std::string message) const {
  reader_.raise(line, std::move(message), context_);
}

// Fails on the first key that is not allowed, suggesting the nearest allowed one, or, for
// a stray key left by an unquoted comma in flow style, how to quote the value. Called
// once the context names the table/column, and before reporting a missing field (which
// is often a misspelt one).
void Fields::check_keys() const {
  for (const Entry& entry : entries_) {
    if (std::find(allowed_.begin(), allowed_.end(), entry.key) != allowed_.end()) continue;
    if (entry.value.is_null()) {
      for (const Entry& cut : entries_) {
        if (!cut.value.is_scalar()) continue;
        const std::string_view text = cut.value.text();
        if (std::count(text.begin(), text.end(), '(') > std::count(text.begin(), text.end(), ')') ||
            std::count(text.begin(), text.end(), '[') > std::count(text.begin(), text.end(), ']')) {
          raise(entry.line, "unknown key " + quote(entry.key) + ": the value of " + quote(cut.key) +
                                " was cut at a comma; quote the " + cut.key + ": \"" +
                                std::string(text) + "," + entry.key + "\"");
        }
      }
    }
    raise(entry.line, "unknown key " + quote(entry.key) + did_you_mean(entry.key, allowed_));
  }
}

const Entry* Fields::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

// The entry for `key`, present and not null.
const Entry& Fields::need(std::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr) check_keys();
  if (entry == nullptr || entry->value.is_null()) {
    raise(entry == nullptr ? line_ : entry->line, "missing required field " + quote(key));
  }
  return *entry;
}

// A required, non-empty string.
std::string Fields::text(std::string_view key) const {
  std::string value = scalar(need(key));
  if (value.empty()) raise(find(key)->line, quote(key) + " must not be empty");
  return value;
}

// Absent or null: nullopt.
std::optional<std::string> Fields::optional_text(std::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr || entry->value.is_null()) return std::nullopt;
  return scalar(*entry);
}

// Absent: nullopt (unchanged); null: a nullopt inside (remove); else the text.
std::optional<std::optional<std::string>> Fields::patch_text(std::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr) return std::nullopt;
  if (entry->value.is_null()) return std::optional<std::string>{};
  return std::optional<std::string>{scalar(*entry)};
}

std::optional<bool> Fields::optional_bool(std::string_view key) const {
  const Entry* entry = find(key);
  if (entry == nullptr) return std::nullopt;
  if (entry->value.is_scalar()) {
    std::string word(entry->value.text());
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (word == "true" || word == "yes") return true;
    if (word == "false" || word == "no") return false;
  }
  raise(entry->line, quote(key) + " must be true or false");
}

// A list of names (or expressions): `[a, b]`; required lists must not be empty.
std::vector<std::string> Fields::names(std::string_view key, bool required) const {
  const Entry* entry = find(key);
  if (entry == nullptr || entry->value.is_null()) {
    if (required) need(key);
    return {};
  }
  if (!entry->value.is_sequence()) {
    raise(entry->line, quote(key) + " must be a list, e.g. " + std::string(key) +
                           ": [a, b]; found " + kind_of(entry->value));
  }
  reader_.count_entries(entry->value.size(), entry->line);
  std::vector<std::string> out;
  for (Node item : entry->value.items()) {
    if (!item.is_scalar() || item.text().empty()) {
      raise(reader_.line_of(item, entry->line),
            quote(key) + " must list names, found " + kind_of(item));
    }
    out.emplace_back(item.text());
  }
  if (required && out.empty()) raise(entry->line, quote(key) + " must not be empty");
  return out;
}

std::string Fields::scalar(const Entry& entry) const {
  if (!entry.value.is_scalar()) {
    raise(entry.line, quote(entry.key) + " must be a string, found " + kind_of(entry.value));
  }
  return std::string(entry.value.text());
}

const Keys kColumnKeys = {"name",        "type",          "nullable", "default",
                          "primary_key", "autoincrement", "comment",  "renamed_from"};

ReadColumn read_column(const Reader& reader, Node node, int fallback_line,
                       Context context) {
  Fields f(reader, node, fallback_line, std::move(context), kColumnKeys);
  ReadColumn out;
  Column& c = out.column;
  c.name = f.text("name");
  f.set_column(c.name);
  f.check_keys();
  c.type = f.text("type");
  out.nullable = f.optional_bool("nullable");
  out.primary_key = f.optional_bool("primary_key").value_or(false);
  if (out.primary_key && out.nullable == true) {
    f.raise(f.find("nullable")->line, "a primary-key column cannot be nullable");
  }
  c.nullable = out.nullable.value_or(true) && !out.primary_key;
  c.default_sql = f.optional_text("default");
  c.autoincrement = f.optional_bool("autoincrement").value_or(false);
  c.comment = f.optional_text("comment");
  c.renamed_from = f.optional_text("renamed_from");
  c.origin = Origin{.file = reader.file(), .line = f.line()};
  return out;
}

// The items of a list-valued field, each a mapping; `name` labels them in messages.
std::vector<std::pair<Node, int>> mapping_items(const Fields& f, std::string_view key) {
  std::vector<std::pair<Node, int>> out;
  const Entry* entry = f.find(key);
  if (entry == nullptr || entry->value.is_null()) return out;
  if (!entry->value.is_sequence()) {
    f.raise(entry->line, quote(key) + " must be a list, found " + kind_of(entry->value));
  }
  for (Node item : entry->value.items()) out.emplace_back(item, entry->line);
  return out;
}

FkAction read_fk_action(const Fields& f, std::string_view key) {
  const std::optional<std::string> text = f.optional_text(key);
  if (!text) return FkAction::no_action;
  if (std::optional<FkAction> action = parse_fk_action(*text)) return *action;
  f.raise(f.find(key)->line, quote(key) + ": unknown action " + quote(*text) +
                                 "; use cascade, set null, set default, restrict or no action");
}

// The foreign-key fields of `f` (columns, references, on_delete, on_update, name).
ForeignKey read_foreign_key(const Reader& reader, const Fields& f, const std::string& table) {
  ForeignKey fk;
  fk.columns = f.names("columns", true);
  const Entry& references = f.need("references");
  Fields ref(reader, references.value, references.line,
             Context{.what = join_what(f.context().what, "references"), .table = table},
             {"table", "columns"});
  ref.check_keys();
  fk.ref_table = ref.text("table");
  fk.ref_columns = ref.names("columns", true);
  if (fk.ref_columns.size() != fk.columns.size()) {
    f.raise(references.line, "references " + std::to_string(fk.ref_columns.size()) +
                                 " column(s) for " + std::to_string(fk.columns.size()) +
                                 " column(s)");
  }
  fk.on_delete = read_fk_action(f, "on_delete");
  fk.on_update = read_fk_action(f, "on_update");
  fk.deferrable = f.optional_bool("deferrable").value_or(false);
  fk.initially_deferred = f.optional_bool("initially_deferred").value_or(false);
  if (fk.initially_deferred && f.optional_bool("deferrable") == false) {
    f.raise(f.find("deferrable")->line,
            "initially_deferred: true needs a deferrable foreign key; drop deferrable: false");
  }
  if (fk.initially_deferred) fk.deferrable = true;
  fk.name = f.optional_text("name").value_or(foreign_key_name(table, fk.columns, fk.ref_table));
  fk.origin = Origin{.file = reader.file(), .line = f.line()};
  return fk;
}

Index read_index_fields(const Reader& reader, const Fields& f, const std::string& table) {
  Index index;
  index.columns = f.names("columns", true);
  index.name = f.optional_text("name").value_or(index_name(table, index.columns));
  index.unique = f.optional_bool("unique").value_or(false);
  index.where = f.optional_text("where");
  index.method = f.optional_text("using").value_or("");
  std::transform(index.method.begin(), index.method.end(), index.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!index.method.empty() &&
      (std::isdigit(static_cast<unsigned char>(index.method[0])) ||
       !std::all_of(index.method.begin(), index.method.end(), [](unsigned char c) {
         return std::isalnum(c) || c == '_';
       }))) {
    f.raise(f.find("using")->line,
            "\"using\": " + quote(index.method) +
                " is not an index method name (btree, hash, gin, gist, ...)");
  }
  if (index.method == "btree") index.method.clear();  // the default, in canonical form
  index.origin = Origin{.file = reader.file(), .line = f.line()};
  return index;
}

Unique read_unique_fields(const Reader& reader, const Fields& f, const std::string& table) {
  Unique unique;
  unique.columns = f.names("columns", true);
  unique.name = f.optional_text("name").value_or(unique_name(table, unique.columns));
  unique.origin = Origin{.file = reader.file(), .line = f.line()};
  return unique;
}

std::string nth(std::string_view what, std::size_t index) {
  return std::string(what) + " #" + std::to_string(index + 1);
}

Table read_table_body(const Reader& reader, Fields& f, std::string table_name) {
  Table t;
  t.name = std::move(table_name);
  f.set_table(t.name);
  f.check_keys();
  t.origin = Origin{.file = reader.file(), .line = f.line()};
  const std::string& what = f.context().what;

  const Entry& columns = f.need("columns");
  if (!columns.value.is_sequence() || columns.value.size() == 0) {
    f.raise(columns.line, "\"columns\" must be a non-empty list of columns");
  }
  std::vector<std::string> column_pk;
  std::vector<std::optional<bool>> written_nullable;
  for (Node item : columns.value.items()) {
    ReadColumn column =
        read_column(reader, item, columns.line, Context{.what = what, .table = t.name});
    if (t.find_column(column.column.name) != nullptr) {
      reader.raise(column.column.origin.line,
                   "column " + quote(column.column.name) + " is defined twice",
                   Context{.what = what, .table = t.name});
    }
    if (column.primary_key) column_pk.push_back(column.column.name);
    written_nullable.push_back(column.nullable);
    t.columns.push_back(std::move(column.column));
  }

  if (const Entry* pk = f.find("primary_key"); pk != nullptr && !pk->value.is_null()) {
    if (!column_pk.empty()) {
      f.raise(pk->line,
              "the primary key is given both on columns and as table-level primary_key; "
              "use one");
    }
    if (pk->value.is_scalar()) {
      t.primary_key = {std::string(pk->value.text())};
    } else {
      t.primary_key = f.names("primary_key", true);
    }
    for (const std::string& name : t.primary_key) {
      Column* column = t.find_column(name);
      if (column == nullptr)
        f.raise(pk->line, "primary_key names " + quote(name) + ", which is not a column");
      const auto index = static_cast<std::size_t>(column - t.columns.data());
      if (written_nullable[index] == true) {
        f.raise(pk->line, "primary-key column " + quote(name) + " cannot be nullable");
      }
      column->nullable = false;
    }
  } else {
    t.primary_key = std::move(column_pk);
  }

  const auto items = [&](std::string_view key) { return mapping_items(f, key); };
  std::size_t n = 0;
  for (const auto& [node, line] : items("unique")) {
    Fields u(reader, node, line,
             Context{.what = join_what(what, nth("unique", n++)), .table = t.name},
             {"name", "columns"});
    u.check_keys();
    t.unique.push_back(read_unique_fields(reader, u, t.name));
  }
  n = 0;
  for (const auto& [node, line] : items("indexes")) {
    Fields ix(reader, node, line,
              Context{.what = join_what(what, nth("index", n++)), .table = t.name},
              {"name", "columns", "unique", "where", "using"});
    ix.check_keys();
    t.indexes.push_back(read_index_fields(reader, ix, t.name));
  }
  n = 0;
  for (const auto& [node, line] : items("foreign_keys")) {
    Fields fk(reader, node, line,
              Context{.what = join_what(what, nth("foreign key", n++)), .table = t.name},
              {"name", "columns", "references", "on_delete", "on_update", "deferrable",
               "initially_deferred"});
    fk.check_keys();
    t.foreign_keys.push_back(read_foreign_key(reader, fk, t.name));
  }
  n = 0;
  for (const auto& [node, line] : items("checks")) {
    Fields ck(reader, node, line,
              Context{.what = join_what(what, nth("check", n)), .table = t.name},
              {"name", "expression"});
    ck.check_keys();
    Check check;
    check.expression = ck.text("expression");
    check.name = ck.optional_text("name").value_or(check_name(t.name, static_cast<int>(n + 1)));
    check.origin = Origin{.file = reader.file(), .line = ck.line()};
    t.checks.push_back(std::move(check));
    ++n;
  }
  t.comment = f.optional_text("comment");
  t.renamed_from = f.optional_text("renamed_from");
  return t;
}

const Keys kTableBodyKeys = {"columns",      "primary_key", "unique",  "indexes",
                             "foreign_keys", "checks",      "comment", "renamed_from"};

}  // namespace distil::model::yaml::detail
