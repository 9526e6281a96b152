// Live SQLite -> model::Schema. A table's stored CREATE TABLE text (create_table_parser) gives
// what no pragma tells: constraint names, CHECKs, AUTOINCREMENT, declared type spelling; the
// stored CREATE INDEX text gives index terms and partial-index predicates. For a table whose
// text is in the plain forms the parser settles (ParsedTable::complete: what our emitters and
// most tools write), the text also gives columns, keys, foreign keys and UNIQUE constraints.
// Any other table is read with PRAGMA table_xinfo, foreign_key_list and index_list, one
// prepared statement each, run per table. Each pragma call costs SQLite a statement prepare
// and a lookup in its schema hash (which stops growing at 64 buckets), so at 2000 tables the
// pragmas were most of `check` on SQLite. The tests compare the two ways on a generated
// corpus (tests/db/sqlite/introspect_test.cpp). `sqlite_master` is `sqlite_schema`'s older
// name, kept so SQLite before 3.33 works too.
#include "db/sqlite/introspect.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "db/sqlite/create_table_parser.hpp"
#include "model/names.hpp"

namespace distil::db::sqlite {
namespace {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

Error db_error(sqlite3* db, std::string_view what) {
  return Error{.code = ErrorCode::database,
               .message = std::string(what) + ": " + sqlite3_errmsg(db)};
}

Result<Stmt> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return fail(db_error(db, "cannot read the schema"));
  }
  return Stmt(raw);
}

// Binds text that outlives the statement's execution (nullptr = SQLITE_STATIC, spelled
// without the header's C-style cast). A parameter the statement does not use is skipped.
void bind(sqlite3_stmt* stmt, int index, std::optional<std::string_view> text) {
  if (index > sqlite3_bind_parameter_count(stmt)) return;
  if (!text) {
    sqlite3_bind_null(stmt, index);
  } else {
    sqlite3_bind_text(stmt, index, text->data(), static_cast<int>(text->size()), nullptr);
  }
}

// Steps `stmt` calling row() for each row; a failed step is an error.
template <class F>
Result<void> for_each_row(sqlite3* db, sqlite3_stmt* stmt, F&& row) {
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return fail(db_error(db, "cannot read the schema"));
    DISTIL_CHECK(row());
  }
}

std::optional<std::string> column_text(sqlite3_stmt* stmt, int col) {
  if (sqlite3_column_type(stmt, col) == SQLITE_NULL) return std::nullopt;
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
}
std::string text_or_empty(sqlite3_stmt* stmt, int col) {
  return column_text(stmt, col).value_or(std::string());
}
std::string_view column_view(sqlite3_stmt* stmt, int col) {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))};
}

// SQLite identifiers are case-insensitive for ASCII letters only.
std::string fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}
bool same_name(std::string_view a, std::string_view b) { return fold(a) == fold(b); }
bool same_names(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_name);
}

// The tables to read: every user table (?1 NULL; not sqlite_*, not _distil_*, not the version
// table ?2, not virtual tables, whose pragmas need their module), or the one table ?1.
constexpr std::string_view kTableFilter =
    " m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
    " AND CASE WHEN ?1 IS NULL"
    "   THEN m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    "        AND m.name NOT LIKE '\\_distil\\_%' ESCAPE '\\'"
    "        AND m.name <> ?2 COLLATE NOCASE"
    "   ELSE m.name = ?1 COLLATE NOCASE END ";

struct Scope {
  std::optional<std::string_view> table;  // one table, or all
  std::string_view version_table;
};

Result<Stmt> prepare_scoped(sqlite3* db, const std::string& sql, const Scope& scope) {
  DISTIL_TRY(auto stmt, prepare(db, sql));
  bind(stmt.get(), 1, scope.table);
  bind(stmt.get(), 2, scope.version_table);
  return stmt;
}

struct TableState {
  model::Table table;
  ParsedTable parsed;
  bool from_text = false;                       // read from `parsed` alone, no pragma
  std::vector<std::pair<int, std::string>> pk;  // (position in key, column)
};

// The column of `parsed` that `name` names (SQLite's case rule), or nullptr.
const ParsedColumn* find_parsed(const ParsedTable& parsed, std::string_view name) {
  for (const auto& column : parsed.columns) {
    if (same_name(column.name, name)) return &column;
  }
  return nullptr;
}

// Whether the text alone tells what the pragmas would: the parser found only plain forms,
// every key names a column, and no UNIQUE repeats the primary key or another UNIQUE (SQLite
// then keeps one index for both, and which one shows as the constraint is its business).
bool text_settles(const ParsedTable& parsed) {
  if (!parsed.complete) return false;
  const auto column_count = std::count_if(parsed.columns.begin(), parsed.columns.end(),
                                          [](const ParsedColumn& c) { return c.primary_key; });
  if (column_count > 1 || (column_count == 1 && !parsed.primary_key.empty())) return false;
  auto resolved = [&](const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& name : names) {
      const ParsedColumn* column = find_parsed(parsed, name);
      if (column == nullptr) return std::optional<std::vector<std::string>>();
      out.push_back(fold(column->name));
    }
    return std::optional(out);
  };
  std::vector<std::vector<std::string>> keys;
  if (!parsed.primary_key.empty()) {
    auto key = resolved(parsed.primary_key);
    // A column named twice in the key: SQLite numbers the key positions differently in
    // rowid and WITHOUT ROWID tables.
    if (!key) return false;
    auto sorted = *key;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return false;
    keys.push_back(std::move(*key));
  }
  for (const auto& column : parsed.columns) {
    if (column.primary_key) keys.push_back({fold(column.name)});
  }
  for (const auto& unique : parsed.uniques) {
    auto key = resolved(unique.columns);
    if (!key || std::find(keys.begin(), keys.end(), *key) != keys.end()) return false;
    keys.push_back(std::move(*key));
  }
  return std::all_of(parsed.foreign_keys.begin(), parsed.foreign_keys.end(),
                     [&](const ParsedForeignKey& fk) { return resolved(fk.columns).has_value(); });
}

// `names` as `table` spells its columns (all resolve: text_settles checked).
std::vector<std::string> table_spelling(const model::Table& table,
                                        const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    for (const auto& column : table.columns) {
      if (same_name(column.name, name)) {
        out.push_back(column.name);
        break;
      }
    }
  }
  return out;
}

class Reader {
 public:
  Reader(sqlite3* db, Scope scope, const IntrospectOptions& options)
      : db_(db), scope_(scope), options_(options) {}

  Result<std::vector<model::Table>> read() {
    DISTIL_CHECK(read_tables());
    // No table (e.g. create_table's check that its table is new): no other catalog query.
    if (tables_.empty()) return std::vector<model::Table>{};
    DISTIL_CHECK(read_columns());
    DISTIL_CHECK(read_foreign_keys());
    DISTIL_CHECK(read_created_indexes());
    DISTIL_CHECK(read_unique_constraints());
    read_checks();
    std::vector<model::Table> out;
    out.reserve(tables_.size());
    for (auto& state : tables_) out.push_back(std::move(state.table));
    return out;
  }

 private:
  Result<void> read_tables() {
    DISTIL_TRY(auto stmt, prepare_scoped(db_,
                                         "SELECT m.name, m.sql FROM main.sqlite_master m WHERE" +
                                             std::string(kTableFilter) + "ORDER BY m.rowid",
                                         scope_));
    return for_each_row(db_, stmt.get(), [&]() -> Result<void> {
      TableState state;
      state.table.name = text_or_empty(stmt.get(), 0);
      auto parsed = parse_create_table(column_view(stmt.get(), 1));
      if (!parsed) {
        return fail(Error{
            .code = ErrorCode::database,
            .message = "cannot parse its stored CREATE TABLE statement: " + parsed.error().message,
            .where = {.table = state.table.name}});
      }
      state.parsed = std::move(*parsed);
      state.from_text = options_.use_text && text_settles(state.parsed);
      if (options_.stats != nullptr) {
        ++(state.from_text ? options_.stats->from_text : options_.stats->from_pragmas);
      }
      if (state.from_text) {
        // Built now and the parsed columns freed: at 5000 tables they were 4 MB of the peak.
        columns_from_text(state);
        state.parsed.columns = std::vector<ParsedColumn>();
      }
      by_name_.emplace(fold(state.table.name), tables_.size());
      tables_.push_back(std::move(state));
      return {};
    });
  }

  TableState* find(std::string_view name) {
    auto it = by_name_.find(fold(name));
    return it == by_name_.end() ? nullptr : &tables_[it->second];
  }

  // Columns in order, with the primary key. From the text, or from PRAGMA table_xinfo, whose
  // type is SQLite's, except that SQLite reports its standard type names (INT, INTEGER, REAL,
  // TEXT, BLOB, ANY) upper-cased: the declared spelling (`integer`) is restored so a model that
  // says `integer` compares equal.
  Result<void> read_columns() {
    Stmt stmt;
    for (auto& state : tables_) {
      if (state.from_text) continue;  // read with the table (read_tables)
      if (!stmt) {
        DISTIL_TRY(stmt, prepare(db_,
                                 "SELECT name, type, \"notnull\", dflt_value, pk, hidden"
                                 " FROM pragma_table_xinfo(?1, 'main') ORDER BY cid"));
      }
      DISTIL_CHECK(for_each_table_row(stmt.get(), state.table.name, [&]() -> Result<void> {
        if (sqlite3_column_int(stmt.get(), 5) == 1) return {};  // a virtual table's hidden column
        model::Column column{.name = text_or_empty(stmt.get(), 0),
                             .type = text_or_empty(stmt.get(), 1),
                             .nullable = sqlite3_column_int(stmt.get(), 2) == 0,
                             .default_sql = column_text(stmt.get(), 3)};
        const std::size_t position = state.table.columns.size();
        const auto& parsed = state.parsed.columns;
        const ParsedColumn* declared =
            position < parsed.size() && same_name(parsed[position].name, column.name)
                ? &parsed[position]
                : find_parsed(state.parsed, column.name);
        if (declared != nullptr && same_name(declared->type, column.type)) {
          column.type = declared->type;
        }
        add_column(state, std::move(column), sqlite3_column_int(stmt.get(), 4), declared);
        return {};
      }));
    }
    for (auto& state : tables_) {
      std::sort(state.pk.begin(), state.pk.end());
      for (auto& [position, name] : state.pk) state.table.primary_key.push_back(std::move(name));
    }
    return {};
  }

  // The parsed columns are moved from (read_tables frees them next).
  static void columns_from_text(TableState& state) {
    ParsedTable& parsed = state.parsed;
    state.table.columns.reserve(parsed.columns.size());
    for (ParsedColumn& declared : parsed.columns) {
      int pk = declared.primary_key ? 1 : 0;
      for (std::size_t i = 0; i < parsed.primary_key.size(); ++i) {
        if (same_name(parsed.primary_key[i], declared.name)) pk = static_cast<int>(i) + 1;
      }
      add_column(state,
                 model::Column{.name = std::move(declared.name),
                               .type = std::move(declared.type),
                               .nullable = !declared.not_null,
                               .default_sql = std::move(declared.default_sql)},
                 pk, &declared);
    }
  }

  // `pk`: the column's position in the primary key, 0 when not in it.
  static void add_column(TableState& state, model::Column column, int pk,
                         const ParsedColumn* declared) {
    if (pk > 0) {
      column.nullable = false;  // the model's rule: primary-key columns are not null
      column.autoincrement = declared != nullptr && declared->autoincrement;
      state.pk.emplace_back(pk, column.name);
    }
    state.table.columns.push_back(std::move(column));
  }

  // The primary key of the table a foreign key references without naming columns.
  Result<std::vector<std::string>> parent_key(std::string_view parent) {
    if (const TableState* state = find(parent)) return state->table.primary_key;
    if (!parent_pk_) {
      DISTIL_TRY(parent_pk_, prepare(db_,
                                     "SELECT name FROM pragma_table_xinfo(?1, 'main')"
                                     " WHERE pk > 0 ORDER BY pk"));
    }
    sqlite3_reset(parent_pk_.get());
    bind(parent_pk_.get(), 1, parent);
    std::vector<std::string> key;
    DISTIL_CHECK(for_each_row(db_, parent_pk_.get(), [&]() -> Result<void> {
      key.push_back(text_or_empty(parent_pk_.get(), 0));
      return {};
    }));
    return key;
  }

  // Runs the prepared per-table `stmt` for `table` (bound to ?1), calling row() per row.
  template <class F>
  Result<void> for_each_table_row(sqlite3_stmt* stmt, const std::string& table, F&& row) {
    sqlite3_reset(stmt);
    bind(stmt, 1, table);
    return for_each_row(db_, stmt, std::forward<F>(row));
  }

  // PRAGMA foreign_key_list, for the tables whose SQL declares any: one row per column of each
  // FK; `id` numbers the FKs in reverse declaration order (SQLite prepends each to its list).
  // Names come from the parsed SQL, paired by columns and parent; the order is the SQL's.
  Result<void> read_foreign_keys() {
    DISTIL_TRY(auto stmt, prepare(db_,
                                  "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete"
                                  " FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq"));
    for (auto& state : tables_) {
      if (state.parsed.foreign_keys.empty()) continue;
      if (state.from_text) {
        DISTIL_CHECK(foreign_keys_from_text(state));
        continue;
      }
      struct PragmaFk {
        int id = -1;
        model::ForeignKey fk;
        std::vector<std::optional<std::string>> to;
      };
      std::vector<PragmaFk> fks;
      DISTIL_CHECK(for_each_table_row(stmt.get(), state.table.name, [&]() -> Result<void> {
        const int id = sqlite3_column_int(stmt.get(), 0);
        if (fks.empty() || fks.back().id != id) {
          PragmaFk next{.id = id};
          next.fk.ref_table = text_or_empty(stmt.get(), 1);
          for (auto [col, action] :
               {std::pair{4, &next.fk.on_update}, std::pair{5, &next.fk.on_delete}}) {
            const std::string text = fold(column_view(stmt.get(), col));
            auto parsed = model::parse_fk_action(text);
            if (!parsed) {
              return fail(Error{.code = ErrorCode::database,
                                .message = "unknown foreign key action \"" + text + "\"",
                                .where = {.table = state.table.name}});
            }
            *action = *parsed;
          }
          fks.push_back(std::move(next));
        }
        fks.back().fk.columns.push_back(text_or_empty(stmt.get(), 2));
        fks.back().to.push_back(column_text(stmt.get(), 3));
        return {};
      }));

      const auto& parsed = state.parsed.foreign_keys;
      std::vector<bool> used(parsed.size(), false);
      std::vector<std::pair<std::size_t, model::ForeignKey>> ordered;
      for (auto it = fks.rbegin(); it != fks.rend(); ++it) {
        model::ForeignKey& fk = it->fk;
        if (std::any_of(it->to.begin(), it->to.end(), [](const auto& to) { return !to; })) {
          DISTIL_TRY(fk.ref_columns, parent_key(fk.ref_table));
        } else {
          for (auto& to : it->to) fk.ref_columns.push_back(std::move(*to));
        }
        std::size_t match = parsed.size();
        for (std::size_t i = 0; i < parsed.size() && match == parsed.size(); ++i) {
          if (!used[i] && same_names(parsed[i].columns, fk.columns) &&
              same_name(parsed[i].ref_table, fk.ref_table)) {
            match = i;
          }
        }
        if (match < parsed.size()) {
          used[match] = true;
          if (parsed[match].name) fk.name = *parsed[match].name;
          fk.deferrable = parsed[match].deferrable;
          fk.initially_deferred = parsed[match].initially_deferred;
        }
        if (fk.name.empty()) {
          fk.name = model::foreign_key_name(state.table.name, fk.columns, fk.ref_table);
        }
        ordered.emplace_back(match, std::move(fk));
      }
      std::stable_sort(ordered.begin(), ordered.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [order, fk] : ordered) state.table.foreign_keys.push_back(std::move(fk));
    }
    return {};
  }

  Result<void> foreign_keys_from_text(TableState& state) {
    for (const ParsedForeignKey& parsed : state.parsed.foreign_keys) {
      model::ForeignKey fk{.columns = table_spelling(state.table, parsed.columns),
                           .ref_table = parsed.ref_table,
                           .ref_columns = parsed.ref_columns,
                           .deferrable = parsed.deferrable,
                           .initially_deferred = parsed.initially_deferred};
      for (auto [text, action] : {std::pair{&parsed.on_update, &fk.on_update},
                                  std::pair{&parsed.on_delete, &fk.on_delete}}) {
        auto known = model::parse_fk_action(*text);
        if (!known) {
          return fail(Error{.code = ErrorCode::database,
                            .message = "unknown foreign key action \"" + *text + "\"",
                            .where = {.table = state.table.name}});
        }
        *action = *known;
      }
      if (fk.ref_columns.empty()) {
        DISTIL_TRY(fk.ref_columns, parent_key(fk.ref_table));
      }
      fk.name = parsed.name ? *parsed.name
                            : model::foreign_key_name(state.table.name, fk.columns, fk.ref_table);
      state.table.foreign_keys.push_back(std::move(fk));
    }
    return {};
  }

  // CHECKs exist only in the SQL. Unnamed ones are named as the YAML loader names them
  // (model/names.hpp): ck_<table>_<n>, n counting every CHECK in declaration order.
  void read_checks() {
    for (auto& state : tables_) {
      std::size_t n = 0;
      for (const auto& check : state.parsed.checks) {
        ++n;
        state.table.checks.push_back(model::Check{
            .name = check.name.value_or(model::check_name(state.table.name, static_cast<int>(n))),
            .expression = check.expression});
      }
    }
  }

  // CREATE INDEX indexes (those with SQL in sqlite_schema), in creation order: unique flag,
  // terms and WHERE from the statement itself, so no pragma runs per index.
  Result<void> read_created_indexes() {
    DISTIL_TRY(auto stmt, prepare_scoped(db_,
                                         "SELECT tbl_name, name, sql FROM main.sqlite_master"
                                         " WHERE type = 'index' AND sql IS NOT NULL"
                                         " AND (?1 IS NULL OR tbl_name = ?1 COLLATE NOCASE)"
                                         " ORDER BY rowid",
                                         scope_));
    return for_each_row(db_, stmt.get(), [&]() -> Result<void> {
      TableState* state = find(column_view(stmt.get(), 0));
      if (state == nullptr) return {};  // an index on a table out of scope
      model::Table& table = state->table;
      model::Index index{.name = text_or_empty(stmt.get(), 1)};
      auto parsed = parse_create_index(column_view(stmt.get(), 2));
      if (!parsed) {
        return fail(Error{.code = ErrorCode::database,
                          .message = "cannot parse the stored CREATE INDEX statement of \"" +
                                     index.name + "\": " + parsed.error().message,
                          .where = {.table = table.name}});
      }
      index.unique = parsed->unique;
      index.where = std::move(parsed->where);
      for (auto& term : parsed->terms) {
        // A term naming a column is that column as the table spells it; anything else
        // (expressions, DESC, COLLATE, rowid) stays the SQL text as written.
        const model::Column* column = nullptr;
        for (const auto& c : table.columns) {
          if (term.column && same_name(c.name, *term.column)) column = &c;
        }
        if (column != nullptr) {
          index.columns.push_back(column->name);
        } else {
          index.columns.push_back(std::move(term.text));
        }
      }
      table.indexes.push_back(std::move(index));
      return {};
    });
  }

  // UNIQUE constraints are the automatic indexes of origin 'u' (PRAGMA index_list), read for
  // the tables whose SQL declares any; names come from the parsed SQL, paired by columns
  // (SQLite drops a UNIQUE that repeats another or the primary key), in declaration order.
  Result<void> read_unique_constraints() {
    DISTIL_TRY(auto stmt, prepare(db_,
                                  "SELECT il.name, x.name FROM pragma_index_list(?1, 'main') il"
                                  " JOIN pragma_index_xinfo(il.name, 'main') x"
                                  " WHERE il.origin = 'u' AND x.key = 1 ORDER BY il.seq, x.seqno"));
    for (auto& state : tables_) {
      if (state.parsed.uniques.empty()) continue;
      if (state.from_text) {
        for (const ParsedUnique& parsed : state.parsed.uniques) {
          model::Unique unique{.columns = table_spelling(state.table, parsed.columns)};
          unique.name = parsed.name ? *parsed.name
                                    : model::unique_name(state.table.name, unique.columns);
          state.table.unique.push_back(std::move(unique));
        }
        continue;
      }
      std::vector<std::pair<std::string, model::Unique>> found;  // (index name, constraint)
      DISTIL_CHECK(for_each_table_row(stmt.get(), state.table.name, [&]() -> Result<void> {
        const std::string_view index = column_view(stmt.get(), 0);
        if (found.empty() || found.back().first != index)
          found.emplace_back(index, model::Unique{});
        found.back().second.columns.push_back(text_or_empty(stmt.get(), 1));
        return {};
      }));
      const auto& parsed = state.parsed.uniques;
      std::vector<bool> used(parsed.size(), false);
      std::vector<std::pair<std::size_t, model::Unique>> ordered;
      for (auto& [index, unique] : found) {
        std::size_t match = parsed.size();
        for (std::size_t i = 0; i < parsed.size() && match == parsed.size(); ++i) {
          if (!used[i] && same_names(parsed[i].columns, unique.columns)) match = i;
        }
        if (match < parsed.size()) {
          used[match] = true;
          if (parsed[match].name) unique.name = *parsed[match].name;
        }
        if (unique.name.empty()) unique.name = model::unique_name(state.table.name, unique.columns);
        ordered.emplace_back(match, std::move(unique));
      }
      std::stable_sort(ordered.begin(), ordered.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [order, unique] : ordered) state.table.unique.push_back(std::move(unique));
    }
    return {};
  }

  sqlite3* db_;
  Scope scope_;
  IntrospectOptions options_;
  std::vector<TableState> tables_;
  std::unordered_map<std::string, std::size_t> by_name_;  // fold(name) -> tables_ index
  Stmt parent_pk_;
};

}  // namespace

// One read transaction around an introspection when none is open: the catalog is read as
// one snapshot (a concurrent migration cannot tear it), and SQLite takes its shared lock
// once instead of once per statement (at 2000 tables, the per-statement fcntl locking and
// schema checks were a sixth of `check`'s time).
namespace {

class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db) : db_(db) {
    if (sqlite3_get_autocommit(db_) != 0 &&
        sqlite3_exec(db_, "BEGIN DEFERRED", nullptr, nullptr, nullptr) == SQLITE_OK) {
      open_ = true;
    }
  }
  ~ReadSnapshot() {
    // Nothing was written: ending the read can only release the lock.
    if (open_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace

model::Result<model::Schema> introspect(sqlite3* db, std::string_view version_table) {
  return introspect(db, version_table, IntrospectOptions{});
}

model::Result<model::Schema> introspect(sqlite3* db, std::string_view version_table,
                                        const IntrospectOptions& options) {
  const ReadSnapshot snapshot(db);
  DISTIL_TRY(auto tables, Reader(db, Scope{.version_table = version_table}, options).read());
  model::Schema schema;
  for (auto& table : tables) {
    std::string name = table.name;
    schema.tables.emplace(std::move(name), std::move(table));
  }
  return schema;
}

model::Error missing_table_error(std::string_view table) {
  return Error{.code = ErrorCode::database,
               .message = "table \"" + std::string(table) + "\" does not exist",
               .where = {.table = std::string(table)}};
}

model::Result<model::Table> introspect_table(sqlite3* db, std::string_view table) {
  const ReadSnapshot snapshot(db);
  DISTIL_TRY(auto tables,
             Reader(db, Scope{.table = table, .version_table = ""}, IntrospectOptions{}).read());
  if (tables.empty()) return fail(missing_table_error(table));
  return std::move(tables.front());
}

model::Result<std::vector<std::string>> trigger_sql(sqlite3* db, std::string_view table) {
  DISTIL_TRY(auto stmt, prepare(db,
                                "SELECT sql FROM main.sqlite_master WHERE type = 'trigger'"
                                " AND tbl_name = ?1 COLLATE NOCASE ORDER BY rowid"));
  bind(stmt.get(), 1, table);
  std::vector<std::string> out;
  DISTIL_CHECK(for_each_row(db, stmt.get(), [&]() -> Result<void> {
    out.push_back(text_or_empty(stmt.get(), 0));
    return {};
  }));
  return out;
}

}  // namespace distil::db::sqlite
