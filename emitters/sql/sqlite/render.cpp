// ops -> SQLite SQL. What SQLite's ALTER TABLE can do is rendered directly; the rest is a
// table rebuild (rebuild.cpp). Every identifier goes through quote_identifier, so no name in
// a model can inject SQL; types, defaults, checks and predicates are SQL by design.
#include "emitters/sql/sqlite/render.hpp"

#include <algorithm>
#include <cctype>
#include <variant>

#include "emitters/sql/sqlite/rebuild.hpp"

namespace distil::emitters::sqlite {
namespace detail {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// 'it''s' as one literal (not 'a' || 'b').
bool is_string_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '\'' || s.back() != '\'') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\'') {
      if (s[i + 1] != '\'' || i + 2 == s.size()) return false;
      ++i;
    }
  }
  return true;
}

bool is_number(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    return std::all_of(s.begin() + 2, s.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  }
  bool digits = false, dot = false, exponent = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot && !exponent) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exponent) {
      exponent = true;
      digits = false;
      if (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-')) ++i;
    } else {
      return false;
    }
  }
  return digits;
}

std::string default_sql(std::string_view sql) {
  std::string text = trim(sql);
  if (is_simple_default(text) || is_parenthesized(text)) return text;
  return "(" + text + ")";
}

// An index entry is a column when the table has it (or it is a bare word); otherwise it is
// an expression of an expression index (or `col COLLATE x`, `col DESC`): SQL, written as given.
std::string index_entry_sql(const model::Table& table, const std::string& entry) {
  const bool word = !entry.empty() && std::all_of(entry.begin(), entry.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  });
  if (table.find_column(entry) || word) return quote_identifier(entry);
  return entry;
}

bool inline_autoincrement(const model::Table& table) {
  if (table.primary_key.size() != 1) return false;
  const model::Column* column = table.find_column(table.primary_key.front());
  return column && column->autoincrement;
}

}  // namespace

bool is_current_keyword(std::string_view sql) {
  const std::string u = upper(trim(sql));
  return u == "CURRENT_TIMESTAMP" || u == "CURRENT_DATE" || u == "CURRENT_TIME";
}

bool is_null_default(const std::optional<std::string>& sql) {
  if (!sql) return true;
  std::string u = upper(trim(*sql));
  while (is_parenthesized(u)) u = trim(std::string_view(u).substr(1, u.size() - 2));
  return u == "NULL";
}

bool is_simple_default(std::string_view sql) {
  const std::string text = trim(sql);
  const std::string u = upper(text);
  if (u == "NULL" || u == "TRUE" || u == "FALSE" || is_current_keyword(text)) return true;
  if (is_string_literal(text) || is_number(text)) return true;
  return (u.size() >= 3 && u[0] == 'X' && is_string_literal(std::string_view(text).substr(1)));
}

std::string column_sql(const model::Column& column, bool not_null, bool inline_pk) {
  std::string out = quote_identifier(column.name);
  // AUTOINCREMENT is only allowed on a column declared exactly "INTEGER PRIMARY KEY".
  const std::string type = inline_pk ? "INTEGER" : column.type;
  if (!type.empty()) out += " " + type;
  if (not_null) out += " NOT NULL";
  if (inline_pk) out += " PRIMARY KEY AUTOINCREMENT";
  if (column.default_sql) out += " DEFAULT " + default_sql(*column.default_sql);
  return out;
}

std::string create_table_sql(const model::Table& table, std::string_view create_as) {
  const bool inline_pk = inline_autoincrement(table);
  std::vector<std::string> parts;
  for (const model::Column& column : table.columns) {
    const bool pk = table.is_primary_key(column.name);
    parts.push_back(column_sql(column, !column.nullable || pk, pk && inline_pk));
  }
  if (!table.primary_key.empty() && !inline_pk) {
    parts.push_back("CONSTRAINT " + quote_identifier("pk_" + table.name) + " PRIMARY KEY (" +
                    join_quoted(table.primary_key) + ")");
  }
  for (const model::Unique& unique : table.unique) {
    parts.push_back("CONSTRAINT " + quote_identifier(unique.name) + " UNIQUE (" +
                    join_quoted(unique.columns) + ")");
  }
  for (const model::ForeignKey& fk : table.foreign_keys) {
    std::string sql = "CONSTRAINT " + quote_identifier(fk.name) + " FOREIGN KEY (" +
                      join_quoted(fk.columns) + ") REFERENCES " + quote_identifier(fk.ref_table);
    if (!fk.ref_columns.empty()) sql += " (" + join_quoted(fk.ref_columns) + ")";
    if (fk.on_delete != model::FkAction::no_action)
      sql += " ON DELETE " + model::to_sql(fk.on_delete);
    if (fk.on_update != model::FkAction::no_action)
      sql += " ON UPDATE " + model::to_sql(fk.on_update);
    if (fk.initially_deferred) {
      sql += " DEFERRABLE INITIALLY DEFERRED";
    } else if (fk.deferrable) {
      sql += " DEFERRABLE";
    }
    parts.push_back(std::move(sql));
  }
  for (const model::Check& check : table.checks) {
    parts.push_back("CONSTRAINT " + quote_identifier(check.name) + " CHECK (" + check.expression +
                    ")");
  }
  std::string out = "CREATE TABLE " + quote_identifier(create_as) + " (\n";
  for (size_t i = 0; i < parts.size(); ++i) {
    out += "  " + parts[i] + (i + 1 < parts.size() ? ",\n" : "\n");
  }
  return out + ")";
}

std::vector<std::string> create_index_sql(const model::Table& table) {
  std::vector<std::string> out;
  for (const model::Index& index : table.indexes) {
    std::string entries;
    for (const std::string& entry : index.columns) {
      if (!entries.empty()) entries += ", ";
      entries += index_entry_sql(table, entry);
    }
    std::string sql = std::string(index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") +
                      quote_identifier(index.name) + " ON " + quote_identifier(table.name) + " (" +
                      entries + ")";
    if (index.where) sql += " WHERE " + *index.where;
    out.push_back(std::move(sql));
  }
  return out;
}

model::Result<model::Table> fetch_table(const SchemaSource& source, std::string_view name) {
  if (!source.table) {
    return model::fail(model::Error{.code = model::ErrorCode::internal,
                                    .message = "the SQLite renderer needs the current schema "
                                               "(SchemaSource::table is not set)",
                                    .where = {.table = std::string(name)}});
  }
  return source.table(name);
}

}  // namespace detail

namespace {

using detail::fetch_table;
using model::Result;

std::string alter(const std::string& table) { return "ALTER TABLE " + quote_identifier(table); }

// Applies `op` to the one table it works on, as the source has it now: validates the op
// (errors name the table/column) and returns the table before and after.
struct Change {
  model::Table before, after;
};
Result<Change> simulate(const model::Op& op, const std::string& table, const SchemaSource& source) {
  DISTIL_TRY(model::Table before, fetch_table(source, table));
  model::Schema schema;
  schema.tables.emplace(table, before);
  DISTIL_CHECK(model::apply(schema, op));
  const model::Table* after = schema.find_table(table);
  return Change{.before = std::move(before), .after = after ? *after : model::Table{}};
}

// simulate() for ops that need only the validation.
Result<void> validate(const model::Op& op, const std::string& table, const SchemaSource& source) {
  auto change = simulate(op, table, source);
  if (!change) return model::fail(std::move(change.error()));
  return {};
}

model::Unexpected not_null_without_default(const std::string& table, const std::string& column) {
  return model::fail(model::Error{
      .code = model::ErrorCode::model,
      .message = "add_column: a NOT NULL column needs a default, or the existing rows would "
                 "have no value (SQLite refuses it even on an empty table); add a default or "
                 "add the column as nullable first",
      .where = {.table = table, .column = column}});
}

// https://www.sqlite.org/lang_altertable.html#altertabaddcol: no PRIMARY KEY/UNIQUE (our
// add_column never has them), no CURRENT_* or parenthesized default, NOT NULL only with a
// non-NULL default (checked before).
bool can_add_column(const model::Column& column) {
  if (column.autoincrement) return false;
  if (!column.default_sql) return true;
  return detail::is_simple_default(*column.default_sql) &&
         !detail::is_current_keyword(*column.default_sql);
}

// SQLite has one kind of index: an index with an access method (`using:`) cannot be rendered.
Result<void> check_index_method(const std::string& table, const model::Index& index) {
  if (index.method.empty()) return {};
  return model::fail(model::Error{
      .code = model::ErrorCode::model,
      .message = "index " + quote_identifier(index.name) + " uses the index method \"" +
                 index.method + "\", which SQLite does not have; drop `using:` for SQLite",
      .where = {.table = table}});
}

struct Renderer {
  const SchemaSource& source;

  Result<RenderedOp> operator()(const model::CreateTable& op) const {
    std::vector<std::string> related{op.table.name};
    for (const model::ForeignKey& fk : op.table.foreign_keys) related.push_back(fk.ref_table);
    model::Schema schema = known_tables(source, related);
    DISTIL_CHECK(model::apply(schema, op));
    for (const model::Index& index : op.table.indexes) {
      DISTIL_CHECK(check_index_method(op.table.name, index));
    }
    return RenderedOp{.statements = render_create_table(op.table)};
  }

  Result<RenderedOp> operator()(const model::DropTable& op) const {
    DISTIL_CHECK(validate(op, op.table.name, source));
    return RenderedOp{.statements = {"DROP TABLE " + quote_identifier(op.table.name)}};
  }

  Result<RenderedOp> operator()(const model::RenameTable& op) const {
    DISTIL_TRY(model::Table table, fetch_table(source, op.from));
    model::Schema schema = known_tables(source, {op.to});
    schema.tables.emplace(op.from, std::move(table));
    DISTIL_CHECK(model::apply(schema, op));
    // SQLite (legacy_alter_table off, the default) rewrites references in other tables too.
    return RenderedOp{.statements = {alter(op.from) + " RENAME TO " + quote_identifier(op.to)}};
  }

  Result<RenderedOp> operator()(const model::AddColumn& op) const {
    DISTIL_CHECK(validate(op, op.table, source));
    const model::Column& column = op.column;
    if (!column.nullable && detail::is_null_default(column.default_sql)) {
      return not_null_without_default(op.table, column.name);
    }
    if (can_add_column(column)) {
      return RenderedOp{.statements = {alter(op.table) + " ADD COLUMN " +
                                       detail::column_sql(column, !column.nullable, false)}};
    }
    return detail::rebuild(op, op.table, source);
  }

  Result<RenderedOp> operator()(const model::DropColumn& op) const {
    DISTIL_TRY(auto change, simulate(op, op.table, source));
    // apply() refuses columns in constraints; one in an index (or a partial index's
    // predicate) takes the index with it, which ALTER TABLE DROP COLUMN refuses to do.
    if (change.after.indexes != change.before.indexes) return detail::rebuild(op, op.table, source);
    return RenderedOp{
        .statements = {alter(op.table) + " DROP COLUMN " + quote_identifier(op.column.name)}};
  }

  Result<RenderedOp> operator()(const model::AlterColumn& op) const {
    DISTIL_TRY(auto change, simulate(op, op.table, source));
    const std::string name = op.change.rename_to.value_or(op.column);
    const model::Column& before = *change.before.find_column(op.column);
    const model::Column& after = *change.after.find_column(name);
    // SQLite cannot change a column's type, nullability or default in place.
    if (before.type != after.type || before.nullable != after.nullable ||
        before.default_sql != after.default_sql) {
      return detail::rebuild(op, op.table, source);
    }
    RenderedOp out;
    if (name != op.column) {  // comments do not exist in SQLite: nothing to do for them
      out.statements.push_back(alter(op.table) + " RENAME COLUMN " + quote_identifier(op.column) +
                               " TO " + quote_identifier(name));
    }
    return out;
  }

  Result<RenderedOp> operator()(const model::CreateIndex& op) const {
    DISTIL_TRY(auto change, simulate(op, op.table, source));
    DISTIL_CHECK(check_index_method(op.table, op.index));
    model::Table only = change.after;
    only.indexes = {op.index};
    return RenderedOp{.statements = detail::create_index_sql(only)};
  }

  Result<RenderedOp> operator()(const model::DropIndex& op) const {
    DISTIL_CHECK(validate(op, op.table, source));
    return RenderedOp{.statements = {"DROP INDEX " + quote_identifier(op.index.name)}};
  }

  // SQLite cannot add or drop constraints: rebuild.
  Result<RenderedOp> operator()(const model::CreateUnique& op) const {
    return detail::rebuild(op, op.table, source);
  }
  Result<RenderedOp> operator()(const model::CreateForeignKey& op) const {
    return detail::rebuild(op, op.table, source);
  }
  Result<RenderedOp> operator()(const model::CreateCheck& op) const {
    return detail::rebuild(op, op.table, source);
  }
  Result<RenderedOp> operator()(const model::DropConstraint& op) const {
    return detail::rebuild(op, op.table, source);
  }

  Result<RenderedOp> operator()(const model::RawSql& op) const {
    return render_raw_sql(op, Dialect::sqlite);
  }
};

}  // namespace

Result<RenderedOp> render(const model::Op& op, const SchemaSource& source) {
  return std::visit(Renderer{source}, op);
}

std::vector<std::string> render_create_table(const model::Table& table) {
  std::vector<std::string> out{detail::create_table_sql(table, table.name)};
  for (std::string& sql : detail::create_index_sql(table)) out.push_back(std::move(sql));
  return out;
}

}  // namespace distil::emitters::sqlite
