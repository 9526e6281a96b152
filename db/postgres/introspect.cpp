// Live PostgreSQL -> model::Schema from pg_catalog: four queries (tables, columns,
// constraints, indexes) for every table of a schema, run in one REPEATABLE READ snapshot
// when no transaction is open. Types and expressions stay exactly as PostgreSQL prints
// them (format_type, pg_get_expr); the differ canonicalises.
// See: https://www.postgresql.org/docs/15/catalogs.html
#include "db/postgres/introspect.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "db/postgres/libpq.hpp"

namespace distil::db::postgres {
namespace {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Which tables to read: all of `schema` but `version_table`, or just `table`.
struct Scope {
  std::string schema;
  std::string version_table;
  std::optional<std::string> table;
};

// The tables in scope, as a CTE every query starts with ($1 schema, $2 version table,
// $3 one table or NULL). The tool's own _distil_* tables are not the user's. Partitions
// belong to their parent; views are not tables.
constexpr std::string_view kTablesCte = R"sql(
WITH t AS (
  SELECT c.oid, c.relname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND c.relname <> $2 AND ($3::text IS NULL OR c.relname = $3::text)
    AND ($3::text IS NOT NULL OR c.relname NOT LIKE '\_distil\_%')
)
)sql";

constexpr std::string_view kTablesSql = R"sql(
SELECT t.oid, t.relname, pg_catalog.obj_description(t.oid, 'pg_class')
FROM t ORDER BY t.relname
)sql";

// A serial column (a nextval() default on a sequence the column owns) is autoincrement,
// as an identity column is: SQLAlchemy creates serials, our renderer identity columns.
constexpr std::string_view kColumnsSql = R"sql(
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity,
       pg_catalog.col_description(a.attrelid, a.attnum),
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
               JOIN pg_catalog.pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
               WHERE dep.classid = 'pg_catalog.pg_class'::regclass
                 AND dep.refclassid = 'pg_catalog.pg_class'::regclass
                 AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
                 AND dep.deptype = 'a')
FROM t
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
)sql";

// Key columns as text[] in key order (conkey order, not attnum order).
constexpr std::string_view kConstraintsSql = R"sql(
SELECT con.conrelid, con.conname, con.contype,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       rt.relname, rn.nspname,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       con.confdeltype, con.confupdtype, pg_catalog.pg_get_constraintdef(con.oid),
       con.condeferrable, con.condeferred
FROM t
JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid
LEFT JOIN pg_catalog.pg_class rt ON rt.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.oid
)sql";

// Indexes that back no constraint (a foreign key's conindid is the *referenced* table's
// index, hence the contype filter). Key columns only (not INCLUDE columns); an expression
// column (attnum 0) is printed by pg_get_indexdef.
constexpr std::string_view kIndexesSql = R"sql(
SELECT i.indrelid, ic.relname, i.indisunique,
       ARRAY(SELECT CASE WHEN k.attnum = 0
                         THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true)
                         ELSE a.attname::text END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts
             ORDER BY k.ord),
       pg_catalog.pg_get_expr(i.indpred, i.indrelid), am.amname
FROM t
JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, i.indexrelid
)sql";

Error read_error(PGconn* conn, const PGresult* result) {
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : "";
  if (message.empty()) {
    message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
  }
  return Error{.code = ErrorCode::database, .message = "cannot read the schema: " + message};
}

Result<PgResult> run(PGconn* conn, std::string_view sql, const Scope& scope) {
  const std::string text = std::string(kTablesCte) + std::string(sql);
  const char* values[3] = {scope.schema.c_str(), scope.version_table.c_str(),
                           scope.table ? scope.table->c_str() : nullptr};
  PgResult result(PQexecParams(conn, text.c_str(), 3, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return fail(read_error(conn, result.get()));
  return result;
}

std::string text(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<std::size_t>(PQgetlength(result, row, column)));
}

std::optional<std::string> nullable_text(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return text(result, row, column);
}

// The elements of a one-dimensional text[] in PostgreSQL's output syntax:
// {plain,"quoted \"x\", with \\ escapes"}. See:
// https://www.postgresql.org/docs/15/arrays.html#ARRAYS-IO
std::vector<std::string> parse_text_array(std::string_view array) {
  std::vector<std::string> out;
  if (array.size() < 2 || array.front() != '{') return out;
  std::size_t i = 1;
  while (i < array.size() && array[i] != '}') {
    std::string element;
    if (array[i] == '"') {
      ++i;
      while (i < array.size() && array[i] != '"') {
        if (array[i] == '\\' && i + 1 < array.size()) ++i;
        element += array[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < array.size() && array[i] != ',' && array[i] != '}') element += array[i++];
    }
    out.push_back(std::move(element));
    if (i < array.size() && array[i] == ',') ++i;
  }
  return out;
}

// The index just past the quoted section that opens at `begin`: '...' (E'...' honours
// backslash escapes) or "..."; a doubled quote escapes itself.
std::size_t skip_quoted(std::string_view text, std::size_t begin) {
  const char quote = text[begin];
  const bool backslashes =
      quote == '\'' && begin > 0 && (text[begin - 1] == 'E' || text[begin - 1] == 'e');
  std::size_t i = begin + 1;
  while (i < text.size()) {
    if (backslashes && text[i] == '\\') {
      i += 2;
      continue;
    }
    if (text[i] == quote) {
      if (i + 1 < text.size() && text[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return text.size();
}

// The index of the parenthesis closing the one at `open`; npos when never closed.
std::size_t matching_paren(std::string_view text, std::size_t open) {
  int depth = 0;
  std::size_t i = open;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      i = skip_quoted(text, i);
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
    ++i;
  }
  return std::string_view::npos;
}

// "(a > 0)" -> "a > 0": removes parentheses that wrap the whole expression.
std::string strip_outer_parens(std::string text) {
  while (text.size() >= 2 && text.front() == '(' && matching_paren(text, 0) == text.size() - 1)
    text = text.substr(1, text.size() - 2);
  return text;
}

// "CHECK ((ratio >= (0)::numeric)) NOT VALID" -> "ratio >= (0)::numeric".
std::string check_expression(std::string_view definition) {
  const std::size_t open = definition.find('(');
  if (open == std::string_view::npos) return std::string(definition);
  const std::size_t close = matching_paren(definition, open);
  if (close == std::string_view::npos) return std::string(definition);
  return strip_outer_parens(std::string(definition.substr(open + 1, close - open - 1)));
}

model::FkAction fk_action(std::string_view code) {
  switch (code.empty() ? 'a' : code.front()) {
    case 'r':
      return model::FkAction::restrict;
    case 'c':
      return model::FkAction::cascade;
    case 'n':
      return model::FkAction::set_null;
    case 'd':
      return model::FkAction::set_default;
    default:
      return model::FkAction::no_action;
  }
}

// Reads the tables in `scope`, ordered by name.
Result<std::vector<model::Table>> read(PGconn* conn, const Scope& scope) {
  // One snapshot for the four queries, so concurrent DDL cannot tear the result. Inside a
  // caller's transaction (a running migration) its snapshot serves.
  const bool own_transaction = PQtransactionStatus(conn) == PQTRANS_IDLE;
  if (own_transaction) {
    PgResult begin(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    if (PQresultStatus(begin.get()) != PGRES_COMMAND_OK) return fail(read_error(conn, begin.get()));
  }
  struct EndTransaction {
    PGconn* conn;
    bool active;
    ~EndTransaction() {
      if (active) PQclear(PQexec(conn, "ROLLBACK"));
    }
  } end{conn, own_transaction};

  std::vector<model::Table> tables;
  std::unordered_map<std::string, std::size_t> by_oid;
  {
    DISTIL_TRY(PgResult r, run(conn, kTablesSql, scope));
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      by_oid.emplace(text(r.get(), row, 0), tables.size());
      tables.push_back(
          model::Table{.name = text(r.get(), row, 1), .comment = nullable_text(r.get(), row, 2)});
    }
  }
  if (tables.empty()) return tables;
  auto table_of = [&](const PGresult* r, int row) -> model::Table* {
    auto it = by_oid.find(text(r, row, 0));
    return it == by_oid.end() ? nullptr : &tables[it->second];
  };

  {
    DISTIL_TRY(PgResult r, run(conn, kColumnsSql, scope));
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      model::Table* table = table_of(r.get(), row);
      if (!table) continue;
      model::Column column{.name = text(r.get(), row, 1),
                           .type = text(r.get(), row, 2),
                           .nullable = text(r.get(), row, 3) != "t",
                           .default_sql = nullable_text(r.get(), row, 4),
                           .comment = nullable_text(r.get(), row, 6)};
      const std::string identity = text(r.get(), row, 5);
      const bool serial = text(r.get(), row, 7) == "t" && column.default_sql &&
                          column.default_sql->starts_with("nextval(");
      if (identity == "a" || identity == "d" || serial) {
        column.autoincrement = true;
        column.default_sql.reset();
      }
      table->columns.push_back(std::move(column));
    }
  }

  {
    DISTIL_TRY(PgResult r, run(conn, kConstraintsSql, scope));
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      model::Table* table = table_of(r.get(), row);
      if (!table) continue;
      std::string name = text(r.get(), row, 1);
      const std::string type = text(r.get(), row, 2);
      std::vector<std::string> columns = parse_text_array(text(r.get(), row, 3));
      if (type == "p") {
        table->primary_key = std::move(columns);
      } else if (type == "u") {
        table->unique.push_back(
            model::Unique{.name = std::move(name), .columns = std::move(columns)});
      } else if (type == "f") {
        std::string ref_table = text(r.get(), row, 4);
        // A table of another schema keeps its schema; ours are referred to by name alone.
        if (const std::string ref_schema = text(r.get(), row, 5); ref_schema != scope.schema)
          ref_table = ref_schema + "." + ref_table;
        table->foreign_keys.push_back(
            model::ForeignKey{.name = std::move(name),
                              .columns = std::move(columns),
                              .ref_table = std::move(ref_table),
                              .ref_columns = parse_text_array(text(r.get(), row, 6)),
                              .on_delete = fk_action(text(r.get(), row, 7)),
                              .on_update = fk_action(text(r.get(), row, 8)),
                              .deferrable = text(r.get(), row, 10) == "t",
                              .initially_deferred = text(r.get(), row, 11) == "t"});
      } else if (type == "c") {
        table->checks.push_back(model::Check{
            .name = std::move(name), .expression = check_expression(text(r.get(), row, 9))});
      }
    }
  }

  {
    DISTIL_TRY(PgResult r, run(conn, kIndexesSql, scope));
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      model::Table* table = table_of(r.get(), row);
      if (!table) continue;
      std::optional<std::string> where = nullable_text(r.get(), row, 4);
      if (where) where = strip_outer_parens(std::move(*where));
      std::string method = text(r.get(), row, 5);
      if (method == "btree") method.clear();  // the default, as the model writes it
      table->indexes.push_back(model::Index{.name = text(r.get(), row, 1),
                                            .columns = parse_text_array(text(r.get(), row, 3)),
                                            .unique = text(r.get(), row, 2) == "t",
                                            .where = std::move(where),
                                            .method = std::move(method)});
    }
  }
  return tables;
}

std::string schema_or_public(std::string_view schema) {
  return schema.empty() ? std::string("public") : std::string(schema);
}

}  // namespace

model::Result<model::Schema> introspect(PGconn* conn, std::string_view schema,
                                        std::string_view version_table) {
  DISTIL_TRY(auto tables, read(conn, Scope{.schema = schema_or_public(schema),
                                           .version_table = std::string(version_table)}));
  model::Schema out;
  for (auto& table : tables) {
    std::string name = table.name;
    out.tables.emplace(std::move(name), std::move(table));
  }
  return out;
}

model::Error missing_table_error(std::string_view schema, std::string_view table) {
  return Error{.code = ErrorCode::database,
               .message = "table \"" + std::string(table) + "\" does not exist in schema \"" +
                          schema_or_public(schema) + "\"",
               .where = {.table = std::string(table)}};
}

model::Result<model::Table> introspect_table(PGconn* conn, std::string_view schema,
                                             std::string_view table) {
  const std::string nsp = schema_or_public(schema);
  DISTIL_TRY(auto tables,
             read(conn, Scope{.schema = nsp, .version_table = "", .table = std::string(table)}));
  if (tables.empty()) return fail(missing_table_error(schema, table));
  return std::move(tables.front());
}

}  // namespace distil::db::postgres
