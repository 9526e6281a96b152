// Ops (DESIGN §5): their names, reverse() for downgrades and apply(), the DB-free simulator
// that tests, the offline `--sql` mode and the SQLite rebuild use to know the next schema.
#include "model/op.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace distil::model {
namespace {

Unexpected model_error(std::string message, std::string table = {}, std::string column = {}) {
  return fail(Error{.code = ErrorCode::model,
                    .message = std::move(message),
                    .where = {.table = std::move(table), .column = std::move(column)}});
}

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ---------------------------------------------------------------------------------------
// Column references inside SQL expressions (checks, index expressions, partial-index
// predicates). A small scanner, not a parser: it skips literals, comments, function names,
// qualifiers and casts, and reports the identifiers, so drop_column can refuse to orphan a
// check and rename_to can rewrite one, as SQLite's and PostgreSQL's own ALTERs do.

// Words that are SQL syntax when written bare; a column with such a name must be quoted.
bool is_keyword(std::string_view word) {
  // clang-format off
  static constexpr std::string_view kKeywords[] = {
      "and", "or", "not", "null", "is", "in", "between", "like", "ilike", "glob", "regexp",
      "match", "escape", "case", "when", "then", "else", "end", "cast", "as", "collate",
      "exists", "select", "from", "where", "distinct", "true", "false", "isnull", "notnull",
      "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp",
      "interval", "array", "any", "all", "some"};
  // clang-format on
  const std::string low = lower(word);
  return std::find(std::begin(kKeywords), std::end(kKeywords), low) != std::end(kKeywords);
}

struct IdentifierToken {
  size_t begin = 0, end = 0;  // the token's bytes in the expression, quotes included
  std::string name;           // unquoted
  bool quoted = false;
};

bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) {
  return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

char next_non_space(std::string_view sql, size_t i) {
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  return i < sql.size() ? sql[i] : '\0';
}

bool after_cast(std::string_view sql, size_t begin) {
  size_t i = begin;
  while (i > 0 && std::isspace(static_cast<unsigned char>(sql[i - 1]))) --i;
  return i >= 2 && sql[i - 1] == ':' && sql[i - 2] == ':';
}

std::vector<IdentifierToken> identifier_tokens(std::string_view sql) {
  std::vector<IdentifierToken> out;
  size_t i = 0;
  const size_t n = sql.size();
  auto skip_quoted = [&](char close) {  // from the opening quote; doubled quote escapes
    std::string text;
    ++i;
    while (i < n) {
      if (sql[i] == close) {
        if (i + 1 < n && sql[i + 1] == close && close != ']') {
          text += close;
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      text += sql[i++];
    }
    return text;
  };
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      skip_quoted('\'');
    } else if (c == '"' || c == '`' || c == '[') {
      const size_t begin = i;
      std::string name = skip_quoted(c == '[' ? ']' : c);
      const char next = next_non_space(sql, i);
      if (next != '(' && next != '.') out.push_back({begin, i, std::move(name), true});
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < n && (is_word_char(sql[i]) || sql[i] == '.')) ++i;  // 12, 1.5e3, 0x1F
    } else if (is_word_start(c)) {
      const size_t begin = i;
      while (i < n && is_word_char(sql[i])) ++i;
      std::string word(sql.substr(begin, i - begin));
      const char next = next_non_space(sql, i);
      if ((word == "x" || word == "X") && i < n && sql[i] == '\'') continue;  // blob X'..'
      if (next == '(' || next == '.' || is_keyword(word) || after_cast(sql, begin)) continue;
      out.push_back({begin, i, std::move(word), false});
    } else {
      ++i;
    }
  }
  return out;
}

bool token_names(const IdentifierToken& token, std::string_view column) {
  // Bare identifiers are case-insensitive in both dialects; quoted ones are exact.
  return token.quoted ? token.name == column : lower(token.name) == lower(column);
}

bool expression_references(std::string_view sql, std::string_view column) {
  const auto tokens = identifier_tokens(sql);
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const IdentifierToken& t) { return token_names(t, column); });
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || !(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) {
                       return std::islower(static_cast<unsigned char>(c)) ||
                              std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                     }) &&
         !is_keyword(name);
}

// Rewrites references to column `from` as `to`, keeping each reference's quoting style
// where the new name allows it (so renaming back restores the text exactly).
std::string rename_in_expression(std::string_view sql, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (const IdentifierToken& token : identifier_tokens(sql)) {
    if (!token_names(token, from)) continue;
    out += sql.substr(pos, token.begin - pos);
    std::string escaped;
    for (char c : to) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += !token.quoted && is_plain_identifier(to) ? std::string(to) : "\"" + escaped + "\"";
    pos = token.end;
  }
  out += sql.substr(pos);
  return out;
}

// An index entry is a column name when the table has that column, else an SQL expression.
bool index_uses_column(const Table& table, const Index& index, std::string_view column) {
  for (const std::string& entry : index.columns) {
    if (entry == column) return true;
    if (!table.find_column(entry) && expression_references(entry, column)) return true;
  }
  return index.where && expression_references(*index.where, column);
}

// ---------------------------------------------------------------------------------------
// Validation shared by create_table and the create_* ops.

Result<Table*> need_table(Schema& schema, const std::string& name, std::string_view op) {
  if (Table* table = schema.find_table(name)) return table;
  return model_error(std::string(op) + ": the table does not exist", name);
}

Result<void> need_columns(const Table& table, const std::vector<std::string>& columns,
                          std::string_view what) {
  if (columns.empty()) return model_error(std::string(what) + " has no columns", table.name);
  for (const std::string& column : columns) {
    if (!table.find_column(column)) {
      return model_error(std::string(what) + " names a column that does not exist", table.name,
                         column);
    }
  }
  return {};
}

// Unique, foreign key and check constraints share one namespace per table.
Result<void> need_free_constraint_name(const Table& table, const std::string& name,
                                       std::string_view what) {
  if (name.empty()) return model_error(std::string(what) + " has no name", table.name);
  const bool taken = std::any_of(table.unique.begin(), table.unique.end(),
                                 [&](auto& u) { return u.name == name; }) ||
                     std::any_of(table.foreign_keys.begin(), table.foreign_keys.end(),
                                 [&](auto& f) { return f.name == name; }) ||
                     std::any_of(table.checks.begin(), table.checks.end(),
                                 [&](auto& c) { return c.name == name; });
  if (taken) {
    return model_error(
        std::string(what) + ": a constraint named " + quoted(name) + " already exists", table.name);
  }
  return {};
}

Result<void> check_unique(const Table& table, const Unique& unique) {
  DISTIL_CHECK(need_free_constraint_name(table, unique.name, "unique constraint"));
  return need_columns(table, unique.columns, "unique constraint " + quoted(unique.name));
}

Result<void> check_check(const Table& table, const Check& check) {
  DISTIL_CHECK(need_free_constraint_name(table, check.name, "check constraint"));
  if (check.expression.empty()) {
    return model_error("check constraint " + quoted(check.name) + " has no expression", table.name);
  }
  return {};
}

// `table` may not be in `schema` yet (create_table), so a self-reference is resolved to it.
Result<void> check_foreign_key(const Schema& schema, const Table& table, const ForeignKey& fk) {
  DISTIL_CHECK(need_free_constraint_name(table, fk.name, "foreign key"));
  const std::string what = "foreign key " + quoted(fk.name);
  DISTIL_CHECK(need_columns(table, fk.columns, what));
  const Table* ref = fk.ref_table == table.name ? &table : schema.find_table(fk.ref_table);
  if (!ref) {
    return model_error(
        what + " references table " + quoted(fk.ref_table) + ", which does not exist", table.name);
  }
  const std::vector<std::string>& ref_columns =
      fk.ref_columns.empty() ? ref->primary_key : fk.ref_columns;
  if (ref_columns.size() != fk.columns.size()) {
    return model_error(what + " has " + std::to_string(fk.columns.size()) +
                           " column(s) but references " + std::to_string(ref_columns.size()),
                       table.name);
  }
  for (const std::string& column : ref_columns) {
    if (!ref->find_column(column)) {
      return model_error(what + " references column " + quoted(column) + " of table " +
                             quoted(ref->name) + ", which does not exist",
                         table.name);
    }
  }
  return {};
}

// Index names are schema-wide in both SQLite and PostgreSQL.
Result<void> check_index(const Schema& schema, const Table& table, const Index& index) {
  if (index.name.empty()) return model_error("index has no name", table.name);
  auto clash = [&](const Table& t) -> Result<void> {
    for (const Index& existing : t.indexes) {
      if (&existing != &index && existing.name == index.name) {
        return model_error(
            "an index named " + quoted(index.name) + " already exists on table " + quoted(t.name),
            table.name);
      }
    }
    return {};
  };
  DISTIL_CHECK(clash(table));  // `table` may be a copy that is not in `schema` yet
  if (const Table* owner = schema.find_index_owner(index.name);
      owner != nullptr && owner->name != table.name) {
    DISTIL_CHECK(clash(*owner));
  }
  if (index.columns.empty()) {
    return model_error("index " + quoted(index.name) + " has no columns", table.name);
  }
  for (const std::string& entry : index.columns) {
    // A bare word that is no column is a typo, not an expression.
    const bool bare_word = std::all_of(entry.begin(), entry.end(), is_word_char);
    if (bare_word && !table.find_column(entry)) {
      return model_error("index " + quoted(index.name) + " names a column that does not exist",
                         table.name, entry);
    }
  }
  return {};
}

Result<void> check_table(const Schema& schema, const Table& table) {
  if (table.name.empty()) return model_error("create_table: the table has no name");
  if (table.columns.empty())
    return model_error("create_table: the table has no columns", table.name);
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& column = table.columns[i];
    if (column.name.empty()) return model_error("create_table: a column has no name", table.name);
    if (column.type.empty()) {
      return model_error("create_table: the column has no type", table.name, column.name);
    }
    for (size_t j = 0; j < i; ++j) {
      if (table.columns[j].name == column.name) {
        return model_error("create_table: the column is defined twice", table.name, column.name);
      }
    }
  }
  if (!table.primary_key.empty())
    DISTIL_CHECK(need_columns(table, table.primary_key, "primary key"));
  // Validate each constraint against the ones before it, so duplicates are caught.
  Table partial = table;
  partial.unique.clear();
  partial.foreign_keys.clear();
  partial.checks.clear();
  partial.indexes.clear();
  for (const Unique& u : table.unique) {
    DISTIL_CHECK(check_unique(partial, u));
    partial.unique.push_back(u);
  }
  for (const ForeignKey& fk : table.foreign_keys) {
    DISTIL_CHECK(check_foreign_key(schema, partial, fk));
    partial.foreign_keys.push_back(fk);
  }
  for (const Check& ck : table.checks) {
    DISTIL_CHECK(check_check(partial, ck));
    partial.checks.push_back(ck);
  }
  for (const Index& ix : table.indexes) {
    DISTIL_CHECK(check_index(schema, partial, ix));
    partial.indexes.push_back(ix);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// apply

void rename_column(Schema& schema, Table& table, const std::string& from, const std::string& to) {
  // Index entries and expressions are rewritten before the column itself is renamed, while
  // find_column can still tell a column entry from an expression.
  for (Index& index : table.indexes) {
    for (std::string& entry : index.columns) {
      if (entry == from) {
        entry = to;
      } else if (!table.find_column(entry)) {
        entry = rename_in_expression(entry, from, to);
      }
    }
    if (index.where) index.where = rename_in_expression(*index.where, from, to);
  }
  table.find_column(from)->name = to;
  auto rename_in = [&](std::vector<std::string>& names) {
    std::replace(names.begin(), names.end(), from, to);
  };
  rename_in(table.primary_key);
  for (Unique& unique : table.unique) rename_in(unique.columns);
  for (ForeignKey& fk : table.foreign_keys) rename_in(fk.columns);
  for (Check& check : table.checks)
    check.expression = rename_in_expression(check.expression, from, to);
  for (const std::string& name : schema.tables_referencing(table.name)) {  // its own too
    for (ForeignKey& fk : schema.find_table(name)->foreign_keys) {
      if (fk.ref_table == table.name) rename_in(fk.ref_columns);
    }
  }
}

// Who refers to `table`.`column` from outside the column itself; "" when nobody.
std::string column_dependent(const Schema& schema, const Table& table, const std::string& column) {
  if (table.is_primary_key(column)) return "it is part of the primary key";
  for (const Unique& u : table.unique) {
    if (contains(u.columns, column)) return "it is part of unique constraint " + quoted(u.name);
  }
  for (const ForeignKey& fk : table.foreign_keys) {
    if (contains(fk.columns, column)) return "it is part of foreign key " + quoted(fk.name);
  }
  for (const Check& ck : table.checks) {
    if (expression_references(ck.expression, column)) {
      return "check constraint " + quoted(ck.name) + " uses it";
    }
  }
  for (const std::string& name : schema.tables_referencing(table.name)) {
    const Table& other = *schema.find_table(name);
    for (const ForeignKey& fk : other.foreign_keys) {
      if (fk.ref_table == table.name && contains(fk.ref_columns, column)) {
        return "foreign key " + quoted(fk.name) + " of table " + quoted(other.name) +
               " references it";
      }
    }
  }
  return {};
}

struct Applier {
  Schema& schema;

  Result<void> operator()(const CreateTable& op) {
    if (schema.find_table(op.table.name)) {
      return model_error("create_table: the table already exists", op.table.name);
    }
    DISTIL_CHECK(check_table(schema, op.table));
    const auto [it, added] = schema.tables.emplace(op.table.name, op.table);
    schema.note_table_added(it->second);
    return {};
  }

  Result<void> operator()(const DropTable& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table.name, "drop_table"));
    for (const std::string& name : schema.tables_referencing(table->name)) {
      if (name == table->name) continue;  // a self-reference goes with the table
      for (const ForeignKey& fk : schema.find_table(name)->foreign_keys) {
        if (fk.ref_table == table->name) {
          return model_error("drop_table: foreign key " + quoted(fk.name) + " of table " +
                                 quoted(name) +
                                 " references the table; drop it (or its table) first",
                             table->name);
        }
      }
    }
    schema.tables.erase(table->name);
    schema.note_table_dropped();
    return {};
  }

  Result<void> operator()(const RenameTable& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.from, "rename_table"));
    if (op.to.empty()) return model_error("rename_table: the new name is empty", op.from);
    if (op.to == op.from) return {};
    if (schema.find_table(op.to)) {
      return model_error(
          "rename_table: cannot rename to " + quoted(op.to) + ": that table already exists",
          op.from);
    }
    (void)table;
    // Who refers to it, read before the rename: its own self-references are then under op.to.
    const std::vector<std::string> referrers = schema.tables_referencing(op.from);
    auto node = schema.tables.extract(op.from);
    node.key() = op.to;
    node.mapped().name = op.to;
    const Table& renamed = schema.tables.insert(std::move(node)).position->second;
    for (const std::string& name : referrers) {  // both dialects follow the rename
      for (ForeignKey& fk : schema.find_table(name == op.from ? op.to : name)->foreign_keys) {
        if (fk.ref_table == op.from) fk.ref_table = op.to;
      }
    }
    schema.note_table_renamed(renamed, op.from);
    return {};
  }

  Result<void> operator()(const AddColumn& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "add_column"));
    if (op.column.name.empty()) return model_error("add_column: the column has no name", op.table);
    if (table->find_column(op.column.name)) {
      return model_error("add_column: the column already exists", op.table, op.column.name);
    }
    if (op.column.type.empty()) {
      return model_error("add_column: the column has no type", op.table, op.column.name);
    }
    table->columns.push_back(op.column);
    return {};
  }

  // Indexes that use the column go with it (as in PostgreSQL and a SQLite rebuild); a
  // constraint that uses it is an error, so no constraint is ever lost silently.
  Result<void> operator()(const DropColumn& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "drop_column"));
    const std::string& column = op.column.name;
    if (!table->find_column(column)) {
      return model_error("drop_column: the column does not exist", op.table, column);
    }
    if (std::string dependent = column_dependent(schema, *table, column); !dependent.empty()) {
      return model_error("drop_column: cannot drop the column: " + dependent + "; drop that first",
                         op.table, column);
    }
    if (table->columns.size() == 1) {
      return model_error("drop_column: cannot drop the only column of a table; drop the table",
                         op.table, column);
    }
    std::erase_if(table->indexes,
                  [&](const Index& index) { return index_uses_column(*table, index, column); });
    std::erase_if(table->columns, [&](const Column& c) { return c.name == column; });
    return {};
  }

  Result<void> operator()(const AlterColumn& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "alter_column"));
    Column* column = table->find_column(op.column);
    if (!column) return model_error("alter_column: the column does not exist", op.table, op.column);
    const ColumnPatch& change = op.change;
    if (change.rename_to) {
      if (change.rename_to->empty()) {
        return model_error("alter_column: rename_to is empty", op.table, op.column);
      }
      if (*change.rename_to != op.column && table->find_column(*change.rename_to)) {
        return model_error("alter_column: cannot rename to " + quoted(*change.rename_to) +
                               ": that column already exists",
                           op.table, op.column);
      }
    }
    if (change.type && change.type->empty()) {
      return model_error("alter_column: the new type is empty", op.table, op.column);
    }
    if (change.nullable == true && table->is_primary_key(op.column)) {
      return model_error("alter_column: a primary key column cannot be nullable", op.table,
                         op.column);
    }
    if (change.type) column->type = *change.type;
    if (change.nullable) column->nullable = *change.nullable;
    if (change.default_sql) column->default_sql = *change.default_sql;
    if (change.comment) column->comment = *change.comment;
    if (change.rename_to && *change.rename_to != op.column) {
      rename_column(schema, *table, op.column, *change.rename_to);
    }
    return {};
  }

  Result<void> operator()(const CreateIndex& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "create_index"));
    DISTIL_CHECK(check_index(schema, *table, op.index));
    table->indexes.push_back(op.index);
    schema.note_index_added(op.index.name, table->name);
    return {};
  }

  Result<void> operator()(const DropIndex& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "drop_index"));
    const auto erased = std::erase_if(
        table->indexes, [&](const Index& index) { return index.name == op.index.name; });
    if (erased == 0) {
      return model_error("drop_index: the table has no index " + quoted(op.index.name), op.table);
    }
    return {};
  }

  Result<void> operator()(const CreateUnique& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "create_unique"));
    DISTIL_CHECK(check_unique(*table, op.unique));
    table->unique.push_back(op.unique);
    return {};
  }

  Result<void> operator()(const CreateForeignKey& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "create_foreign_key"));
    DISTIL_CHECK(check_foreign_key(schema, *table, op.foreign_key));
    table->foreign_keys.push_back(op.foreign_key);
    schema.note_foreign_key_added(table->name, op.foreign_key.ref_table);
    return {};
  }

  Result<void> operator()(const CreateCheck& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "create_check"));
    DISTIL_CHECK(check_check(*table, op.check));
    table->checks.push_back(op.check);
    return {};
  }

  Result<void> operator()(const DropConstraint& op) {
    DISTIL_TRY(Table * table, need_table(schema, op.table, "drop_constraint"));
    auto named = [&](const auto& c) { return c.name == op.name; };
    if (std::erase_if(table->unique, named) + std::erase_if(table->foreign_keys, named) +
            std::erase_if(table->checks, named) ==
        0) {
      std::string hint;
      if (std::any_of(table->indexes.begin(), table->indexes.end(), named)) {
        hint = " (" + quoted(op.name) + " is an index: use drop_index)";
      }
      return model_error(
          "drop_constraint: the table has no unique, foreign key or check "
          "constraint " +
              quoted(op.name) + hint,
          op.table);
    }
    return {};
  }

  Result<void> operator()(const RawSql&) { return model_error("raw SQL cannot be simulated"); }
};

// ---------------------------------------------------------------------------------------
// reverse

Unexpected cannot_reverse(std::string_view op, std::string why, std::string table = {},
                          std::string column = {}) {
  return model_error("cannot reverse " + std::string(op) + ": " + why, std::move(table),
                     std::move(column));
}

struct Reverser {
  Result<Op> operator()(const CreateTable& op) const { return Op{DropTable{op.table}}; }

  Result<Op> operator()(const DropTable& op) const {
    if (op.table.columns.empty()) {
      return cannot_reverse("drop_table", "the op does not carry the table's definition",
                            op.table.name);
    }
    return Op{CreateTable{op.table}};
  }

  Result<Op> operator()(const RenameTable& op) const {
    return Op{RenameTable{.from = op.to, .to = op.from}};
  }

  Result<Op> operator()(const AddColumn& op) const {
    return Op{DropColumn{.table = op.table, .column = op.column}};
  }

  Result<Op> operator()(const DropColumn& op) const {
    if (op.column.type.empty()) {
      return cannot_reverse("drop_column", "the op does not carry the column's definition",
                            op.table, op.column.name);
    }
    return Op{AddColumn{.table = op.table, .column = op.column}};
  }

  // Swaps change and existing; `existing` of the result is the column after the change, so
  // reversing twice gives the op back.
  Result<Op> operator()(const AlterColumn& op) const {
    AlterColumn out{.table = op.table,
                    .column = op.change.rename_to.value_or(op.column),
                    .change = {},
                    .existing = op.existing};
    auto swap = [&](const auto& changed, const auto& before, auto& reverse_change,
                    auto& reverse_existing, std::string_view field) -> Result<void> {
      if (!changed) return {};
      if (!before) {
        return cannot_reverse("alter_column",
                              "existing." + std::string(field) + " (the value before) is missing",
                              op.table, op.column);
      }
      reverse_change = *before;
      reverse_existing = *changed;
      return {};
    };
    DISTIL_CHECK(
        swap(op.change.type, op.existing.type, out.change.type, out.existing.type, "type"));
    DISTIL_CHECK(swap(op.change.nullable, op.existing.nullable, out.change.nullable,
                      out.existing.nullable, "nullable"));
    DISTIL_CHECK(swap(op.change.default_sql, op.existing.default_sql, out.change.default_sql,
                      out.existing.default_sql, "default"));
    DISTIL_CHECK(swap(op.change.comment, op.existing.comment, out.change.comment,
                      out.existing.comment, "comment"));
    if (op.change.rename_to) out.change.rename_to = op.column;
    return Op{std::move(out)};
  }

  Result<Op> operator()(const CreateIndex& op) const {
    return Op{DropIndex{.table = op.table, .index = op.index}};
  }

  Result<Op> operator()(const DropIndex& op) const {
    if (op.index.columns.empty()) {
      return cannot_reverse(
          "drop_index", "the op does not carry the definition of index " + quoted(op.index.name),
          op.table);
    }
    return Op{CreateIndex{.table = op.table, .index = op.index}};
  }

  Result<Op> operator()(const CreateUnique& op) const {
    return Op{DropConstraint{.table = op.table, .name = op.unique.name, .unique = op.unique}};
  }

  Result<Op> operator()(const CreateForeignKey& op) const {
    return Op{DropConstraint{
        .table = op.table, .name = op.foreign_key.name, .foreign_key = op.foreign_key}};
  }

  Result<Op> operator()(const CreateCheck& op) const {
    return Op{DropConstraint{.table = op.table, .name = op.check.name, .check = op.check}};
  }

  Result<Op> operator()(const DropConstraint& op) const {
    if (op.unique) return Op{CreateUnique{.table = op.table, .unique = *op.unique}};
    if (op.foreign_key) {
      return Op{CreateForeignKey{.table = op.table, .foreign_key = *op.foreign_key}};
    }
    if (op.check) return Op{CreateCheck{.table = op.table, .check = *op.check}};
    return cannot_reverse("drop_constraint",
                          "the op does not carry the definition of constraint " + quoted(op.name),
                          op.table);
  }

  Result<Op> operator()(const RawSql&) const {
    return cannot_reverse("sql", "raw SQL has no known inverse; write the downgrade by hand");
  }
};

}  // namespace

std::string op_name(const Op& op) {
  return std::visit(Overloaded{
                        [](const CreateTable&) { return "create_table"; },
                        [](const DropTable&) { return "drop_table"; },
                        [](const RenameTable&) { return "rename_table"; },
                        [](const AddColumn&) { return "add_column"; },
                        [](const DropColumn&) { return "drop_column"; },
                        [](const AlterColumn&) { return "alter_column"; },
                        [](const CreateIndex&) { return "create_index"; },
                        [](const DropIndex&) { return "drop_index"; },
                        [](const CreateUnique&) { return "create_unique"; },
                        [](const CreateForeignKey&) { return "create_foreign_key"; },
                        [](const CreateCheck&) { return "create_check"; },
                        [](const DropConstraint&) { return "drop_constraint"; },
                        [](const RawSql&) { return "sql"; },
                    },
                    op);
}

std::string op_table(const Op& op) {
  return std::visit(Overloaded{
                        [](const CreateTable& o) { return o.table.name; },
                        [](const DropTable& o) { return o.table.name; },
                        [](const RenameTable& o) { return o.from; },
                        [](const RawSql&) { return std::string(); },
                        [](const auto& o) { return o.table; },
                    },
                    op);
}

bool is_destructive(const Op& op) {
  return std::visit(Overloaded{
                        [](const DropTable&) { return true; },
                        [](const DropColumn&) { return true; },
                        // Conservative: any type change may narrow (text -> integer loses
                        // "abc" on SQLite, fails on PostgreSQL).
                        [](const AlterColumn& o) {
                          return o.change.type.has_value() && o.existing.type != o.change.type;
                        },
                        [](const auto&) { return false; },
                    },
                    op);
}

Result<Op> reverse(const Op& op) { return std::visit(Reverser{}, op); }

Result<void> apply(Schema& schema, const Op& op) { return std::visit(Applier{schema}, op); }

}  // namespace distil::model
