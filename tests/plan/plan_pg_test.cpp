// `--plan` and `--rehearse` on PostgreSQL (DISTIL_TEST_PG_URL): the plan's rewrite
// predictions against what the server really does (a rewrite gives the table a new
// relfilenode), and rehearsals through a template copy that leave the real database as it was.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/commands/plan_model.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace plan = distil::cli::plan;
using distil::testing::contains;
using distil::testing::rev;
using distil::testing::pg::PgProject;
using distil::testing::pg::PgSession;

namespace {

std::string relfilenode(const PgProject& p, const std::string& table) {
  auto rows = p.query("SELECT relfilenode FROM pg_class WHERE oid = '" + table + "'::regclass");
  return rows.empty() ? "<none>" : rows[0];
}

std::vector<std::string> snapshot(const PgProject& p) {
  std::vector<std::string> out = p.query("SELECT version_num FROM alembic_version ORDER BY 1");
  for (const auto& v : {p.columns(), p.constraints(), p.indexes()})
    out.insert(out.end(), v.begin(), v.end());
  for (const auto& row : p.query("SELECT id, v FROM t1 ORDER BY id")) out.push_back(row);
  return out;
}

std::vector<std::string> rehearsal_databases(const PgProject& p) {
  PgSession admin(p.server());
  return admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'distil_rehearse_%'");
}

void models(const PgProject& p, const std::vector<std::string>& tables) {
  std::string text = "tables:\n";
  for (const auto& t : tables)
    text += "  " + t + ":\n    columns:\n      - {name: id, type: integer, primary_key: true}\n"
            "      - {name: v, type: text}\n";
  distil::testing::pg::write_text(p.dir() / "models" / "tables.yaml", text);
  p.write_config(true);
}

}  // namespace

TEST_CASE("PostgreSQL: predicted ALTER COLUMN TYPE rewrites match the server's relfilenode") {
  PgProject p("plan-rewrite");
  struct Case {
    std::string from, to;
  };
  const std::vector<Case> cases = {
      {"varchar(10)", "varchar(20)"}, {"varchar(10)", "text"},     {"text", "varchar"},
      {"numeric(10,2)", "numeric(12,2)"}, {"numeric(10,2)", "numeric"},
      {"varchar(20)", "varchar(10)"}, {"text", "varchar(30)"},     {"integer", "bigint"},
      {"numeric(10,2)", "numeric(12,3)"}, {"smallint", "integer"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.from);
    CAPTURE(c.to);
    const std::string table = "r" + std::to_string(n++);
    REQUIRE_MESSAGE(p.exec("CREATE TABLE " + table + " (c " + c.from + "); INSERT INTO " + table +
                           " VALUES ('1')"),
                    p.last_error());
    const std::string before = relfilenode(p, table);
    // The statement the PostgreSQL renderer emits for a type change.
    REQUIRE_MESSAGE(p.exec("ALTER TABLE " + table + " ALTER COLUMN c TYPE " + c.to + " USING c::" +
                           c.to),
                    p.last_error());
    const bool rewritten = relfilenode(p, table) != before;
    CHECK(plan::pg_type_change_rewrites(c.from, c.to) == rewritten);
  }
}

TEST_CASE("PostgreSQL: --rehearse copies through a template, checks, drops the copy") {
  PgProject p("rehearse-pg");
  distil::testing::linear(p);
  models(p, {"t1", "t2", "t3"});
  REQUIRE(p.run("upgrade aaaa11110001").status == 0);
  REQUIRE(p.exec("INSERT INTO t1 (id, v) VALUES (1, 'keep')"));
  const auto before = snapshot(p);
  auto r = p.run("upgrade head --rehearse");
  CHECK_MESSAGE(r.status == 0, (r.out + r.err));
  CHECK(contains(r.out, "applied 2 revision(s)"));
  CHECK(contains(r.out, "check: clean"));
  CHECK(snapshot(p) == before);
  CHECK(rehearsal_databases(p).empty());
}

TEST_CASE("PostgreSQL: --rehearse with drift exits 1 and still drops the copy") {
  PgProject p("rehearse-pg-drift");
  distil::testing::linear(p);
  models(p, {"t1", "t2"});
  REQUIRE(p.run("upgrade aaaa11110001").status == 0);
  auto r = p.run("upgrade head --rehearse");
  CHECK(r.status == 1);
  CHECK(contains(r.out, "check: 1 difference(s)"));
  CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
  CHECK(p.tables() == std::vector<std::string>{"alembic_version", "t1"});
  CHECK(rehearsal_databases(p).empty());
}

TEST_CASE("PostgreSQL: --rehearse while another session is connected fails clearly") {
  PgProject p("rehearse-pg-busy");
  distil::testing::linear(p);
  models(p, {"t1", "t2", "t3"});
  REQUIRE(p.run("upgrade aaaa11110001").status == 0);
  PgSession other(p.url());  // an application still connected to the database
  REQUIRE(other.ok());
  auto r = p.run("upgrade head --rehearse");
  CHECK(r.status == 1);
  // "1 other session(s)": ours; a backend of an earlier run may still be exiting, so no count.
  CHECK(contains(r.err, "other session(s) are connected to it"));
  CHECK(contains(r.err, "Nothing was changed"));
  CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
  CHECK(rehearsal_databases(p).empty());
}

TEST_CASE("PostgreSQL: --plan never writes, even the version table of a fresh database") {
  PgProject p("plan-pg-fresh");
  distil::testing::linear(p);
  auto r = p.run("upgrade head --plan --format json");
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.out, "\"rows_counted\": true"));
  CHECK(p.tables().empty());  // no alembic_version created
}
