// Revision files (DESIGN §5) -> model::Revision: the YAML adapter of the revision format.
// libyaml stays in model/yaml/; its errors become Errors carrying the file and line.
#include "model/yaml/revision_io.hpp"

#include "model/content_hash.hpp"


#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "model/helper_threads.hpp"
#include "model/names.hpp"
#include "model/yaml/table_io.hpp"

namespace distil::model::yaml {
namespace {

constexpr std::size_t kMaxRevisionIdBytes = 32;  // alembic_version.version_num VARCHAR(32)

using detail::Context;
using detail::Document;
using detail::Node;
using detail::did_you_mean;
using detail::Entry;
using detail::Fields;
using detail::Keys;
using detail::kind_of;
using detail::ParseFailure;
using detail::quote;
using detail::Reader;
using detail::read_column;
using detail::read_foreign_key;
using detail::read_index_fields;
using detail::read_unique_fields;
using detail::ReadColumn;

// create_table's fields: the table body of DESIGN §4 plus its name.
Table read_table(const Reader& reader, Fields& f) {
  std::string name = f.text("name");
  return detail::read_table_body(reader, f, std::move(name));
}

// ---------------------------------------------------------------------------------------
// Ops

// Each op and the fields it may have.
const std::vector<std::pair<std::string_view, Keys>> kOps = {
    {"create_table",
     {"name", "columns", "primary_key", "unique", "indexes", "foreign_keys", "checks", "comment",
      "renamed_from"}},
    {"drop_table", {"name"}},
    {"rename_table", {"from", "to"}},
    {"add_column", {"table", "column"}},
    {"drop_column", {"table", "column"}},
    {"alter_column",
     {"table", "column", "type", "nullable", "default", "comment", "rename_to", "existing"}},
    {"create_index", {"table", "name", "columns", "unique", "where", "using"}},
    {"drop_index", {"table", "name"}},
    {"create_unique", {"table", "name", "columns"}},
    {"create_foreign_key",
     {"table", "name", "columns", "references", "on_delete", "on_update", "deferrable",
      "initially_deferred"}},
    {"create_check", {"table", "name", "expression"}},
    {"drop_constraint", {"table", "name"}},
    {"sql", {"any", "sqlite", "postgresql"}},
};

Op read_alter_column(const Reader& reader, Fields& f) {
  AlterColumn op;
  op.table = f.text("table");
  f.set_table(op.table);
  op.column = f.text("column");
  f.set_column(op.column);
  f.check_keys();
  if (f.find("type") != nullptr) op.change.type = f.text("type");
  op.change.nullable = f.optional_bool("nullable");
  op.change.default_sql = f.patch_text("default");
  op.change.comment = f.patch_text("comment");
  if (f.find("rename_to") != nullptr) op.change.rename_to = f.text("rename_to");
  if (op.change == ColumnPatch{}) {
    f.raise(f.line(),
            "changes nothing; give at least one of type, nullable, default, comment, "
            "rename_to");
  }
  if (const Entry* existing = f.find("existing");
      existing != nullptr && !existing->value.is_null()) {
    Context context = f.context();
    context.what += ": existing";
    Fields e(reader, existing->value, existing->line, std::move(context),
             {"type", "nullable", "default", "comment"});
    e.check_keys();
    if (e.find("type") != nullptr) op.existing.type = e.text("type");
    op.existing.nullable = e.optional_bool("nullable");
    op.existing.default_sql = e.patch_text("default");
    op.existing.comment = e.patch_text("comment");
  }
  return op;
}

Op read_sql(const Reader& reader, const Entry& entry, const Keys& keys) {
  const Context context{.what = "sql"};
  RawSql op;
  if (entry.value.is_scalar()) {
    if (entry.value.text().empty()) reader.raise(entry.line, "the SQL text is empty", context);
    op.any = entry.value.text();
    return op;
  }
  Fields f(reader, entry.value, entry.line, context, keys);
  if (entry.value.is_map() && entry.value.size() == 0) {
    f.raise(entry.line, "give the SQL text, or {sqlite: ..., postgresql: ...}");
  }
  f.check_keys();
  for (const Entry& dialect : f.entries()) {
    std::string text = f.text(dialect.key);
    if (dialect.key == "any") {
      op.any = std::move(text);
    } else {
      op.by_dialect[dialect.key] = std::move(text);
    }
  }
  return op;
}

Op read_op(const Reader& reader, Node item, int fallback_line) {
  const int line = reader.line_of(item, fallback_line);
  if (!item.is_map() || item.size() != 1) {
    std::string found = kind_of(item);
    if (item.is_map()) {
      found = "keys";
      for (std::size_t i = 0; i < item.size(); ++i) {
        found += (found == "keys" ? " " : ", ");
        found += item.key(i).text();
      }
      found += " (are the fields indented under the op name?)";
    }
    reader.raise(line,
                 "an op is a one-key mapping such as `- drop_table: {name: t}`; found " + found);
  }
  const std::string name(item.key(0).is_scalar() ? item.key(0).text() : std::string_view());
  const Entry entry{.key = name, .value = item.value(0), .line = reader.line_of(item.key(0), line)};
  const auto known =
      std::find_if(kOps.begin(), kOps.end(), [&](const auto& op) { return op.first == name; });
  if (known == kOps.end()) {
    Keys names;
    for (const auto& op : kOps) names.push_back(op.first);
    reader.raise(line, "unknown op " + quote(name) + did_you_mean(name, names));
  }
  if (name == "sql") return read_sql(reader, entry, known->second);

  Fields f(reader, entry.value, line, Context{.what = name}, known->second);
  if (name == "create_table") return CreateTable{.table = read_table(reader, f)};
  if (name == "drop_table") {
    f.check_keys();
    DropTable op;
    op.table.name = f.text("name");
    return op;
  }
  if (name == "rename_table") {
    f.check_keys();
    return RenameTable{.from = f.text("from"), .to = f.text("to")};
  }
  if (name == "alter_column") return read_alter_column(reader, f);

  // Every other op names its table first.
  std::string table = f.text("table");
  f.set_table(table);
  if (name == "add_column") {
    f.check_keys();
    const Entry& column = f.need("column");
    ReadColumn read = read_column(reader, column.value, column.line, f.context());
    if (read.primary_key) {
      f.raise(column.line, "cannot add a primary-key column; create the table with it instead");
    }
    return AddColumn{.table = std::move(table), .column = std::move(read.column)};
  }
  if (name == "drop_column") {
    f.check_keys();
    const Entry& column = f.need("column");
    if (!column.value.is_scalar()) {
      f.raise(column.line, "\"column\" is the name of the column to drop, e.g. column: currency");
    }
    DropColumn op{.table = std::move(table)};
    op.column.name = f.text("column");
    return op;
  }
  if (name == "create_index") {
    f.check_keys();
    return CreateIndex{.table = table, .index = read_index_fields(reader, f, table)};
  }
  if (name == "drop_index") {
    f.check_keys();
    DropIndex op{.table = std::move(table)};
    op.index.name = f.text("name");
    return op;
  }
  if (name == "create_unique") {
    f.check_keys();
    return CreateUnique{.table = table, .unique = read_unique_fields(reader, f, table)};
  }
  if (name == "create_foreign_key") {
    f.check_keys();
    return CreateForeignKey{.table = table, .foreign_key = read_foreign_key(reader, f, table)};
  }
  if (name == "create_check") {
    f.check_keys();
    Check check{.name = f.text("name"), .expression = f.text("expression")};
    check.origin = Origin{.file = reader.file(), .line = f.line()};
    return CreateCheck{.table = std::move(table), .check = std::move(check)};
  }
  // drop_constraint
  f.check_keys();
  return DropConstraint{.table = std::move(table), .name = f.text("name")};
}

// Reads an `upgrade:`/`downgrade:` value: null or a list of ops.
// With `keep` false each op is read (and so checked) and dropped.
void read_ops(const Reader& reader, Node list, int line, std::string_view key,
              std::vector<Op>& ops, std::vector<int>& lines, bool keep = true) {
  if (list.is_null()) return;
  if (!list.is_sequence()) {
    reader.raise(line,
                 quote(key) + " must be a list of ops (or [] for none), found " + kind_of(list));
  }
  for (Node item : list.items()) {
    const int item_line = reader.line_of(item, line);
    Op op = read_op(reader, item, item_line);
    if (!keep) continue;
    ops.push_back(std::move(op));
    lines.push_back(item_line);
  }
}

// ---------------------------------------------------------------------------------------
// The file

// A revision id (or branch label): the scalar text as written, 1-32 characters, no spaces.
std::string read_id(const Reader& reader, Node node, int line,
                    std::string_view field) {
  const std::string noun = field == "branch_labels" ? "branch label" : "revision id";
  const std::string prefix = std::string(field) + ": ";
  if (!node.is_scalar())
    reader.raise(line, prefix + "expected a " + noun + ", found " + kind_of(node));
  const std::string id(node.text());
  if (id.empty()) reader.raise(line, prefix + "a " + noun + " cannot be empty");
  if (id.size() > kMaxRevisionIdBytes) {
    reader.raise(line, prefix + noun + " " + quote(id) + " is longer than " +
                           std::to_string(kMaxRevisionIdBytes) + " characters");
  }
  if (std::any_of(id.begin(), id.end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
    reader.raise(line, prefix + noun + " " + quote(id) + " contains whitespace");
  }
  return id;
}

// null / absent: none; an id; or a list of ids. Strings exactly as written (006 stays 006).
std::vector<std::string> read_ids(const Reader& reader, const Entry* entry) {
  std::vector<std::string> ids;
  if (entry == nullptr || entry->value.is_null()) return ids;
  if (entry->value.is_map()) {
    reader.raise(entry->line,
                 entry->key + ": expected an id, a list of ids or null, found a mapping");
  }
  if (entry->value.is_scalar()) {
    ids.push_back(read_id(reader, entry->value, entry->line, entry->key));
    return ids;
  }
  for (Node item : entry->value.items()) {
    std::string id = read_id(reader, item, reader.line_of(item, entry->line), entry->key);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      reader.raise(entry->line, entry->key + " lists " + quote(id) + " twice");
    }
    ids.push_back(std::move(id));
  }
  return ids;
}

// `lint: {ignore: [L003, "L004:orders.legacy"]}`: each entry a rule id (L and three digits),
// optionally followed by ":table" or ":table.column".
std::vector<std::string> read_lint(const Reader& reader, const Entry& entry) {
  std::vector<std::string> ignore;
  if (entry.value.is_null()) return ignore;
  if (!entry.value.is_map()) {
    reader.raise(entry.line, "lint: expected a mapping such as {ignore: [L003]}, found " +
                                 std::string(kind_of(entry.value)));
  }
  Fields f(reader, entry.value, entry.line, Context{.what = "lint"}, {"ignore"});
  f.check_keys();
  for (std::string& item : f.names("ignore", /*required=*/false)) {
    const bool rule = item.size() >= 4 && item[0] == 'L' &&
                      std::all_of(item.begin() + 1, item.begin() + 4,
                                  [](unsigned char c) { return std::isdigit(c) != 0; }) &&
                      (item.size() == 4 || (item[4] == ':' && item.size() > 5));
    if (!rule) {
      f.raise(f.line(), "ignore: " + quote(item) +
                            " is not a lint rule id such as L003 (or L003:table, "
                            "L003:table.column)");
    }
    ignore.push_back(std::move(item));
  }
  return ignore;
}

Revision read_revision(Reader& reader, Node root, bool keep_ops = true) {
  if (root.is_null()) {
    reader.raise(1, "the file is empty; a revision needs at least revision: and upgrade:");
  }
  Fields f(reader, root, 1, Context{},
           {"revision", "down_revision", "message", "create_date", "branch_labels", "depends_on",
            "transaction", "lint", "upgrade", "downgrade"});
  Revision rev;
  // The id first, so every later error names the revision.
  const Entry& id = f.need("revision");
  rev.id = read_id(reader, id.value, id.line, "revision");
  rev.line = id.line;
  reader.revision_id = rev.id;
  f.check_keys();
  rev.down_revisions = read_ids(reader, f.find("down_revision"));
  rev.message = f.optional_text("message").value_or("");
  rev.create_date = f.optional_text("create_date").value_or("");
  rev.branch_labels = read_ids(reader, f.find("branch_labels"));
  rev.depends_on = read_ids(reader, f.find("depends_on"));
  rev.transactional = f.optional_bool("transaction").value_or(true);
  if (const Entry* lint = f.find("lint"); lint != nullptr) rev.lint_ignore = read_lint(reader, *lint);
  const Entry* upgrade = f.find("upgrade");
  if (upgrade == nullptr) {
    f.check_keys();
    f.raise(f.line(),
            "missing required field \"upgrade\" (use upgrade: [] for a revision with no ops)");
  }
  read_ops(reader, upgrade->value, upgrade->line, "upgrade", rev.upgrade, rev.upgrade_lines,
           keep_ops);
  if (const Entry* downgrade = f.find("downgrade"); downgrade != nullptr) {
    read_ops(reader, downgrade->value, downgrade->line, "downgrade", rev.downgrade,
             rev.downgrade_lines, keep_ops);
  }
  return rev;
}

// Loads the single YAML document of `text`; more than one is an error.
Document load_document(const Reader& reader, std::string_view text) {
  return detail::load_single_document(reader, text, "a revision file");
}

// NNNN of "NNNN_slug.yaml"; 0 without a numeric prefix.
int file_number(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  std::size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])) != 0)
    ++digits;
  if (digits == 0 || (digits < name.size() && name[digits] != '_' && name[digits] != '.')) return 0;
  int number = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + digits, number);
  return ec == std::errc() ? number : 0;
}

}  // namespace

Result<Revision> parse_revision(std::string_view text, const std::string& path) {
  Reader reader(path, 1, ErrorCode::revision, text.size());
  try {
    const Document document = load_document(reader, text);
    Revision rev = read_revision(reader, document.root());
    DISTIL_TRY(rev.content_hash, sha256_hex(text));
    return rev;
  } catch (const ParseFailure& failure) {
    return fail(failure.error);
  }
}

Result<void> check_revision(std::string_view text, const std::string& path) {
  Reader reader(path, 1, ErrorCode::revision, text.size());
  try {
    const Document document = load_document(reader, text);
    read_revision(reader, document.root(), /*keep_ops=*/false);
    return {};
  } catch (const ParseFailure& failure) {
    return fail(failure.error);
  }
}

Result<Revision> load_revision(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return fail(Error{.code = ErrorCode::io,
                      .message = "cannot read revision file",
                      .where = {.file = path.string()}});
  }
  DISTIL_TRY(Revision rev, parse_revision(text.str(), path.string()));
  rev.path = path.string();
  rev.number = file_number(path);
  return rev;
}

bool is_revision_file_name(std::string_view name) {
  return name.ends_with(".yaml") && !name.starts_with('.');
}

Result<std::vector<std::filesystem::path>> list_revision_files(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return fail(
        Error{.code = ErrorCode::config,
              .message = "versions folder \"" + folder.string() + "\" does not exist" +
                         (std::filesystem::exists(folder, ec) ? " (it is not a folder)" : "")});
  }
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_revision_file_name(name) && it->is_regular_file(ec))
      names.push_back(std::move(name));
  }
  if (ec) {
    return fail(Error{
        .code = ErrorCode::io,
        .message = "cannot list versions folder \"" + folder.string() + "\": " + ec.message()});
  }
  std::sort(names.begin(), names.end());
  std::vector<std::filesystem::path> files;
  files.reserve(names.size());
  for (const auto& name : names) files.push_back(folder / name);
  return files;
}

// From 64 files, one thread per core (at most 4) parses them, each claiming the next file in
// name order: parsing is most of what `upgrade` does before its first statement (1000 files:
// 60 ms on one core). The error returned is still the first file's in name order: a file is
// skipped only after a file before it failed, so every file before the first failure is read.
Result<std::vector<Revision>> load_revisions(const std::filesystem::path& folder) {
  DISTIL_TRY(auto files, list_revision_files(folder));
  std::vector<Revision> revisions(files.size());
  std::vector<std::optional<Error>> errors(files.size());
  std::atomic<std::size_t> next{0}, first_error{files.size()};
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= files.size() || i > first_error.load(std::memory_order_relaxed)) return;
      Result<Revision> rev = load_revision(files[i]);
      if (rev) {
        revisions[i] = std::move(*rev);
        continue;
      }
      errors[i] = std::move(rev.error());
      keep_lowest(first_error, i);
    }
  };
  HelperThreads helpers(work, 0, files.size() >= 64 ? 0 : 1);
  work();
  helpers.join();
  if (first_error < files.size()) return fail(std::move(*errors[first_error]));
  return revisions;
}

namespace {

Result<void> read_op_list(std::string_view text, const std::string& path, int first_line,
                          std::vector<Op>& ops, bool keep) {
  Reader reader(path, first_line, ErrorCode::revision, text.size());
  try {
    const Document document = load_document(reader, text);
    std::vector<int> lines;
    read_ops(reader, document.root(), first_line, "ops", ops, lines, keep);
    return {};
  } catch (const ParseFailure& failure) {
    return fail(failure.error);
  }
}

}  // namespace

Result<std::vector<Op>> parse_ops(std::string_view text, const std::string& path, int first_line) {
  std::vector<Op> ops;
  DISTIL_CHECK(read_op_list(text, path, first_line, ops, /*keep=*/true));
  return ops;
}

Result<void> check_ops(std::string_view text, const std::string& path, int first_line) {
  std::vector<Op> none;
  return read_op_list(text, path, first_line, none, /*keep=*/false);
}

}  // namespace distil::model::yaml
