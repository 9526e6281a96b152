// db/sqlite/introspect against real in-memory SQLite: raw DDL in, exact model::Table out.
#include "db/sqlite/introspect.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "db/sqlite/create_table_parser.hpp"
#include "model/names.hpp"

namespace {

using distil::model::Check;
using distil::model::Column;
using distil::model::ErrorCode;
using distil::model::FkAction;
using distil::model::ForeignKey;
using distil::model::Index;
using distil::model::Table;
using distil::model::Unique;
namespace sq = distil::db::sqlite;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }
std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + quoted(item);
  return out + "]";
}
std::string opt(const std::optional<std::string>& s) { return s ? quoted(*s) : "null"; }

// A readable dump so a failing CHECK(actual == expected) shows both tables.
std::string describe(const Table& t) {
  std::string out = "table " + quoted(t.name) + "\n";
  for (const auto& c : t.columns) {
    out += "  column " + quoted(c.name) + " type=" + quoted(c.type) +
           " nullable=" + (c.nullable ? "true" : "false") + " default=" + opt(c.default_sql) +
           " autoincrement=" + (c.autoincrement ? "true" : "false") + " comment=" + opt(c.comment) +
           "\n";
  }
  out += "  primary_key " + list(t.primary_key) + "\n";
  for (const auto& u : t.unique) out += "  unique " + quoted(u.name) + " " + list(u.columns) + "\n";
  for (const auto& i : t.indexes) {
    out += "  index " + quoted(i.name) + " " + list(i.columns) +
           " unique=" + (i.unique ? "true" : "false") + " where=" + opt(i.where) +
           " method=" + quoted(i.method) + "\n";
  }
  for (const auto& f : t.foreign_keys) {
    out += "  fk " + quoted(f.name) + " " + list(f.columns) + " -> " + quoted(f.ref_table) + " " +
           list(f.ref_columns) + " on_delete=" + distil::model::to_string(f.on_delete) +
           " on_update=" + distil::model::to_string(f.on_update) +
           " deferrable=" + (f.deferrable ? "true" : "false") +
           " initially_deferred=" + (f.initially_deferred ? "true" : "false") + "\n";
  }
  for (const auto& c : t.checks)
    out += "  check " + quoted(c.name) + " " + quoted(c.expression) + "\n";
  return out;
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<Table> {
  static String convert(const Table& t) { return describe(t).c_str(); }
};
}  // namespace doctest

namespace {

class Db {
 public:
  Db() { REQUIRE(sqlite3_open(":memory:", &db_) == SQLITE_OK); }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    const std::string error = message != nullptr ? message : "";
    sqlite3_free(message);
    REQUIRE_MESSAGE(rc == SQLITE_OK, error);
  }

  Table table(const std::string& name) {
    auto result = sq::introspect_table(db_, name);
    REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
    return *result;
  }

  distil::model::Schema schema(const std::string& version_table = "alembic_version") {
    auto result = sq::introspect(db_, version_table);
    REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
    return *result;
  }

  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<std::string> table_names(const distil::model::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, table] : schema.tables) names.push_back(name);
  return names;
}

TEST_CASE("columns keep declared types, NOT NULL and stored defaults exactly") {
  Db db;
  db.exec(R"(CREATE TABLE sales_orders (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant_id VARCHAR(100) NOT NULL,
      start DATETIME NOT NULL,
      currency varchar(3) NOT NULL DEFAULT 'NZD',
      total numeric(12,2),
      created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
      flags integer NOT NULL DEFAULT 0,
      ratio real DEFAULT -1.5,
      note TEXT,
      untyped))");
  const Table expected{
      .name = "sales_orders",
      .columns =
          {{.name = "id", .type = "INTEGER", .nullable = false, .autoincrement = true},
           {.name = "tenant_id", .type = "VARCHAR(100)", .nullable = false},
           {.name = "start", .type = "DATETIME", .nullable = false},
           {.name = "currency", .type = "varchar(3)", .nullable = false, .default_sql = "'NZD'"},
           {.name = "total", .type = "numeric(12,2)"},
           {.name = "created_at", .type = "DATETIME", .default_sql = "CURRENT_TIMESTAMP"},
           // SQLite's pragma upper-cases its standard type names; the declared spelling wins.
           {.name = "flags", .type = "integer", .nullable = false, .default_sql = "0"},
           {.name = "ratio", .type = "real", .default_sql = "-1.5"},
           {.name = "note", .type = "TEXT"},
           {.name = "untyped", .type = ""}},
      .primary_key = {"id"}};
  CHECK(db.table("sales_orders") == expected);
}

TEST_CASE("a parenthesised default is reported as SQLite's dflt_value gives it") {
  Db db;
  db.exec("CREATE TABLE t (a INTEGER DEFAULT (1 + 2), b TEXT DEFAULT ('x'))");
  const auto table = db.table("t");
  REQUIRE(table.columns.size() == 2);
  CHECK(table.columns[0].default_sql == "1 + 2");
  CHECK(table.columns[1].default_sql == "'x'");
}

TEST_CASE("autoincrement only with the AUTOINCREMENT keyword - primary-key columns are not null") {
  Db db;
  db.exec("CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)");
  db.exec("CREATE TABLE table_level (id INTEGER, v TEXT, PRIMARY KEY (id AUTOINCREMENT))");
  db.exec("CREATE TABLE column_level (id INTEGER NOT NULL PRIMARY KEY ASC AUTOINCREMENT, v TEXT)");

  CHECK(db.table("plain") == Table{.name = "plain",
                                   .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                                               {.name = "v", .type = "TEXT"}},
                                   .primary_key = {"id"}});
  for (const char* name : {"table_level", "column_level"}) {
    CAPTURE(name);
    CHECK(
        db.table(name) ==
        Table{
            .name = name,
            .columns = {{.name = "id", .type = "INTEGER", .nullable = false, .autoincrement = true},
                        {.name = "v", .type = "TEXT"}},
            .primary_key = {"id"}});
  }
}

TEST_CASE("a composite primary key lists its columns in key order, not column order") {
  Db db;
  db.exec("CREATE TABLE m (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (c, a))");
  CHECK(db.table("m") == Table{.name = "m",
                               .columns = {{.name = "a", .type = "TEXT", .nullable = false},
                                           {.name = "b", .type = "INTEGER"},
                                           {.name = "c", .type = "TEXT", .nullable = false}},
                               .primary_key = {"c", "a"}});
}

TEST_CASE("UNIQUE constraints keep declared names, else uq_<table>_<cols>, in declaration order") {
  Db db;
  db.exec(R"(CREATE TABLE accounts (
      id INTEGER PRIMARY KEY,
      email TEXT UNIQUE,
      tenant TEXT, code TEXT, region TEXT,
      handle TEXT CONSTRAINT uq_accounts_handle_named UNIQUE,
      CONSTRAINT uq_tenant_code UNIQUE (tenant, code),
      UNIQUE (region, tenant)))");
  CHECK(db.table("accounts") ==
        Table{.name = "accounts",
              .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                          {.name = "email", .type = "TEXT"},
                          {.name = "tenant", .type = "TEXT"},
                          {.name = "code", .type = "TEXT"},
                          {.name = "region", .type = "TEXT"},
                          {.name = "handle", .type = "TEXT"}},
              .primary_key = {"id"},
              .unique = {{.name = "uq_accounts_email", .columns = {"email"}},
                         {.name = "uq_accounts_handle_named", .columns = {"handle"}},
                         {.name = "uq_tenant_code", .columns = {"tenant", "code"}},
                         {.name = "uq_accounts_region_tenant", .columns = {"region", "tenant"}}}});
}

TEST_CASE("foreign keys: composite, named and unnamed, actions, in declaration order") {
  Db db;
  db.exec("CREATE TABLE tenants (id VARCHAR(64) PRIMARY KEY)");
  db.exec(
      "CREATE TABLE periods (tenant_id VARCHAR(64), start DATETIME, "
      "PRIMARY KEY (tenant_id, start))");
  db.exec(R"(CREATE TABLE usage (
      id INTEGER PRIMARY KEY,
      tenant_id VARCHAR(64) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
      period_tenant VARCHAR(64),
      period_start DATETIME,
      owner VARCHAR(64) CONSTRAINT fk_usage_owner REFERENCES tenants(id)
          ON DELETE SET NULL ON UPDATE CASCADE,
      CONSTRAINT fk_usage_period FOREIGN KEY (period_tenant, period_start)
          REFERENCES periods (tenant_id, start) ON DELETE CASCADE ON UPDATE RESTRICT,
      FOREIGN KEY (period_tenant, period_start) REFERENCES periods ON UPDATE SET DEFAULT))");
  const std::vector<ForeignKey> expected = {
      {.name = "fk_usage_tenant_id_tenants",
       .columns = {"tenant_id"},
       .ref_table = "tenants",
       .ref_columns = {"id"},
       .on_delete = FkAction::cascade},
      {.name = "fk_usage_owner",
       .columns = {"owner"},
       .ref_table = "tenants",
       .ref_columns = {"id"},
       .on_delete = FkAction::set_null,
       .on_update = FkAction::cascade},
      {.name = "fk_usage_period",
       .columns = {"period_tenant", "period_start"},
       .ref_table = "periods",
       .ref_columns = {"tenant_id", "start"},
       .on_delete = FkAction::cascade,
       .on_update = FkAction::restrict},
      // No referenced columns: the parent's primary key, in key order.
      {.name = "fk_usage_period_tenant_period_start_periods",
       .columns = {"period_tenant", "period_start"},
       .ref_table = "periods",
       .ref_columns = {"tenant_id", "start"},
       .on_update = FkAction::set_default},
  };
  const auto from_schema = db.schema().tables.at("usage").foreign_keys;
  CHECK(from_schema == expected);
  // introspect_table resolves the implicit parent key without the parent in its result.
  CHECK(db.table("usage").foreign_keys == expected);
}

TEST_CASE("CHECK text is exact inside its parentheses - unnamed checks are ck_<table>_<n>") {
  Db db;
  db.exec(R"(CREATE TABLE invoices (
      id INTEGER PRIMARY KEY,
      total NUMERIC CHECK (  total >= 0  ),
      status TEXT NOT NULL CONSTRAINT ck_invoices_status
          CHECK (status IN ('open', 'paid', 'void (old)')),
      a INTEGER,
      b INTEGER,
      note TEXT,
      CHECK ((a + (b * 2)) > 0 AND a <> b),
      CONSTRAINT "ck named, ""oddly""" CHECK (note <> 'x, y)'')')))");
  CHECK(db.table("invoices").checks ==
        std::vector<Check>{{.name = "ck_invoices_1", .expression = "total >= 0"},
                           {.name = "ck_invoices_status",
                            .expression = "status IN ('open', 'paid', 'void (old)')"},
                           {.name = "ck_invoices_3", .expression = "(a + (b * 2)) > 0 AND a <> b"},
                           {.name = "ck named, \"oddly\"", .expression = "note <> 'x, y)'')'"}});
}

TEST_CASE("unnamed constraints of a long table are named as the YAML loader names them") {
  Db db;
  const std::string table(70, 't');
  db.exec("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, a TEXT UNIQUE, " +
          "p INTEGER REFERENCES " + table + " (id), CHECK (a <> ''))");
  const auto t = db.table(table);
  REQUIRE(t.unique.size() == 1);
  REQUIRE(t.foreign_keys.size() == 1);
  REQUIRE(t.checks.size() == 1);
  CHECK(t.unique[0].name == distil::model::unique_name(table, {"a"}));
  CHECK(t.foreign_keys[0].name == distil::model::foreign_key_name(table, {"p"}, table));
  CHECK(t.checks[0].name == distil::model::check_name(table, 1));
  for (const auto& name : {t.unique[0].name, t.foreign_keys[0].name, t.checks[0].name}) {
    CHECK(name.size() <= distil::model::kMaxIdentifierBytes);
  }
}

TEST_CASE("CREATE INDEX gives indexes in creation order: partial, unique, expression terms") {
  Db db;
  db.exec(R"(CREATE TABLE events (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL UNIQUE,
             name TEXT, total NUMERIC, "Kind" TEXT))");
  db.exec("CREATE INDEX ix_events_tenant_total ON events (tenant, total) WHERE total > 0");
  db.exec("CREATE UNIQUE INDEX ux_events_name ON events (name)");
  db.exec("CREATE INDEX ix_events_expr ON events (lower(name), tenant DESC, total ASC)");
  db.exec(R"(CREATE INDEX ix_events_kind ON events ("KIND"))");
  const auto table = db.table("events");
  CHECK(
      table.indexes ==
      std::vector<Index>{
          {.name = "ix_events_tenant_total", .columns = {"tenant", "total"}, .where = "total > 0"},
          {.name = "ux_events_name", .columns = {"name"}, .unique = true},
          {.name = "ix_events_expr", .columns = {"lower(name)", "tenant DESC", "total"}},
          // A plain column term takes the column's own spelling.
          {.name = "ix_events_kind", .columns = {"Kind"}}});
  // The UNIQUE constraint's automatic index is a constraint, not an index.
  CHECK(table.unique == std::vector<Unique>{{.name = "uq_events_tenant", .columns = {"tenant"}}});
}

TEST_CASE("identifiers with spaces, quotes, semicolons, keywords and non-ASCII round-trip") {
  Db db;
  db.exec(R"(CREATE TABLE "Mixed Case" (
      "end" INTEGER PRIMARY KEY,
      "select" TEXT NOT NULL,
      "a""b" TEXT,
      [semi;colon] TEXT,
      `back` TEXT,
      "naïve ü" TEXT DEFAULT 'x',
      UNIQUE ("select", "a""b")))");
  db.exec(R"(CREATE TABLE "from" ("to" INTEGER REFERENCES "Mixed Case" ("end"),
             CONSTRAINT "odd ""name""" CHECK ("to" > 0)))");
  db.exec(R"(CREATE INDEX "ix; drop" ON "Mixed Case" ("a""b"))");
  const Table mixed{
      .name = "Mixed Case",
      .columns = {{.name = "end", .type = "INTEGER", .nullable = false},
                  {.name = "select", .type = "TEXT", .nullable = false},
                  {.name = "a\"b", .type = "TEXT"},
                  {.name = "semi;colon", .type = "TEXT"},
                  {.name = "back", .type = "TEXT"},
                  {.name = "naïve ü", .type = "TEXT", .default_sql = "'x'"}},
      .primary_key = {"end"},
      .unique = {{.name = distil::model::unique_name("Mixed Case", {"select", "a\"b"}),
                  .columns = {"select", "a\"b"}}},
      .indexes = {{.name = "ix; drop", .columns = {"a\"b"}}}};
  const Table from{
      .name = "from",
      .columns = {{.name = "to", .type = "INTEGER"}},
      .foreign_keys = {{.name = distil::model::foreign_key_name("from", {"to"}, "Mixed Case"),
                        .columns = {"to"},
                        .ref_table = "Mixed Case",
                        .ref_columns = {"end"}}},
      .checks = {{.name = "odd \"name\"", .expression = "\"to\" > 0"}}};
  CHECK(db.table("Mixed Case") == mixed);
  CHECK(db.table("from") == from);

  db.exec(R"sql(CREATE TABLE "paren(s)" ("x,y" TEXT CHECK ("x,y" <> ')')))sql");
  CHECK(db.table("paren(s)") == Table{.name = "paren(s)",
                                      .columns = {{.name = "x,y", .type = "TEXT"}},
                                      .checks = {{.name = distil::model::check_name("paren(s)", 1),
                                                  .expression = "\"x,y\" <> ')'"}}});

  const auto schema = db.schema();
  CHECK(table_names(schema) == std::vector<std::string>{"Mixed Case", "from", "paren(s)"});
  CHECK(schema.tables.at("Mixed Case") == mixed);
  CHECK(schema.tables.at("from") == from);
}

TEST_CASE("introspect skips the version table, sqlite_sequence, _distil_ tables and views") {
  Db db;
  db.exec(
      "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
      "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))");
  db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)");
  db.exec("INSERT INTO orders (v) VALUES ('x')");  // creates sqlite_sequence
  db.exec("CREATE TABLE _distil_lock (id INTEGER)");
  db.exec("CREATE VIEW order_view AS SELECT * FROM orders");
  CHECK(table_names(db.schema()) == std::vector<std::string>{"orders"});
  // With another version table name, alembic_version is an ordinary table.
  CHECK(table_names(db.schema("my_versions")) ==
        std::vector<std::string>{"alembic_version", "orders"});
}

TEST_CASE("only the main schema is read: a TEMP table of the same name changes nothing") {
  Db db;
  db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT)");
  db.exec("CREATE TEMP TABLE orders (other TEXT, CHECK (other <> ''))");
  db.exec("CREATE TEMP TABLE scratch (x TEXT)");
  const Table expected{.name = "orders",
                       .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                                   {.name = "v", .type = "TEXT"}},
                       .primary_key = {"id"}};
  CHECK(db.table("orders") == expected);
  const auto schema = db.schema();
  CHECK(table_names(schema) == std::vector<std::string>{"orders"});
  CHECK(schema.tables.at("orders") == expected);
}

TEST_CASE("introspect_table on a missing table is a database error naming it") {
  Db db;
  db.exec("CREATE TABLE present (id INTEGER)");
  auto result = sq::introspect_table(db.get(), "absent table");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::database);
  CHECK(result.error().where.table == "absent table");
  CHECK(result.error().message.find("\"absent table\"") != std::string::npos);
}

TEST_CASE("introspect_table matches the name case-insensitively, as SQLite does") {
  Db db;
  db.exec("CREATE TABLE Orders (id INTEGER PRIMARY KEY)");
  CHECK(db.table("ORDERS").name == "Orders");
}

TEST_CASE("a table as SQLAlchemy's create_all writes it introspects exactly") {
  Db db;
  // SQLAlchemy 2.0's SQLite DDL, whitespace included.
  db.exec(
      "\nCREATE TABLE tenants (\n\tid VARCHAR(64) NOT NULL, \n\tname VARCHAR(64) NOT NULL, "
      "\n\tcreated_at DATETIME NOT NULL, \n\tPRIMARY KEY (id)\n)\n\n");
  db.exec(
      "\nCREATE TABLE usage_entries (\n\tid INTEGER NOT NULL, \n\ttenant_id VARCHAR(64) NOT "
      "NULL, \n\tvolume NUMERIC(12, 2) NOT NULL, \n\tPRIMARY KEY (id), \n\tCONSTRAINT "
      "uq_usage_entries_tenant_id UNIQUE (tenant_id, volume), \n\tFOREIGN KEY(tenant_id) "
      "REFERENCES tenants (id) ON DELETE CASCADE\n)\n\n");
  db.exec("CREATE INDEX ix_usage_entries_tenant_id ON usage_entries (tenant_id)");
  const auto schema = db.schema();
  CHECK(schema.tables.at("tenants") ==
        Table{.name = "tenants",
              .columns = {{.name = "id", .type = "VARCHAR(64)", .nullable = false},
                          {.name = "name", .type = "VARCHAR(64)", .nullable = false},
                          {.name = "created_at", .type = "DATETIME", .nullable = false}},
              .primary_key = {"id"}});
  CHECK(
      schema.tables.at("usage_entries") ==
      Table{.name = "usage_entries",
            .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                        {.name = "tenant_id", .type = "VARCHAR(64)", .nullable = false},
                        {.name = "volume", .type = "NUMERIC(12, 2)", .nullable = false}},
            .primary_key = {"id"},
            .unique = {{.name = "uq_usage_entries_tenant_id", .columns = {"tenant_id", "volume"}}},
            .indexes = {{.name = "ix_usage_entries_tenant_id", .columns = {"tenant_id"}}},
            .foreign_keys = {{.name = "fk_usage_entries_tenant_id_tenants",
                              .columns = {"tenant_id"},
                              .ref_table = "tenants",
                              .ref_columns = {"id"},
                              .on_delete = FkAction::cascade}}});
}

TEST_CASE("comments and string literals in the stored SQL don't confuse the parser") {
  Db db;
  db.exec(R"(CREATE TABLE c (
      -- a comment, with (a paren and a comma; CHECK (x)
      id INTEGER PRIMARY KEY, /* CONSTRAINT fake CHECK (y) , UNIQUE */
      v TEXT CHECK (v <> '/* not a comment */ -- nor this') -- trailing, comment
      ))");
  CHECK(db.table("c") ==
        Table{.name = "c",
              .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                          {.name = "v", .type = "TEXT"}},
              .primary_key = {"id"},
              .checks = {
                  {.name = "ck_c_1", .expression = "v <> '/* not a comment */ -- nor this'"}}});
}

TEST_CASE("table constraints that SQLite accepts without separating commas are all read") {
  Db db;
  db.exec(
      "CREATE TABLE t (a INTEGER, b INTEGER, "
      "UNIQUE (a) CHECK (b > 0) CONSTRAINT ck_b_small CHECK (b < 10))");
  const auto table = db.table("t");
  CHECK(table.unique == std::vector<Unique>{{.name = "uq_t_a", .columns = {"a"}}});
  CHECK(table.checks == std::vector<Check>{{.name = "ck_t_1", .expression = "b > 0"},
                                           {.name = "ck_b_small", .expression = "b < 10"}});
}

TEST_CASE("columns added by ALTER TABLE carry their REFERENCES and CHECK") {
  Db db;
  db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY)");
  db.exec("CREATE TABLE t (a INTEGER, CHECK (a > 0))");
  db.exec(
      "ALTER TABLE t ADD COLUMN parent_id INTEGER CONSTRAINT fk_t_parent "
      "REFERENCES p (id) ON DELETE SET NULL CHECK (parent_id <> 0)");
  db.exec("ALTER TABLE t RENAME COLUMN a TO amount");
  CHECK(db.table("t") ==
        Table{.name = "t",
              .columns = {{.name = "amount", .type = "INTEGER"},
                          {.name = "parent_id", .type = "INTEGER"}},
              .foreign_keys = {{.name = "fk_t_parent",
                                .columns = {"parent_id"},
                                .ref_table = "p",
                                .ref_columns = {"id"},
                                .on_delete = FkAction::set_null}},
              // ADD COLUMN appends the definition after the table's CHECK: n follows the text.
              .checks = {{.name = "ck_t_1", .expression = "parent_id <> 0"},
                         {.name = "ck_t_2", .expression = "amount > 0"}}});
}

TEST_CASE("trigger_sql returns the table's CREATE TRIGGER statements in creation order") {
  Db db;
  db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC)");
  db.exec("CREATE TABLE audit (msg TEXT)");
  const std::string first =
      "CREATE TRIGGER orders_ai AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES ('i'); END";
  const std::string other = "CREATE TRIGGER audit_ai AFTER INSERT ON audit BEGIN SELECT 1; END";
  const std::string second =
      "CREATE TRIGGER \"orders; end\" BEFORE DELETE ON Orders BEGIN SELECT RAISE(ABORT, 'no'); END";
  db.exec(first);
  db.exec(other);
  db.exec(second);
  auto triggers = sq::trigger_sql(db.get(), "orders");
  REQUIRE(triggers.has_value());
  CHECK(*triggers == std::vector<std::string>{first, second});
  // A trigger is not part of the table model.
  CHECK(db.table("orders") ==
        Table{.name = "orders",
              .columns = {{.name = "id", .type = "INTEGER", .nullable = false},
                          {.name = "total", .type = "NUMERIC"}},
              .primary_key = {"id"}});
  auto none = sq::trigger_sql(db.get(), "absent");
  REQUIRE(none.has_value());
  CHECK(none->empty());
}

TEST_CASE("the parser rejects unterminated literals and unbalanced parentheses") {
  CHECK_FALSE(sq::parse_create_table("CREATE TABLE t (a TEXT DEFAULT 'x)").has_value());
  CHECK_FALSE(sq::parse_create_table("CREATE TABLE t (a TEXT CHECK ((a > 0))").has_value());
  CHECK_FALSE(sq::parse_create_table("CREATE TABLE \"t (a TEXT)").has_value());
  CHECK_FALSE(sq::parse_create_table("CREATE TABLE t AS SELECT 1").has_value());
  CHECK(sq::parse_create_table("CREATE TABLE t (a TEXT)").has_value());
}

TEST_CASE("introspecting thousands of tables reads every one") {
  Db db;
  std::string ddl = "BEGIN;";
  for (int i = 0; i < 500; ++i) {
    const std::string n = std::to_string(i);
    ddl += "CREATE TABLE t" + n + " (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t" + n +
           " (id), v TEXT UNIQUE CHECK (v <> ''));CREATE INDEX ix_t" + n + " ON t" + n + " (v);";
  }
  db.exec(ddl + "COMMIT;");
  const auto schema = db.schema();
  REQUIRE(schema.tables.size() == 500);
  const auto& t = schema.tables.at("t499");
  CHECK(t.foreign_keys.size() == 1);
  CHECK(t.unique.size() == 1);
  CHECK(t.indexes == std::vector<Index>{{.name = "ix_t499", .columns = {"v"}}});
  CHECK(t.checks == std::vector<Check>{{.name = "ck_t499_1", .expression = "v <> ''"}});
}

}  // namespace

TEST_CASE("foreign keys keep DEFERRABLE and INITIALLY DEFERRED from the SQL") {
  Db db;
  db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY)");
  db.exec(R"(CREATE TABLE c (
      id INTEGER PRIMARY KEY,
      a INTEGER REFERENCES p (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT NULL,
      b INTEGER CONSTRAINT fk_b REFERENCES p MATCH SIMPLE DEFERRABLE,
      d INTEGER REFERENCES p (id) NOT DEFERRABLE INITIALLY DEFERRED,
      e INTEGER REFERENCES p (id) DEFERRABLE INITIALLY IMMEDIATE,
      f INTEGER,
      CONSTRAINT fk_f FOREIGN KEY (f) REFERENCES p (id) ON UPDATE SET NULL
          deferrable initially deferred,
      CHECK (a > 0)))");
  const auto fks = db.table("c").foreign_keys;
  REQUIRE(fks.size() == 5);
  const std::vector<std::pair<bool, bool>> expected = {
      {true, true}, {true, false}, {false, false}, {true, false}, {true, true}};
  for (std::size_t i = 0; i < fks.size(); ++i) {
    INFO(fks[i].name);
    CHECK(fks[i].deferrable == expected[i].first);
    CHECK(fks[i].initially_deferred == expected[i].second);
  }
  CHECK(fks[0].on_delete == FkAction::cascade);
  CHECK(fks[1].name == "fk_b");
  CHECK(fks[4].name == "fk_f");
  CHECK(fks[4].on_update == FkAction::set_null);
  const Table c = db.table("c");
  CHECK_FALSE(c.find_column("a")->nullable);
  CHECK(c.checks.size() == 1);
}

// --- the text and the pragmas agree ----------------------------------------------------------
// introspect() reads a table written in plain forms from its stored CREATE TABLE text alone,
// and any other table with SQLite's pragmas. These tests read the same database both ways and
// require the same schema, table by table: the pragmas are the reference.
namespace {

struct BothWays {
  sq::IntrospectStats stats;  // of the reading that may use the text
};

BothWays compare_both_ways(Db& db) {
  BothWays out;
  auto text = sq::introspect(db.get(), "alembic_version",
                             sq::IntrospectOptions{.use_text = true, .stats = &out.stats});
  auto pragmas = sq::introspect(db.get(), "alembic_version", sq::IntrospectOptions{.use_text = false});
  REQUIRE_MESSAGE(text.has_value(), (text ? std::string() : text.error().message));
  REQUIRE_MESSAGE(pragmas.has_value(), (pragmas ? std::string() : pragmas.error().message));
  REQUIRE(table_names(*text) == table_names(*pragmas));
  for (const auto& [name, table] : pragmas->tables) {
    INFO("table " << name);
    CHECK(text->tables.at(name) == table);
  }
  return out;
}

struct Case {
  std::string sql;         // one or more statements
  std::size_t from_text;   // how many of its tables the text alone should settle
};

}  // namespace

TEST_CASE("tables in plain forms are read from their text alone, exactly as the pragmas read them") {
  const std::vector<Case> cases = {
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, n varchar(40) NOT NULL DEFAULT 'x''y',"
       " m numeric( 12 ,  2 ) DEFAULT -  5, d timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,"
       " e double   precision DEFAULT + 7.5, f unsigned big int DEFAULT (1 + 2),"
       " g DEFAULT ( (1) ), h DEFAULT null, i BOOLEAN DEFAULT true, j DEFAULT abc,"
       " k decimal(+10, -2) DEFAULT 0x1F, l INT DEFAULT(-1), m2 TEXT DEFAULT 1e-3)",
       1},
      {"CREATE TABLE p (a INTEGER, b TEXT, PRIMARY KEY (b, a));"
       "CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT, y INTEGER,"
       " z INTEGER REFERENCES p ON DELETE SET NULL ON UPDATE CASCADE MATCH FULL,"
       " w INTEGER CONSTRAINT fk_w REFERENCES \"P\" (A) ON DELETE RESTRICT ON UPDATE NO ACTION"
       "   DEFERRABLE INITIALLY DEFERRED,"
       " FOREIGN KEY (Y, X) REFERENCES p (a, b) ON DELETE SET DEFAULT ON DELETE CASCADE,"
       " CONSTRAINT fk_missing FOREIGN KEY (x) REFERENCES nowhere)",
       2},
      {"CREATE TABLE u (a INTEGER, \"B b\" TEXT UNIQUE ON CONFLICT IGNORE, c TEXT COLLATE NOCASE,"
       " CONSTRAINT uq_ab UNIQUE (a, \"b B\"), UNIQUE (\"B B\", A), UNIQUE (c ASC),"
       " CONSTRAINT nn CHECK (a > 0))",
       1},
      {"CREATE TABLE w (k TEXT NOT NULL ON CONFLICT REPLACE, v BLOB NULL, u INT UNIQUE,"
       " PRIMARY KEY (k) ON CONFLICT ROLLBACK) WITHOUT ROWID",
       1},
      {"CREATE TABLE s (id INTEGER, name TEXT CONSTRAINT named_nn NOT NULL,"
       " PRIMARY KEY (id AUTOINCREMENT)) STRICT",
       1},
      {"CREATE TABLE a (id INTEGER PRIMARY KEY);"
       "ALTER TABLE a ADD COLUMN b TEXT NOT NULL DEFAULT 'b';"
       "ALTER TABLE a ADD COLUMN c INTEGER REFERENCES a (id) ON DELETE CASCADE;"
       "ALTER TABLE a RENAME COLUMN b TO bb",
       1},
      {"CREATE TABLE \"primary\" (\"unique\" INTEGER PRIMARY KEY, [check] TEXT, `default` INT)", 1},
      // Forms the text does not settle: the pragmas read these.
      {"CREATE TABLE q1 (l \"varchar\"(10))", 0},
      {"CREATE TABLE q2 (b BLOB DEFAULT X'0aff')", 0},
      {"CREATE TABLE q3 (a INTEGER -- a comment\n)", 0},
      {"CREATE TABLE q4 (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2))", 0},
      {"CREATE TABLE q5 (a INTEGER, b AS (a + 1) STORED)", 0},
      {"CREATE TABLE q6 (id INTEGER PRIMARY KEY DESC, v TEXT)", 0},
      {"CREATE TABLE q7 (id INTEGER PRIMARY KEY UNIQUE, v TEXT)", 0},
      {"CREATE TABLE q8 (a TEXT, b TEXT, UNIQUE (a, b), UNIQUE (A, B))", 0},
      {"CREATE TABLE q9 (a TEXT, b TEXT, PRIMARY KEY (a COLLATE NOCASE, b))", 0},
      {"CREATE TABLE q10 (a TEXT DEFAULT \"dq\")", 0},
      {"CREATE TABLE q11 (a TEXT DEFAULT -'5')", 0},
      {"CREATE TABLE q12 (a TEXT, UNIQUE (a DESC))", 0},
      {"CREATE TABLE q13 (a TEXT PRIMARY KEY, b TEXT, UNIQUE (a))", 0},
      {"CREATE TABLE q14 (a 'text')", 0},
      {"CREATE TABLE q15 (a TEXT, b TEXT, PRIMARY KEY (a, b, a))", 0},
      {"CREATE TABLE q16 (a TEXT, b TEXT, PRIMARY KEY (a, b, a)) WITHOUT ROWID", 0},
      // Found by fuzz_sqlite_ddl: a bare [NOT] DEFERRABLE is a column constraint, so it ends
      // the type (the pragma says "DNOT").
      {"CREATE TABLE q17 (e DNOT DEFERRABLE, f INT DEFERRABLE INITIALLY DEFERRED)", 0},
  };
  for (const Case& c : cases) {
    INFO(c.sql);
    Db db;
    db.exec(c.sql);
    const BothWays both = compare_both_ways(db);
    CHECK(both.stats.from_text == c.from_text);
  }
}

// A seeded generator of CREATE TABLE statements mixing every form the parser knows with some
// it does not; statements SQLite refuses are skipped. Both ways must agree on every table, and
// both ways must have been taken often enough for the comparison to mean something.
TEST_CASE("generated tables read from the text equal the pragmas' reading, table by table") {
  std::mt19937 rng(20261126);
  auto pick = [&](const std::vector<std::string>& options) {
    return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)];
  };
  auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  const std::vector<std::string> names = {"a", "B", "\"c d\"", "[e]", "`F`", "\"g\"\"h\"", "i_j",
                                          "Kk", "\"select\"", "l2", "m", "n"};
  const std::vector<std::string> types = {
      "",         "INTEGER",     "integer",          "INT",          "text",       "TEXT",
      "BLOB",     "real",        "varchar(40)",      "VARCHAR (255)", "numeric(12, 2)",
      "numeric( 12 ,2 )", "double precision", "unsigned big int", "boolean", "timestamp",
      "decimal(-3)", "\"varchar\"", "'int'", "char(+5)"};
  const std::vector<std::string> defaults = {
      "DEFAULT 0",    "DEFAULT -1",     "DEFAULT + 2.5", "DEFAULT 'x'",     "DEFAULT 'it''s'",
      "DEFAULT NULL", "DEFAULT true",   "DEFAULT CURRENT_TIMESTAMP", "DEFAULT (1 + 2)",
      "DEFAULT ( lower('A') )", "DEFAULT ((0))", "DEFAULT abc", "DEFAULT X'00'", "DEFAULT \"q\"",
      "DEFAULT 1e10", "DEFAULT (datetime('now'))"};
  const std::vector<std::string> actions = {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT",
                                            "NO ACTION"};
  auto fk_clause = [&](int table, const std::string& self) {
    std::string parent = table > 0 && chance(80) ? "g" + std::to_string(table - 1)
                                                  : (chance(50) ? self : "missing");
    std::string out = " REFERENCES " + parent;
    if (chance(60)) out += " (" + pick({"id", "ID", "a", "x"}) + ")";
    if (chance(40)) out += " ON DELETE " + pick(actions);
    if (chance(30)) out += " ON UPDATE " + pick(actions);
    if (chance(15)) out += " DEFERRABLE INITIALLY DEFERRED";
    if (chance(5)) out += " MATCH SIMPLE";
    return out;
  };

  Db db;
  std::size_t created = 0;
  for (int t = 0; t < 400; ++t) {
    const std::string table = "g" + std::to_string(t);
    std::vector<std::string> cols;
    std::vector<std::string> defs;
    const bool table_pk = chance(25);
    bool column_pk = false;
    const int ncols = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int i = 0; i < ncols; ++i) {
      std::string name = pick(names);
      if (std::find(cols.begin(), cols.end(), name) != cols.end()) continue;
      cols.push_back(name);
      std::string def = name;
      const std::string type = pick(types);
      if (!type.empty()) def += " " + type;
      if (chance(10)) def += " CONSTRAINT " + pick({"k1", "\"k 2\""});
      if (!table_pk && !column_pk && chance(20)) {
        column_pk = true;
        def += " PRIMARY KEY" + pick({"", "", " ASC", " DESC", " ON CONFLICT ABORT"});
        if (type == "INTEGER" && chance(30)) def += " AUTOINCREMENT";
      }
      if (chance(30)) def += " NOT NULL" + std::string(chance(10) ? " ON CONFLICT FAIL" : "");
      if (chance(5)) def += " NULL";
      if (chance(40)) def += " " + pick(defaults);
      if (chance(10)) def += " COLLATE " + pick({"NOCASE", "BINARY", "RTRIM"});
      if (chance(15)) def += " UNIQUE";
      if (chance(10)) def += " CHECK (" + name + " IS NOT NULL)";
      if (chance(20)) def += fk_clause(t, table);
      if (chance(4)) def += " GENERATED ALWAYS AS (1)";
      defs.push_back(def);
    }
    auto some_columns = [&](bool decorate) {
      std::string out;
      const int n = std::uniform_int_distribution<int>(1, std::min<int>(3, cols.size()))(rng);
      for (int i = 0; i < n; ++i) {
        out += (i > 0 ? ", " : "") + cols[std::uniform_int_distribution<std::size_t>(
                                         0, cols.size() - 1)(rng)];
        if (decorate && chance(10)) out += pick({" ASC", " DESC", " COLLATE NOCASE"});
      }
      return out;
    };
    if (table_pk) defs.push_back("PRIMARY KEY (" + some_columns(true) + ")");
    for (int u = 0; chance(35) && u < 3; ++u) {
      defs.push_back(std::string(chance(30) ? "CONSTRAINT uq" + std::to_string(u) + " " : "") +
                     "UNIQUE (" + some_columns(true) + ")");
    }
    if (chance(25)) defs.push_back("FOREIGN KEY (" + some_columns(false) + ")" + fk_clause(t, table));
    if (chance(15)) defs.push_back("CHECK (1)");
    std::string sql = "CREATE TABLE " + table + " (";
    for (std::size_t i = 0; i < defs.size(); ++i) {
      sql += (i > 0 ? (chance(5) ? " /* c */, " : ", ") : "") + defs[i];
    }
    sql += ")";
    if (table_pk && chance(20)) sql += " WITHOUT ROWID";
    // Not Db::exec: a generated statement SQLite refuses is skipped, not a failure.
    if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      sqlite3_exec(db.get(), ("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, x TEXT)").c_str(),
                   nullptr, nullptr, nullptr);
      continue;
    }
    ++created;
    if (chance(20)) {
      const std::string added = "ALTER TABLE " + table + " ADD COLUMN added" + std::to_string(t) +
                                " " + pick(types) + " " + pick(defaults);
      sqlite3_exec(db.get(), added.c_str(), nullptr, nullptr, nullptr);
    }
  }
  INFO("generated tables SQLite accepted: " << created);
  REQUIRE(created >= 200);
  const BothWays both = compare_both_ways(db);
  INFO("from text: " << both.stats.from_text << ", from pragmas: " << both.stats.from_pragmas);
  CHECK(both.stats.from_text + both.stats.from_pragmas == 400);
  CHECK(both.stats.from_text >= 100);
  CHECK(both.stats.from_pragmas >= 100);
}
