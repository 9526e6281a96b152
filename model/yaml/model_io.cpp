// YAML table models (DESIGN §4) -> model::Schema: reads each file with the shared table
// reader (table_io), merges the files, then checks the schema as a whole.
#include "model/yaml/model_io.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "model/helper_threads.hpp"
#include "model/names.hpp"
#include "model/yaml/table_io.hpp"

namespace distil::model::yaml {
namespace {

using detail::Context;
using detail::Document;
using detail::Node;
using detail::Entry;
using detail::Fields;
using detail::Keys;
using detail::ParseFailure;
using detail::quote;
using detail::Reader;

// DESIGN §4's portable types (the base name, before any "(p,s)").
constexpr std::array<std::string_view, 17> kPortableTypes = {
    "smallint",  "integer",     "bigint", "boolean", "real",  "double",
    "numeric",   "varchar",     "char",   "text",    "date",  "time",
    "timestamp", "timestamptz", "uuid",   "json",    "binary"};

// Common names of other types, in SQLite, PostgreSQL and MySQL, that sit close to a portable
// name but are not typos of it; passed to the dialect verbatim like any other type.
constexpr std::array<std::string_view, 58> kKnownTypes = {"int",
                                                          "int2",
                                                          "int4",
                                                          "int8",
                                                          "tinyint",
                                                          "mediumint",
                                                          "float",
                                                          "float4",
                                                          "float8",
                                                          "double precision",
                                                          "decimal",
                                                          "number",
                                                          "dec",
                                                          "serial",
                                                          "smallserial",
                                                          "bigserial",
                                                          "bool",
                                                          "character",
                                                          "character varying",
                                                          "nchar",
                                                          "nvarchar",
                                                          "varchar2",
                                                          "nvarchar2",
                                                          "string",
                                                          "clob",
                                                          "citext",
                                                          "name",
                                                          "datetime",
                                                          "timetz",
                                                          "interval",
                                                          "year",
                                                          "timestamp with time zone",
                                                          "timestamp without time zone",
                                                          "time with time zone",
                                                          "time without time zone",
                                                          "blob",
                                                          "bytea",
                                                          "varbinary",
                                                          "jsonb",
                                                          "xml",
                                                          "inet",
                                                          "cidr",
                                                          "macaddr",
                                                          "money",
                                                          "bit",
                                                          "bit varying",
                                                          "varbit",
                                                          "line",
                                                          "lseg",
                                                          "box",
                                                          "path",
                                                          "point",
                                                          "polygon",
                                                          "circle",
                                                          "tsvector",
                                                          "tsquery",
                                                          "oid",
                                                          "enum"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0)
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0)
    text.remove_suffix(1);
  return text;
}

// The portable type that `type` looks like a typo of, or "" when it is portable, a known
// other type, or nothing close: such types go to the dialect verbatim (DESIGN §4).
std::string_view misspelt_portable_type(std::string_view type) {
  std::string base = lower(trim(type));
  while (base.ends_with("[]")) base = std::string(trim(base.substr(0, base.size() - 2)));
  base = std::string(trim(base.substr(0, base.find('('))));
  const auto is = [&](std::string_view name) { return name == base; };
  if (base.empty() || std::any_of(kPortableTypes.begin(), kPortableTypes.end(), is) ||
      std::any_of(kKnownTypes.begin(), kKnownTypes.end(), is)) {
    return {};
  }
  // A short name is half changed by two edits: allow one there.
  const std::size_t limit = base.size() <= 4 ? 1 : 2;
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view portable : kPortableTypes) {
    const std::size_t d = detail::edit_distance(base, portable);
    if (d < best_distance) {
      best_distance = d;
      best = portable;
    }
  }
  return best;
}

Error model_error(const Origin& origin, std::string message, std::string table = {},
                  std::string column = {}) {
  return Error{.code = ErrorCode::model,
               .message = std::move(message),
               .where = {.file = origin.file,
                         .line = origin.line,
                         .table = std::move(table),
                         .column = std::move(column)}};
}

std::string place(const Origin& origin) {
  return origin.file.str() + ":" + std::to_string(origin.line);
}

// One file's tables, in file order; ParseFailure on any error.
std::vector<Table> read_tables(const Reader& reader, Node root) {
  std::vector<Table> tables;
  if (root.is_null()) return tables;  // an empty file defines nothing
  if (!root.is_map()) {
    reader.raise(reader.line_of(root, 1),
                 std::string("a model file is a mapping with a \"tables:\" key, found ") +
                     detail::kind_of(root));
  }
  Fields f(reader, root, 1, Context{}, {"tables"});
  f.check_keys();
  const Entry* entry = f.find("tables");
  if (entry == nullptr) {
    f.raise(f.line(), "missing required field \"tables\" (tables: {name: {columns: [...]}})");
  }
  if (entry->value.is_null()) return tables;
  if (!entry->value.is_map()) {
    f.raise(entry->line, "\"tables\" must be a mapping of table name to table, found " +
                             std::string(detail::kind_of(entry->value)));
  }
  const Node tables_node = entry->value;
  for (std::size_t i = 0; i < tables_node.size(); ++i) {
    const Node key = tables_node.key(i);
    const int line = reader.line_of(key, entry->line);
    if (!key.is_scalar() || key.text().empty()) {
      reader.raise(line, "a table name must be a plain, non-empty name");
    }
    std::string name(key.text());
    const Context context{.table = name};
    for (const Table& other : tables) {
      if (other.name == name) {
        reader.raise(line, "table " + quote(name) + " is defined twice: at line " +
                               std::to_string(other.origin.line) + " and at line " +
                               std::to_string(line));
      }
    }
    Fields body(reader, tables_node.value(i), line, context, detail::kTableBodyKeys);
    Table table = detail::read_table_body(reader, body, std::move(name));
    table.origin.line = line;
    for (const Column& column : table.columns) {
      const std::string_view portable = misspelt_portable_type(column.type);
      if (!portable.empty()) {
        reader.raise(
            column.origin.line,
            "unknown type " + quote(column.type) + "; did you mean " + quote(portable) + "?",
            Context{.table = table.name, .column = column.name});
      }
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

Result<std::vector<Table>> parse_tables(std::string_view text, const std::string& path) {
  const Reader reader(path, 1, ErrorCode::model, text.size());
  try {
    const Document document = detail::load_single_document(reader, text, "a model file");
    return read_tables(reader, document.root());
  } catch (const ParseFailure& failure) {
    return fail(failure.error);
  }
}

// Adds `tables` to `schema`; a table already there (from another file) is an error naming
// both places.
Result<void> merge(Schema& schema, std::vector<Table> tables) {
  for (Table& table : tables) {
    if (const Table* first = schema.find_table(table.name); first != nullptr) {
      return fail(model_error(table.origin, "table " + quote(table.name) +
                                                " is defined twice: at " + place(first->origin) +
                                                " and at " + place(table.origin)));
    }
    std::string name = table.name;
    schema.tables.emplace(std::move(name), std::move(table));
  }
  return {};
}

bool is_identifier(std::string_view text) {
  return !text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) == 0 &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

Result<void> check_columns_exist(const Table& table, const std::vector<std::string>& columns,
                                 const std::string& what, const Origin& origin,
                                 bool allow_expressions = false) {
  for (const std::string& column : columns) {
    if (allow_expressions && !is_identifier(column)) continue;  // an expression index
    if (table.find_column(column) == nullptr) {
      Keys names;
      for (const Column& c : table.columns) names.push_back(c.name);
      return fail(model_error(origin,
                              what + " names " + quote(column) + ", which is not a column" +
                                  detail::did_you_mean(column, names),
                              table.name));
    }
  }
  return {};
}

// The schema-wide rules a single table cannot check: references between tables, and names
// shared by every constraint and index of the schema.
Result<void> check_schema(const Schema& schema) {
  struct NameUse {
    std::string what;
    Origin origin;
  };
  std::map<std::string, NameUse> names;
  const auto claim = [&](const std::string& name, std::string what, const Origin& origin,
                         const std::string& table) -> Result<void> {
    const auto [it, inserted] = names.emplace(name, NameUse{what, origin});
    if (!inserted) {
      return fail(model_error(origin,
                              what + " " + quote(name) + ": the name is already used by " +
                                  it->second.what + " at " + place(it->second.origin) +
                                  "; constraint and index names must be unique in the schema",
                              table));
    }
    return {};
  };

  Keys table_names;
  for (const auto& [name, table] : schema.tables) table_names.push_back(name);

  for (const auto& [name, table] : schema.tables) {
    const std::string in_table = " of table " + quote(name);
    if (!table.primary_key.empty()) {
      DISTIL_CHECK(claim(primary_key_name(name), "the primary key" + in_table, table.origin, name));
    }
    for (const Unique& unique : table.unique) {
      DISTIL_CHECK(check_columns_exist(table, unique.columns, "unique " + quote(unique.name),
                                       unique.origin));
      DISTIL_CHECK(claim(unique.name, "unique" + in_table, unique.origin, name));
    }
    for (const Index& index : table.indexes) {
      DISTIL_CHECK(check_columns_exist(table, index.columns, "index " + quote(index.name),
                                       index.origin, /*allow_expressions=*/true));
      DISTIL_CHECK(claim(index.name, "index" + in_table, index.origin, name));
    }
    for (const ForeignKey& fk : table.foreign_keys) {
      const std::string what = "foreign key " + quote(fk.name);
      DISTIL_CHECK(check_columns_exist(table, fk.columns, what, fk.origin));
      const Table* target = schema.find_table(fk.ref_table);
      if (target == nullptr) {
        return fail(model_error(fk.origin,
                                what + " references table " + quote(fk.ref_table) +
                                    ", which is not defined" +
                                    detail::did_you_mean(fk.ref_table, table_names),
                                name));
      }
      for (const std::string& column : fk.ref_columns) {
        if (target->find_column(column) == nullptr) {
          return fail(model_error(fk.origin,
                                  what + " references column " + quote(column) + " of table " +
                                      quote(fk.ref_table) + ", which has no such column",
                                  name));
        }
      }
      DISTIL_CHECK(claim(fk.name, "foreign key" + in_table, fk.origin, name));
    }
    for (const Check& check : table.checks) {
      DISTIL_CHECK(claim(check.name, "check" + in_table, check.origin, name));
    }
  }
  return {};
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return fail(Error{.code = ErrorCode::io,
                      .message = "cannot read model file",
                      .where = {.file = path.string()}});
  }
  return text.str();
}

// The *.yaml files of `folder`, sorted by name; editors' lock files (".#x.yaml") skipped.
Result<std::vector<std::filesystem::path>> model_files(const std::filesystem::path& folder) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::filesystem::path& file = it->path();
    if (file.extension() == ".yaml" && !file.filename().string().starts_with('.') &&
        it->is_regular_file(ec)) {
      files.push_back(file);
    }
  }
  if (ec) {
    return fail(Error{.code = ErrorCode::io,
                      .message = "cannot list model folder: " + ec.message(),
                      .where = {.file = folder.string()}});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.filename().string() < b.filename().string();
  });
  if (files.empty()) {
    // An empty desired schema would make the differ drop every table: refuse it.
    return fail(Error{.code = ErrorCode::model,
                      .message = "the model folder holds no *.yaml files",
                      .where = {.file = folder.string()}});
  }
  return files;
}

}  // namespace

Result<Schema> parse_models(std::string_view text, const std::string& path) {
  DISTIL_TRY(std::vector<Table> tables, parse_tables(text, path));
  Schema schema;
  DISTIL_CHECK(merge(schema, std::move(tables)));
  DISTIL_CHECK(check_schema(schema));
  return schema;
}

Result<std::unique_ptr<ModelLoad>> ModelLoad::start(const std::filesystem::path& file_or_folder) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  ModelCache cache;
  if (std::filesystem::is_directory(file_or_folder, ec)) {
    DISTIL_TRY(files, model_files(file_or_folder));
    cache = ModelCache::open(file_or_folder, files);
  } else if (std::filesystem::exists(file_or_folder, ec)) {
    files.push_back(file_or_folder);
  } else {
    return fail(Error{.code = ErrorCode::config,
                      .message = "models path \"" + file_or_folder.string() + "\" does not exist"});
  }
  return std::unique_ptr<ModelLoad>(new ModelLoad(std::move(files), std::move(cache)));
}

ModelLoad::ModelLoad(std::vector<std::filesystem::path> files, ModelCache cache)
    : files_(std::move(files)),
      cache_(std::move(cache)),
      parsed_(files_.size()),
      ready_(std::make_unique<std::atomic<bool>[]>(files_.size())),
      first_error_(files_.size()) {}

// Files are claimed in order, so when file i fails every file before it has been claimed
// and will be parsed; the ones after it are not needed.
void ModelLoad::work() {
  for (;;) {
    const std::size_t i = next_.fetch_add(1);
    if (i >= files_.size() || i > first_error_.load()) return;
    parsed_[i] = [&]() -> Result<std::vector<Table>> {
      if (auto cached = cache_.tables(i)) return std::move(*cached);
      DISTIL_TRY(std::string text, read_file(files_[i]));
      DISTIL_TRY(std::vector<Table> tables, parse_tables(text, files_[i].string()));
      cache_.record(i, tables);
      return tables;
    }();
    if (!*parsed_[i]) keep_lowest(first_error_, i);
    ready_[i].store(true);
    ready_[i].notify_all();
  }
}

Result<Schema> ModelLoad::finish() {
  // After this thread's work() every file up to the first failed one has been claimed, so
  // each slot waited for below is being filled by some thread.
  work();
  Schema schema;
  for (std::size_t i = 0; i < parsed_.size(); ++i) {
    ready_[i].wait(false);
    auto& tables = parsed_[i];
    if (!tables) {  // cannot happen: a ready slot is filled
      return fail(Error{.code = ErrorCode::internal, .message = "a model file was not read"});
    }
    if (!*tables) return fail(std::move(tables->error()));
    DISTIL_CHECK(merge(schema, std::move(**tables)));
    tables.reset();
  }
  DISTIL_CHECK(check_schema(schema));
  return schema;
}

Result<Schema> load_models(const std::filesystem::path& file_or_folder) {
  DISTIL_TRY(std::unique_ptr<ModelLoad> load, ModelLoad::start(file_or_folder));
  Result<Schema> schema = load->finish();
  load->save_cache();
  return schema;
}

}  // namespace distil::model::yaml
