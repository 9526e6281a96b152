// db/postgres (connection + introspect) against a real PostgreSQL server: raw DDL in, exact
// model::Table out. Each test creates its own database on the server DISTIL_TEST_PG_URL
// names (scripts/pg-cluster start DIR prints one) and drops it at the end.
#include "db/postgres/introspect.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "db/postgres/connection.hpp"

namespace {

using distil::db::postgres::PgConnection;
using distil::model::Check;
using distil::model::Column;
using distil::model::FkAction;
using distil::model::ForeignKey;
using distil::model::Index;
using distil::model::Table;
using distil::model::Unique;
namespace pg = distil::db::postgres;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }
std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + quoted(item);
  return out + "]";
}
std::string opt(const std::optional<std::string>& s) { return s ? quoted(*s) : "null"; }

// A readable dump so a failing CHECK(actual == expected) shows both tables.
std::string describe(const Table& t) {
  std::string out = "table " + quoted(t.name) + " comment=" + opt(t.comment) + "\n";
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

// The server under test. Unset is a failure, never a skip: a PG test that cannot run must
// not look green.
std::string server_url() {
  const char* url = std::getenv("DISTIL_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    FAIL(
        "DISTIL_TEST_PG_URL is not set: start a server with `scripts/pg-cluster start DIR` "
        "and export the URL it prints (e.g. postgresql://postgres@/postgres?host=DIR)");
  }
  return url;
}

// `conninfo` with `keyword` set to `value`, as a keyword=value string (any libpq form in).
std::string with_option(const std::string& conninfo, const std::string& keyword,
                        const std::string& value) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  const std::string message = error != nullptr ? error : "";
  PQfreemem(error);
  REQUIRE_MESSAGE(options != nullptr, message);
  std::string out;
  bool set = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string v = o->val != nullptr ? o->val : "";
    if (keyword == o->keyword) {
      v = value;
      set = true;
    }
    if (v.empty()) continue;
    std::string escaped;
    for (char c : v) {
      if (c == '\'' || c == '\\') escaped += '\\';
      escaped += c;
    }
    out += std::string(o->keyword) + "='" + escaped + "' ";
  }
  PQconninfoFree(options);
  REQUIRE_MESSAGE(set, "unknown libpq keyword " << keyword);
  return out;
}

std::unique_ptr<PgConnection> open(const std::string& conninfo, const std::string& schema = "") {
  auto conn = PgConnection::open(conninfo, schema);
  REQUIRE_MESSAGE(conn.has_value(), (conn ? std::string() : conn.error().message));
  return std::move(*conn);
}

// A fresh database (distil_t_<random>) for one test, dropped at the end.
class TempDb {
 public:
  TempDb() : server_(server_url()) {
    std::random_device random;
    std::uniform_int_distribution<unsigned> digit(0, 35);
    name_ = "distil_t_";
    for (int i = 0; i < 12; ++i) name_ += "0123456789abcdefghijklmnopqrstuvwxyz"[digit(random)];
    admin_ = open(server_);
    exec(*admin_, "CREATE DATABASE " + name_);
    conninfo_ = with_option(server_, "dbname", name_);
  }
  ~TempDb() {
    // FORCE ends the test's own connections that are still open.
    if (admin_) (void)admin_->execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  static void exec(PgConnection& conn, const std::string& sql) {
    auto r = conn.execute(sql);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
  }

  const std::string& conninfo() const { return conninfo_; }
  std::unique_ptr<PgConnection> connect(const std::string& schema = "") {
    return open(conninfo_, schema);
  }

 private:
  std::string server_, name_, conninfo_;
  std::unique_ptr<PgConnection> admin_;
};

Table table(PgConnection& conn, const std::string& name, const std::string& schema = "") {
  auto result = pg::introspect_table(conn.handle(), schema, name);
  REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
  return *result;
}

distil::model::Schema schema_of(PgConnection& conn) {
  auto result = conn.introspect("alembic_version");
  REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
  return *result;
}

std::vector<std::string> table_names(const distil::model::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, t] : schema.tables) names.push_back(name);
  return names;
}

constexpr const char* kFeatureDdl = R"sql(
CREATE TABLE tenants (
  region varchar(10) NOT NULL DEFAULT 'nz',
  id integer NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (id, region)
);
COMMENT ON TABLE tenants IS 'One tenant.';
CREATE TABLE "Mixed Case" (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seq bigint GENERATED BY DEFAULT AS IDENTITY,
  "end" timestamptz NOT NULL DEFAULT now(),
  "a""b" jsonb NOT NULL DEFAULT '{}'::jsonb,
  tags integer[],
  ip inet,
  uid uuid,
  name varchar(100),
  ratio numeric(12,2),
  tenant_region varchar(10),
  tenant_id integer,
  parent_id integer,
  created timestamp,
  UNIQUE (uid),
  CONSTRAINT uq_name_end UNIQUE (name, "end"),
  CONSTRAINT fk_tenant FOREIGN KEY (tenant_id, tenant_region)
    REFERENCES tenants (id, region) ON DELETE CASCADE,
  CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES "Mixed Case" (id)
    ON DELETE SET NULL ON UPDATE RESTRICT,
  CONSTRAINT ck_ratio CHECK (ratio >= 0),
  CHECK ("end" > created)
);
CREATE INDEX ix_partial ON "Mixed Case" (ratio) WHERE ratio > 0;
CREATE UNIQUE INDEX ix_lower ON "Mixed Case" (lower(name), "end");
COMMENT ON TABLE "Mixed Case" IS 'Weird identifiers.';
COMMENT ON COLUMN "Mixed Case"."end" IS 'When it ends.';
COMMENT ON COLUMN "Mixed Case"."a""b" IS 'Quote "inside".';
CREATE TABLE legacy (id serial PRIMARY KEY, n integer DEFAULT 0, other_seq bigint
  DEFAULT nextval('legacy_id_seq'::regclass));
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
)sql";

TEST_CASE("introspection reads columns, keys, checks, indexes and comments exactly") {
  TempDb db;
  auto conn = db.connect();
  TempDb::exec(*conn, kFeatureDdl);

  const Table tenants{.name = "tenants",
                      .columns = {{.name = "region",
                                   .type = "character varying(10)",
                                   .nullable = false,
                                   .default_sql = "'nz'::character varying"},
                                  {.name = "id", .type = "integer", .nullable = false},
                                  {.name = "name", .type = "text", .nullable = false}},
                      .primary_key = {"id", "region"},  // key order, not column order
                      .comment = "One tenant."};
  CHECK(table(*conn, "tenants") == tenants);

  const Table mixed{
      .name = "Mixed Case",
      .columns = {{.name = "id", .type = "integer", .nullable = false, .autoincrement = true},
                  {.name = "seq", .type = "bigint", .nullable = false, .autoincrement = true},
                  {.name = "end",
                   .type = "timestamp with time zone",
                   .nullable = false,
                   .default_sql = "now()",
                   .comment = "When it ends."},
                  {.name = "a\"b",
                   .type = "jsonb",
                   .nullable = false,
                   .default_sql = "'{}'::jsonb",
                   .comment = "Quote \"inside\"."},
                  {.name = "tags", .type = "integer[]"},
                  {.name = "ip", .type = "inet"},
                  {.name = "uid", .type = "uuid"},
                  {.name = "name", .type = "character varying(100)"},
                  {.name = "ratio", .type = "numeric(12,2)"},
                  {.name = "tenant_region", .type = "character varying(10)"},
                  {.name = "tenant_id", .type = "integer"},
                  {.name = "parent_id", .type = "integer"},
                  {.name = "created", .type = "timestamp without time zone"}},
      .primary_key = {"id"},
      .unique = {{.name = "Mixed Case_uid_key", .columns = {"uid"}},
                 {.name = "uq_name_end", .columns = {"name", "end"}}},
      .indexes = {{.name = "ix_partial", .columns = {"ratio"}, .where = "ratio > (0)::numeric"},
                  {.name = "ix_lower", .columns = {"lower(name::text)", "end"}, .unique = true}},
      .foreign_keys = {{.name = "fk_tenant",
                        .columns = {"tenant_id", "tenant_region"},
                        .ref_table = "tenants",
                        .ref_columns = {"id", "region"},
                        .on_delete = FkAction::cascade},
                       {.name = "fk_parent",
                        .columns = {"parent_id"},
                        .ref_table = "Mixed Case",
                        .ref_columns = {"id"},
                        .on_delete = FkAction::set_null,
                        .on_update = FkAction::restrict}},
      .checks = {{.name = "ck_ratio", .expression = "ratio >= (0)::numeric"},
                 {.name = "Mixed Case_check", .expression = "\"end\" > created"}},
      .comment = "Weird identifiers."};
  CHECK(table(*conn, "Mixed Case") == mixed);

  // A serial (an owned sequence's nextval default) is autoincrement, as an identity is; a
  // nextval default on a sequence the column does not own stays a default.
  const Table legacy{
      .name = "legacy",
      .columns = {{.name = "id", .type = "integer", .nullable = false, .autoincrement = true},
                  {.name = "n", .type = "integer", .default_sql = "0"},
                  {.name = "other_seq",
                   .type = "bigint",
                   .default_sql = "nextval('legacy_id_seq'::regclass)"}},
      .primary_key = {"id"}};
  CHECK(table(*conn, "legacy") == legacy);

  // The whole schema at once gives the same tables, without the version table.
  const auto schema = schema_of(*conn);
  CHECK(table_names(schema) == std::vector<std::string>{"Mixed Case", "legacy", "tenants"});
  CHECK(schema.tables.at("tenants") == tenants);
  CHECK(schema.tables.at("Mixed Case") == mixed);
  CHECK(schema.tables.at("legacy") == legacy);
}

TEST_CASE("a check keeps parentheses and quotes inside strings - NOT VALID is not part of it") {
  TempDb db;
  auto conn = db.connect();
  TempDb::exec(*conn, R"sql(
    CREATE TABLE strs (code text CONSTRAINT ck_code
      CHECK (code <> ')(' AND code <> E'\\)' AND (length(code) > 1)));
    ALTER TABLE strs ADD CONSTRAINT ck_not_valid CHECK (code <> 'x') NOT VALID;
  )sql");
  const Table t = table(*conn, "strs");
  REQUIRE(t.checks.size() == 2);
  CHECK(t.checks[0] ==
        Check{.name = "ck_code",
              .expression =
                  R"x((code <> ')('::text) AND (code <> '\)'::text) AND (length(code) > 1))x"});
  CHECK(t.checks[1] == Check{.name = "ck_not_valid", .expression = "code <> 'x'::text"});
}

TEST_CASE("introspection skips the version table, views and other schemas") {
  TempDb db;
  auto conn = db.connect();
  TempDb::exec(*conn, R"sql(
    CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,
      CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
    CREATE TABLE kept (id integer);
    CREATE VIEW kept_view AS SELECT id FROM kept;
    CREATE SCHEMA other;
    CREATE TABLE other.elsewhere (id integer);
  )sql");
  CHECK(table_names(schema_of(*conn)) == std::vector<std::string>{"kept"});
  // Another version table name: then alembic_version is an ordinary table.
  auto all = conn->introspect("my_versions");
  REQUIRE(all.has_value());
  CHECK(table_names(*all) == std::vector<std::string>{"alembic_version", "kept"});
}

TEST_CASE("a missing table is an error naming it") {
  TempDb db;
  auto conn = db.connect();
  auto result = pg::introspect_table(conn->handle(), "", "nope");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message == "table \"nope\" does not exist in schema \"public\"");
  CHECK(result.error().where.table == "nope");
  CHECK(conn->schema_source().table("nope").has_value() == false);
  CHECK(conn->schema_source().triggers("nope").empty());
}

TEST_CASE("a configured schema is the search_path, and introspection reads it") {
  TempDb db;
  {
    auto setup = db.connect();
    TempDb::exec(*setup, "CREATE SCHEMA app; CREATE TABLE public.outside (id integer PRIMARY KEY)");
  }
  auto conn = db.connect("app");
  TempDb::exec(*conn,
               "CREATE TABLE inside (id integer PRIMARY KEY, "
               "owner integer REFERENCES public.outside (id))");
  auto exists = conn->table_exists("inside");
  REQUIRE(exists.has_value());
  CHECK(*exists);
  auto outside = conn->table_exists("outside");
  REQUIRE(outside.has_value());
  CHECK_FALSE(*outside);
  // The table of another schema keeps its schema name; ours have none.
  CHECK(table_names(schema_of(*conn)) == std::vector<std::string>{"inside"});
  const Table inside = table(*conn, "inside", "app");
  REQUIRE(inside.foreign_keys.size() == 1);
  CHECK(inside.foreign_keys[0].ref_table == "public.outside");

  auto missing = PgConnection::open(db.conninfo(), "nowhere");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.find("schema \"nowhere\" does not exist") != std::string::npos);
}

TEST_CASE("connection errors are one clear line") {
  const std::string server = server_url();
  SUBCASE("server down (wrong port)") {
    auto conn = PgConnection::open(with_option(server, "port", "1"));
    REQUIRE_FALSE(conn.has_value());
    const std::string& message = conn.error().message;
    INFO(message);
    CHECK(message.rfind("cannot connect to postgresql://", 0) == 0);
    CHECK(message.find("(is the server running?)") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(conn.error().code == distil::model::ErrorCode::database);
  }
  SUBCASE("missing database") {
    auto conn = PgConnection::open(with_option(server, "dbname", "distil_no_such_db"));
    REQUIRE_FALSE(conn.has_value());
    const std::string& message = conn.error().message;
    INFO(message);
    CHECK(message.find("database \"distil_no_such_db\" does not exist") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("FATAL") == std::string::npos);
  }
  SUBCASE("malformed connection string") {
    auto conn = PgConnection::open("postgresql://host:notaport/db");
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().message);
    CHECK(conn.error().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("describe() names the database without the password") {
  TempDb db;
  auto conn = open(with_option(db.conninfo(), "password", "s3cret"));
  const std::string text = conn->describe();
  INFO(text);
  CHECK(text.rfind("postgresql://", 0) == 0);
  CHECK(text.find("distil_t_") != std::string::npos);
  CHECK(text.find("s3cret") == std::string::npos);
}

TEST_CASE("the migration lock excludes a second connection until the first lets go") {
  TempDb db;
  auto first = db.connect();
  auto second = db.connect();
  REQUIRE(first->lock_migrations(1000).has_value());
  REQUIRE(first->lock_migrations(1000).has_value());  // taking it again is a no-op
  auto blocked = second->lock_migrations(1000);
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().message.rfind("database is locked by another migration (waited 1 s", 0) ==
        0);
  // The lock is the session's: a committed transaction does not release it.
  REQUIRE(first->begin().has_value());
  REQUIRE(first->commit().has_value());
  CHECK_FALSE(second->lock_migrations(0).has_value());
  first.reset();  // disconnecting releases it
  CHECK(second->lock_migrations(5000).has_value());
}

TEST_CASE("execute, query with parameters and transactions") {
  TempDb db;
  auto conn = db.connect();
  TempDb::exec(*conn,
               "CREATE TABLE t (id integer PRIMARY KEY, note text); "
               "INSERT INTO t VALUES (1, 'one'), (2, NULL)");
  auto rows = conn->query("SELECT id, note FROM t WHERE id >= $1 ORDER BY id", {"1"});
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0] == distil::db::Row{"1", "one"});
  CHECK((*rows)[1] == distil::db::Row{"2", std::nullopt});
  auto quoted_param = conn->query("SELECT $1::text || $2::text", {"it's ", "\"fine\""});
  REQUIRE(quoted_param.has_value());
  CHECK((*quoted_param)[0][0] == "it's \"fine\"");

  SUBCASE("rollback undoes a CREATE TABLE") {
    REQUIRE(conn->begin().has_value());
    TempDb::exec(*conn, "CREATE TABLE gone (id integer)");
    CHECK(*conn->table_exists("gone"));
    conn->rollback();
    CHECK_FALSE(*conn->table_exists("gone"));
    conn->rollback();  // no transaction: harmless
  }
  SUBCASE("commit keeps it") {
    REQUIRE(conn->begin().has_value());
    TempDb::exec(*conn, "CREATE TABLE kept (id integer)");
    REQUIRE(conn->commit().has_value());
    CHECK(*conn->table_exists("kept"));
  }
  SUBCASE("committing a failed transaction is an error, and nothing stays") {
    REQUIRE(conn->begin().has_value());
    TempDb::exec(*conn, "CREATE TABLE half (id integer)");
    auto bad = conn->execute("INSERT INTO t VALUES (1, 'duplicate')");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("duplicate key value violates unique constraint \"t_pkey\"") !=
          std::string::npos);
    auto commit = conn->commit();
    REQUIRE_FALSE(commit.has_value());
    CHECK(commit.error().message.find("rolled back") != std::string::npos);
    CHECK_FALSE(*conn->table_exists("half"));
  }
  SUBCASE("errors are one line with PostgreSQL's message") {
    auto bad = conn->query("SELECT * FROM missing_table");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message == "relation \"missing_table\" does not exist");
  }
}

TEST_CASE("out of shared memory names max_locks_per_transaction") {
  TempDb db;
  auto conn = db.connect();
  // Raised with the real SQLSTATE rather than by filling the server's shared lock table,
  // which would fail other tests running on the same server at that moment.
  auto r = conn->execute(
      "DO $$ BEGIN RAISE EXCEPTION 'out of shared memory' USING ERRCODE = '53200', "
      "HINT = 'You might need to increase max_locks_per_transaction.'; END $$");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "out of shared memory: the revision takes more locks than max_locks_per_transaction "
        "allows (default 64): raise max_locks_per_transaction in postgresql.conf, or split the "
        "revision; nothing was applied");
}

}  // namespace

TEST_CASE("foreign-key deferrability and index methods are read - btree is reported as \"\"") {
  TempDb db;
  auto conn = db.connect();
  TempDb::exec(*conn, R"sql(
    CREATE TABLE p (id integer PRIMARY KEY);
    CREATE TABLE c (
      id integer PRIMARY KEY,
      a integer CONSTRAINT fk_a REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED,
      b integer CONSTRAINT fk_b REFERENCES p (id) DEFERRABLE,
      d integer CONSTRAINT fk_d REFERENCES p (id),
      body jsonb);
    CREATE INDEX ix_body ON c USING gin (body);
    CREATE INDEX ix_a ON c USING btree (a);
    CREATE INDEX ix_b ON c USING hash (b) WHERE b > 0;
  )sql");
  const Table t = table(*conn, "c");
  REQUIRE(t.foreign_keys.size() == 3);
  CHECK(t.foreign_keys[0].name == "fk_a");
  CHECK(t.foreign_keys[0].deferrable);
  CHECK(t.foreign_keys[0].initially_deferred);
  CHECK(t.foreign_keys[1].deferrable);
  CHECK_FALSE(t.foreign_keys[1].initially_deferred);
  CHECK_FALSE(t.foreign_keys[2].deferrable);
  CHECK_FALSE(t.foreign_keys[2].initially_deferred);
  REQUIRE(t.indexes.size() == 3);
  CHECK(t.indexes[0] == Index{.name = "ix_body", .columns = {"body"}, .method = "gin"});
  CHECK(t.indexes[1] == Index{.name = "ix_a", .columns = {"a"}});
  CHECK(t.indexes[2] ==
        Index{.name = "ix_b", .columns = {"b"}, .where = "b > 0", .method = "hash"});
}
