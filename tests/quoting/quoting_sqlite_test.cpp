// Hostile identifiers on SQLite: every table, column, index and constraint name of the
// model is a keyword, mixed case, quoted, semicolon'd, non-ASCII or 63 bytes long, and
// autogenerate, upgrade (with a table rebuild), check, downgrade and the --sql script all
// keep them exact; no name can inject SQL.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/quoting/hostile_model.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace distil::testing {
namespace {

using quoting::lit;
using quoting::sq;

void use_models(const Project& p, const std::string& yaml) {
  write_text(p.dir() / "models" / "model.yaml", yaml);
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
}

void require_ok(const RunResult& r, const std::string& what) {
  INFO(what << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
}

// Rows of a query on another SQLite file.
std::vector<std::string> query_file(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return {"<cannot open " + db.string() + ">"};
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    rows.push_back(std::string("<error: ") + sqlite3_errmsg(h) + ">");
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* t = sqlite3_column_text(stmt, i);
        row += (i ? "|" : "") + (t ? std::string(reinterpret_cast<const char*>(t)) : "NULL");
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(h);
  return rows;
}

const char* kSchemaSql =
    "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
    "ORDER BY type, name";
const char* kUserTables =
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND "
    "name <> 'alembic_version' AND name NOT LIKE '\\_distil%' ESCAPE '\\' ORDER BY name";

TEST_CASE("sqlite: hostile names survive autogenerate, upgrade, check, downgrade and --sql") {
  Project p("quoting-names");
  use_models(p, quoting::model_yaml(false));
  require_ok(p.run("revision --autogenerate -m 'hostile names'"), "autogenerate v1");
  require_ok(p.run("upgrade head"), "upgrade v1");
  require_ok(p.run("check"), "check after v1");
  const auto& n = quoting::names();
  for (const auto& t : quoting::expected_tables(false)) {
    const auto rows = p.query("SELECT name FROM pragma_table_info(" + lit(t.name) + ") ORDER BY cid");
    CHECK(rows == t.columns);
    const auto sql = p.query("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = " + lit(t.name));
    REQUIRE(sql.size() == 1);
    CHECK(contains(sql[0], "CONSTRAINT " + sq(quoting::relation_name("uq", t.name)) + " UNIQUE"));
    CHECK(p.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND "
                  "tbl_name = " + lit(t.name)) ==
          std::vector<std::string>{quoting::relation_name("ix", t.name)});
  }
  std::vector<std::string> sorted_names = n;
  std::sort(sorted_names.begin(), sorted_names.end());
  CHECK(p.query(kUserTables) == sorted_names);
  // The constraints work under their names: a check violation, a cascade.
  for (size_t i = 0; i < n.size(); ++i) {
    REQUIRE_MESSAGE(p.exec("PRAGMA foreign_keys=ON; INSERT INTO " + sq(n[i]) + " (" + sq(n[0]) + ", " +
                           sq(n[1]) + ") VALUES (1, " + (i ? "1" : "NULL") + ")"),
                    "insert into " << n[i]);
  }
  CHECK_FALSE(p.exec("INSERT INTO " + sq(n[0]) + " (" + sq(n[0]) + ", " + sq(n[4]) + ") VALUES (2, -1)"));
  CHECK(p.query("SELECT " + sq(n[2]) + " FROM " + sq(n[3])) ==
        std::vector<std::string>{"it's; DROP TABLE victim; --"});

  // Version 2: rename a column, change a type (a table rebuild with hostile names), drop and
  // add columns, rename a table; the rows stay.
  use_models(p, quoting::model_yaml(true));
  require_ok(p.run("revision --autogenerate -m 'hostile changes'"), "autogenerate v2");
  require_ok(p.run("upgrade head"), "upgrade v2");
  require_ok(p.run("check"), "check after v2");
  for (const auto& t : quoting::expected_tables(true)) {
    CHECK(p.query("SELECT name FROM pragma_table_info(" + lit(t.name) + ") ORDER BY cid") == t.columns);
    CHECK(p.query("SELECT count(*) FROM " + sq(t.name)) == std::vector<std::string>{"1"});
  }
  CHECK(p.query("PRAGMA foreign_key_check").empty());
  CHECK(p.query("PRAGMA integrity_check") == std::vector<std::string>{"ok"});

  // The offline script, run by sqlite3 itself, builds the same schema (the same DDL text).
  auto script = p.run("upgrade head --sql");
  require_ok(script, "upgrade head --sql");
  write_text(p.dir() / "script.sql", script.out);
  const int rc = std::system(("cd '" + p.dir().string() +
                              "' && sqlite3 -bail offline.db < script.sql > sqlite3.out 2>&1").c_str());
  INFO(read_text(p.dir() / "sqlite3.out"));
  REQUIRE(rc == 0);
  CHECK(query_file(p.dir() / "offline.db", kSchemaSql) == p.query(kSchemaSql));
  require_ok(p.run("--database-url sqlite:///offline.db check", false), "check the offline database");

  require_ok(p.run("downgrade base"), "downgrade base");
  CHECK(p.query(kUserTables).empty());
  CHECK(p.versions().empty());
}

TEST_CASE("sqlite: no table, column, index or constraint name can inject SQL") {
  Project p("quoting-injection");
  use_models(p, quoting::injection_yaml(false, false));
  require_ok(p.run("revision --autogenerate -m victim"), "autogenerate victim");
  require_ok(p.run("upgrade head"), "upgrade victim");
  REQUIRE(p.exec("INSERT INTO victim (id) VALUES (7)"));

  use_models(p, quoting::injection_yaml(true, false));
  require_ok(p.run("revision --autogenerate -m hostile"), "autogenerate hostile");
  require_ok(p.run("upgrade head"), "upgrade hostile");
  use_models(p, quoting::injection_yaml(true, true));
  require_ok(p.run("revision --autogenerate -m rebuild"), "autogenerate rebuild");
  // A revision message is no SQL either, even with a newline in it (the --sql script shows it
  // in a comment).
  require_ok(p.run("revision -m 'line one\nDROP TABLE victim; --'"), "revision with a two-line message");

  auto script = p.run("upgrade head --sql");
  require_ok(script, "upgrade head --sql");
  for (const auto& x : quoting::injections()) CHECK(contains(script.out, sq(x)));
  write_text(p.dir() / "script.sql", script.out);
  require_ok(p.run("upgrade head"), "upgrade hostile");
  require_ok(p.run("check"), "check hostile");
  CHECK(p.query("SELECT id FROM victim") == std::vector<std::string>{"7"});
  const auto& x = quoting::injections();
  CHECK(p.query("SELECT name FROM pragma_table_info(" + lit(x[0]) + ") ORDER BY cid") ==
        std::vector<std::string>{x[0], x[1], x[2] + " 2"});
  CHECK(p.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL") ==
        std::vector<std::string>{x[1]});

  // The same script run by sqlite3: victim is still there at the end, the schema the same.
  const int rc = std::system(("cd '" + p.dir().string() +
                              "' && sqlite3 -bail offline.db < script.sql > sqlite3.out 2>&1").c_str());
  INFO(read_text(p.dir() / "sqlite3.out"));
  REQUIRE(rc == 0);
  CHECK(query_file(p.dir() / "offline.db", "SELECT name FROM sqlite_schema WHERE name = 'victim'") ==
        std::vector<std::string>{"victim"});
  CHECK(query_file(p.dir() / "offline.db", kSchemaSql) == p.query(kSchemaSql));

  require_ok(p.run("downgrade -3"), "downgrade to the victim revision");
  CHECK(p.query(kUserTables) == std::vector<std::string>{"victim"});
  CHECK(p.query("SELECT id FROM victim") == std::vector<std::string>{"7"});
}

}  // namespace
}  // namespace distil::testing
