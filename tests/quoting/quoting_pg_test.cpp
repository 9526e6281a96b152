// Hostile identifiers on PostgreSQL: the same models as the SQLite suite (keywords, mixed
// case, quotes, semicolons, non-ASCII, 63 bytes) through autogenerate, upgrade, check,
// downgrade and `upgrade head --sql` fed to psql; no name or comment can inject SQL.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/quoting/hostile_model.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace distil::testing::pg {
namespace {

using quoting::lit;
using quoting::sq;
using testing::contains;

void use_models(const PgProject& p, const std::string& yaml) {
  write_text(p.dir() / "models" / "model.yaml", yaml);
  p.write_config(true);
}

void require_ok(const RunResult& r, const std::string& what) {
  INFO(what << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
}

const char* kUserTables =
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
    "AND relname <> 'alembic_version' AND relname NOT LIKE '\\_distil%' ORDER BY relname COLLATE \"C\"";

std::vector<std::string> columns_of(const PgProject& p, const std::string& table) {
  return p.query("SELECT attname FROM pg_attribute WHERE attrelid = " + lit(sq(table)) +
                 "::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The whole catalog view of the public schema, for comparing two databases.
std::vector<std::string> catalog(const PgProject& p, const std::string& url) {
  PgSession s(url);
  std::vector<std::string> out;
  for (const char* sql :
       {"SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "character_maximum_length FROM information_schema.columns WHERE table_schema = 'public' "
        "ORDER BY 1, 2",
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "ORDER BY 1, 2",
        "SELECT c.relname, d.objsubid, d.description FROM pg_description d JOIN pg_class c ON "
        "c.oid = d.objoid WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 2"}) {
    for (auto& row : s.query(sql)) out.push_back(std::move(row));
  }
  (void)p;
  return out;
}

// Runs `script` with psql (ON_ERROR_STOP) on a fresh database; returns its URL.
std::string run_with_psql(const PgProject& p, const std::string& script, const std::string& db) {
  PgSession admin(p.server());
  REQUIRE(admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"));
  REQUIRE(admin.exec("CREATE DATABASE " + db));
  const std::string url = url_with_database(p.server(), db);
  write_text(p.dir() / "script.sql", script);
  const int rc = std::system(("cd '" + p.dir().string() + "' && psql -X -q -v ON_ERROR_STOP=1 '" +
                              url + "' -f script.sql > psql.out 2>&1").c_str());
  INFO(read_text(p.dir() / "psql.out"));
  REQUIRE(rc == 0);
  return url;
}

void drop_database(const PgProject& p, const std::string& db) {
  PgSession admin(p.server());
  (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
}

TEST_CASE("pg: hostile names survive autogenerate, upgrade, check, downgrade and --sql") {
  PgProject p("quoting-names");
  const auto& n = quoting::names();
  use_models(p, quoting::model_yaml(false));
  require_ok(p.run("revision --autogenerate -m 'hostile names'"), "autogenerate v1");
  require_ok(p.run("upgrade head"), "upgrade v1");
  require_ok(p.run("check"), "check after v1");
  std::vector<std::string> tables, indexes, constraints;
  for (size_t i = 0; i < n.size(); ++i) {
    tables.push_back(n[i]);
    CHECK(columns_of(p, n[i]) == n);
    CHECK(p.query("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                  "WHERE NOT i.indisprimary AND i.indrelid = " + lit(sq(n[i])) +
                  "::regclass ORDER BY c.relname COLLATE \"C\"") ==
          sorted({quoting::relation_name("ix", n[i]), quoting::relation_name("uq", n[i])}));
    std::vector<std::string> want = {quoting::relation_name("uq", n[i]),
                                     quoting::relation_name("ck", n[i])};
    if (i > 0) want.push_back(quoting::relation_name("fk", n[i]));
    CHECK(p.query("SELECT conname FROM pg_constraint WHERE contype <> 'p' AND conrelid = " +
                  lit(sq(n[i])) + "::regclass ORDER BY conname COLLATE \"C\"") == sorted(want));
    CHECK(p.query("SELECT obj_description(" + lit(sq(n[i])) + "::regclass, 'pg_class')") ==
          std::vector<std::string>{"table " + n[i] + "'; DROP TABLE victim; --"});
  }
  CHECK(p.query(kUserTables) == sorted(tables));
  for (size_t i = 0; i < n.size(); ++i) {
    REQUIRE_MESSAGE(p.exec("INSERT INTO " + sq(n[i]) + " (" + sq(n[0]) + ", " + sq(n[1]) +
                           ") VALUES (1, " + (i ? "1" : "NULL") + ")"),
                    p.last_error());
  }
  CHECK_FALSE(p.exec("INSERT INTO " + sq(n[0]) + " (" + sq(n[0]) + ", " + sq(n[4]) + ") VALUES (2, -1)"));
  CHECK(p.query("SELECT " + sq(n[2]) + " FROM " + sq(n[3])) ==
        std::vector<std::string>{"it's; DROP TABLE victim; --"});

  use_models(p, quoting::model_yaml(true));
  require_ok(p.run("revision --autogenerate -m 'hostile changes'"), "autogenerate v2");
  require_ok(p.run("upgrade head"), "upgrade v2");
  require_ok(p.run("check"), "check after v2");
  for (const auto& t : quoting::expected_tables(true)) {
    CHECK(columns_of(p, t.name) == t.columns);
    CHECK(p.query("SELECT count(*) FROM " + sq(t.name)) == std::vector<std::string>{"1"});
  }

  // psql runs the offline script to the same catalog, which `check` also finds clean.
  auto script = p.run("upgrade head --sql");
  require_ok(script, "upgrade head --sql");
  const std::string db = p.database() + "_offline";
  const std::string offline = run_with_psql(p, script.out, db);
  CHECK(catalog(p, offline) == catalog(p, p.url()));
  require_ok(p.run("--database-url '" + offline + "' check"), "check the offline database");
  drop_database(p, db);

  require_ok(p.run("downgrade base"), "downgrade base");
  CHECK(p.query(kUserTables).empty());
  CHECK(p.versions().empty());
}

TEST_CASE("pg: no table, column, index, constraint name or comment can inject SQL") {
  PgProject p("quoting-injection");
  use_models(p, quoting::injection_yaml(false, false));
  require_ok(p.run("revision --autogenerate -m victim"), "autogenerate victim");
  require_ok(p.run("upgrade head"), "upgrade victim");
  REQUIRE(p.exec("INSERT INTO victim (id) VALUES (7)"));
  use_models(p, quoting::injection_yaml(true, false));
  require_ok(p.run("revision --autogenerate -m hostile"), "autogenerate hostile");
  require_ok(p.run("upgrade head"), "upgrade hostile (first step)");
  use_models(p, quoting::injection_yaml(true, true));
  require_ok(p.run("revision --autogenerate -m change"), "autogenerate change");
  require_ok(p.run("revision -m 'line one\nDROP TABLE victim; --'"), "revision with a two-line message");

  auto script = p.run("upgrade head --sql");
  require_ok(script, "upgrade head --sql");
  require_ok(p.run("upgrade head"), "upgrade hostile");
  require_ok(p.run("check"), "check hostile");
  CHECK(p.query("SELECT id FROM victim") == std::vector<std::string>{"7"});
  const auto& x = quoting::injections();
  CHECK(columns_of(p, x[0]) == std::vector<std::string>{x[0], x[1], x[2] + " 2"});
  CHECK(p.query("SELECT col_description(" + lit(sq(x[0])) + "::regclass, 2)") ==
        std::vector<std::string>{x[0]});

  const std::string db = p.database() + "_offline";
  const std::string offline = run_with_psql(p, script.out, db);
  CHECK(catalog(p, offline) == catalog(p, p.url()));
  drop_database(p, db);

  require_ok(p.run("downgrade -3"), "downgrade to the victim revision");
  CHECK(p.query(kUserTables) == std::vector<std::string>{"victim"});
  CHECK(p.query("SELECT id FROM victim") == std::vector<std::string>{"7"});
}

}  // namespace
}  // namespace distil::testing::pg
