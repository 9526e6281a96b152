// End-to-end tests: the distil-db-manage binary against a real PostgreSQL 15 server. The same
// scenarios as cli_test.cpp, promise_test.cpp and inspect_test.cpp run on SQLite, plus a
// PostgreSQL-native schema (jsonb, arrays, inet, uuid, timestamptz, identity, partial index)
// for the exact-comparison promise (DESIGN §7). Each PgProject is a fresh database on the
// server DISTIL_TEST_PG_URL names (`scripts/pg-cluster start DIR` prints one); unset FAILS.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/revision_text.hpp"
#include "tests/support/generated_schema.hpp"
#include "tests/support/pg_harness.hpp"

using distil::testing::pg::PgProject;
using distil::testing::pg::PgSession;
using distil::testing::pg::read_text;
using distil::testing::pg::RunResult;
using distil::testing::pg::write_text;

namespace fs = std::filesystem;

// Failing comparisons of query rows print the rows.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& rows) {
    std::string out = "{";
    for (const auto& row : rows) out += (out.size() > 1 ? ", \"" : "\"") + row + "\"";
    return (out + "}").c_str();
  }
};
}  // namespace doctest

namespace {

const std::string kRoot = DISTIL_SOURCE_DIR;

using distil::testing::contains;
using distil::testing::create;
using distil::testing::drop;
using distil::testing::linear;
using distil::testing::rev;

bool has(const std::vector<std::string>& rows, const std::string& row) {
  return std::find(rows.begin(), rows.end(), row) != rows.end();
}

// The non-empty lines of a message.
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<fs::path> revision_files(const PgProject& p) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(p.dir() / "versions")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// `check` must find nothing: exit 0 and no pending ops on stdout.
void require_no_drift(const PgProject& p) {
  RunResult check = p.run("check");
  INFO("check stdout:\n" << check.out);
  INFO("check stderr:\n" << check.err);
  REQUIRE(check.status == 0);
  CHECK(check.out.empty());
}

// Everything a schema comparison looks at: columns, constraints, indexes, comments.
std::vector<std::string> schema_of(const PgProject& p) {
  std::vector<std::string> out;
  for (const auto& r : p.columns()) out.push_back("column " + r);
  for (const auto& r : p.constraints()) out.push_back("constraint " + r);
  for (const auto& r : p.indexes()) out.push_back("index " + r);
  for (const auto& r : p.comments()) out.push_back("comment " + r);
  return out;
}

void copy_shipped_versions(const PgProject& p) {
  fs::copy(kRoot + "/migrations/versions", p.dir() / "versions",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("pg: the seed README commands work verbatim on the shipped Distil example") {
  PgProject p("seed");
  copy_shipped_versions(p);
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  CHECK(contains(up.err, "Running upgrade  -> 001, Juno release"));
  CHECK(contains(up.err, "Running upgrade 001 -> 002, add project lock table"));
  CHECK(p.versions() == std::vector<std::string>{"002"});
  const std::vector<std::string> all_tables{"alembic_version", "distil_last_run", "project_locks",
                                            "resources",       "sales_orders",    "tenants",
                                            "usage_entry"};
  CHECK(p.tables() == all_tables);
  CHECK(p.query("SELECT column_name, data_type, character_maximum_length, is_nullable FROM "
                "information_schema.columns WHERE table_name = 'alembic_version'") ==
        std::vector<std::string>{"version_num|character varying|32|NO"});
  CHECK(p.query("SELECT conname, contype FROM pg_constraint WHERE conrelid = "
                "'alembic_version'::regclass") ==
        std::vector<std::string>{"alembic_version_pkc|p"});
  RunResult current = p.run("current");
  CHECK(current.status == 0);
  CHECK(current.out == "002 (head)\n");

  RunResult sql = p.run("upgrade head --sql");
  INFO(sql.err);
  REQUIRE(sql.status == 0);
  INFO("upgrade head --sql:\n" << sql.out);
  CHECK_FALSE(contains(sql.out, "PRAGMA"));
  CHECK(contains(sql.out, "CREATE TABLE IF NOT EXISTS \"alembic_version\""));
  CHECK(contains(sql.out, "INSERT INTO \"alembic_version\" (version_num) VALUES ('001')"));
  CHECK(contains(sql.out,
                 "UPDATE \"alembic_version\" SET version_num = '002' WHERE version_num = '001'"));
  CHECK(contains(sql.out, "BEGIN"));
  CHECK(contains(sql.out, "COMMIT"));
  {
    // The offline script, run as psql would run it on another fresh database, gives the same
    // schema and version as the online upgrade.
    PgProject offline("seed-offline");
    PgSession s(offline.url());
    REQUIRE_MESSAGE(s.exec(sql.out), s.last_error);
    CHECK(offline.tables() == all_tables);
    CHECK(schema_of(offline) == schema_of(p));
    CHECK(offline.versions() == std::vector<std::string>{"002"});
  }

  RunResult range = p.run("upgrade 001:002 --sql");
  INFO(range.err);
  CHECK(range.status == 0);
  CHECK_FALSE(contains(range.out, "\"tenants\""));  // 001 is the start: not repeated
  CHECK(contains(range.out, "\"project_locks\""));
  CHECK_FALSE(contains(range.out, "PRAGMA"));

  RunResult down = p.run("downgrade --delta 1");
  INFO(down.err);
  CHECK(down.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"001"});
  CHECK_FALSE(has(p.tables(), "project_locks"));
  RunResult up1 = p.run("upgrade --delta 1");
  INFO(up1.err);
  CHECK(up1.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"002"});
  CHECK(p.tables() == all_tables);

  RunResult blank = p.run("revision -m \"description of revision\"");
  INFO(blank.err);
  CHECK(blank.status == 0);
  auto blank_file = p.dir() / "versions" / "0003_description_of_revision.yaml";
  REQUIRE(fs::exists(blank_file));
  CHECK(contains(read_text(blank_file), "down_revision: \"002\""));

  RunResult check = p.run("check_migration");
  CHECK(check.status == 0);
  RunResult history = p.run("history");
  CHECK(history.status == 0);
  CHECK(contains(history.out, "001 -> 002, add project lock table"));
  CHECK(contains(history.out, "<base> -> 001, Juno release"));

  // The blank revision applies as a no-op step.
  RunResult up_blank = p.run("upgrade head");
  INFO(up_blank.err);
  CHECK(up_blank.status == 0);
  REQUIRE(p.versions().size() == 1);
  CHECK(p.versions()[0] != "002");
  CHECK(p.tables() == all_tables);

  RunResult stamp = p.run("stamp 001");
  INFO(stamp.err);
  CHECK(stamp.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"001"});
  CHECK(p.tables() == all_tables);  // stamp runs no migration
}

TEST_CASE("pg: a failing revision leaves the database exactly at the previous revision") {
  PgProject p("failing");
  linear(p);
  p.add_revision("0004_bad.yaml",
                 rev("dddd44440004", "\"cccc33330003\"",
                     create("t4") + "  - sql: \"INSERT INTO no_such_table VALUES (1)\"\n",
                     drop("t4")));
  RunResult r = p.run("upgrade head");
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "dddd44440004"));
  CHECK(contains(r.err, "0004_bad.yaml"));
  CHECK(contains(r.err, "no_such_table"));
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
  auto tables = p.tables();
  CHECK_FALSE(has(tables, "t4"));
  CHECK(has(tables, "t3"));
  // The failed run left no session or lock behind: a fixed revision applies.
  p.add_revision("0004_bad.yaml", rev("dddd44440004", "\"cccc33330003\"", create("t4"), drop("t4")));
  RunResult fixed = p.run("upgrade head");
  INFO(fixed.err);
  CHECK(fixed.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"dddd44440004"});
}

// A revision's statements go to the server as one batch with its bookkeeping and COMMIT. A
// batch does not say which statement failed: the runner rolls it back and runs the revision
// again statement by statement, so the error names the op, its line and its statement as
// if the batch had never been.
TEST_CASE("pg: a statement failing inside a revision's batch is named with its op and line") {
  PgProject p("batch-failure");
  linear(p);
  p.add_revision("0004_bad.yaml",
                 rev("dddd44440004", "\"cccc33330003\"",
                     create("t4") + create("t5") +
                         "  - sql: \"INSERT INTO no_such_table VALUES (1)\"\n" + create("t6"),
                     drop("t6") + drop("t5") + drop("t4")));
  const std::string text = read_text(p.dir() / "versions" / "0004_bad.yaml");
  const auto at = text.find("- sql:");
  REQUIRE(at != std::string::npos);
  const auto sql_line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  RunResult r = p.run("upgrade head --verbose");
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "0004_bad.yaml:" + std::to_string(sql_line)));
  CHECK(contains(r.err, "while running: INSERT INTO no_such_table VALUES (1)"));
  // The revision's statements were sent as one batch (logged once), then once more one by one.
  CHECK(contains(r.err, "the batch failed; running its statements one by one"));
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
  auto tables = p.tables();
  CHECK_FALSE(has(tables, "t4"));
  CHECK_FALSE(has(tables, "t5"));
  CHECK_FALSE(has(tables, "t6"));
}

TEST_CASE("pg: downgrade -1, downgrade base and upgrade +2 move along the history") {
  PgProject p("relative");
  linear(p);
  RunResult plus2 = p.run("upgrade +2");
  INFO(plus2.err);
  REQUIRE(plus2.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  REQUIRE(p.run("upgrade head").status == 0);
  RunResult down = p.run("downgrade -1");
  INFO(down.err);
  CHECK(down.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  CHECK_FALSE(has(p.tables(), "t3"));
  CHECK(p.run("downgrade base").status == 0);
  CHECK(p.versions().empty());
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.run("upgrade bbbb").status == 0);  // a unique prefix
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  CHECK(p.run("downgrade aaaa").status == 0);  // a prefix as a downgrade target
  CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
  CHECK(p.tables() == std::vector<std::string>{"alembic_version", "t1"});
}

TEST_CASE("pg: a column type change keeps every row, including ON DELETE CASCADE children") {
  PgProject p("alter");
  p.add_revision(
      "0001_parent.yaml",
      rev("p1", "",
          "  - create_table: {name: parent, columns: [{name: id, type: integer, primary_key: "
          "true}, {name: label, type: text}]}\n"
          "  - create_table:\n      name: child\n      columns: [{name: id, type: integer, "
          "primary_key: true}, {name: parent_id, type: integer}]\n      foreign_keys: [{columns: "
          "[parent_id], references: {table: parent, columns: [id]}, on_delete: cascade}]\n",
          drop("child") + drop("parent")));
  p.add_revision("0002_alter.yaml",
                 rev("p2", "\"p1\"",
                     "  - alter_column: {table: parent, column: label, type: varchar(50), "
                     "nullable: false, existing: {type: text, nullable: true}}\n",
                     "  - alter_column: {table: parent, column: label, type: text, nullable: true, "
                     "existing: {type: varchar(50), nullable: false}}\n"));
  REQUIRE(p.run("upgrade p1").status == 0);
  REQUIRE_MESSAGE(p.exec("INSERT INTO parent VALUES (1, 'a'), (2, 'b'); INSERT INTO child VALUES "
                         "(10, 1), (20, 2), (30, 2);"),
                  p.last_error());
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"3"});
  CHECK(p.query("SELECT id, label FROM parent ORDER BY id") ==
        std::vector<std::string>{"1|a", "2|b"});
  CHECK(p.query("SELECT data_type, character_maximum_length, is_nullable FROM "
                "information_schema.columns WHERE table_name = 'parent' AND column_name = "
                "'label'") == std::vector<std::string>{"character varying|50|NO"});
  CHECK_FALSE(p.exec("INSERT INTO parent VALUES (3, NULL)"));
  REQUIRE(p.run("downgrade p1").status == 0);
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"3"});
  CHECK(p.exec("INSERT INTO parent VALUES (3, NULL)"));
}

TEST_CASE("pg: a foreign key that existing rows violate rolls back the whole revision") {
  PgProject p("fk-violation");
  p.add_revision("0001.yaml", rev("f1", "",
                                  "  - create_table: {name: parent, columns: [{name: id, type: "
                                  "integer, primary_key: true}]}\n"
                                  "  - create_table: {name: child, columns: [{name: id, type: "
                                  "integer, primary_key: true}, {name: parent_id, type: integer}]}\n",
                                  drop("child") + drop("parent")));
  p.add_revision("0002.yaml",
                 rev("f2", "\"f1\"",
                     "  - create_table: {name: extra, columns: [{name: id, type: integer, "
                     "primary_key: true}]}\n"
                     "  - create_foreign_key: {table: child, name: fk_child_parent, columns: "
                     "[parent_id], references: {table: parent, columns: [id]}}\n",
                     "  - drop_constraint: {table: child, name: fk_child_parent}\n" + drop("extra")));
  REQUIRE(p.run("upgrade f1").status == 0);
  REQUIRE(p.exec("INSERT INTO child VALUES (1, 99)"));  // an orphan
  RunResult r = p.run("upgrade head");
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "f2"));
  CHECK(contains(r.err, "fk_child_parent"));
  CHECK(p.versions() == std::vector<std::string>{"f1"});
  CHECK_FALSE(has(p.tables(), "extra"));
  CHECK(p.query("SELECT count(*) FROM pg_constraint WHERE conname = 'fk_child_parent'") ==
        std::vector<std::string>{"0"});
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"1"});
}

TEST_CASE("pg: two upgrade head runs at once apply every revision exactly once") {
  PgProject p("concurrent");
  const std::string log = "  - sql: \"CREATE TABLE IF NOT EXISTS applied_log (rev TEXT)\"\n";
  std::string prev;
  for (int i = 1; i <= 12; ++i) {
    const std::string id = "c" + std::to_string(1000 + i);
    // Each revision sleeps 0.2 s so the two runs overlap.
    const std::string up =
        log + "  - sql: \"INSERT INTO applied_log SELECT '" + id + "' FROM pg_sleep(0.2)\"\n";
    p.add_revision("00" + std::to_string(10 + i) + "_r.yaml",
                   rev(id, prev.empty() ? "" : "\"" + prev + "\"", up, "  []\n"));
    prev = id;
  }
  RunResult a, b;
  std::thread ta([&] { a = p.run("upgrade head"); });
  std::thread tb([&] { b = p.run("upgrade head"); });
  ta.join();
  tb.join();
  INFO("run a:\n" << a.err);
  INFO("run b:\n" << b.err);
  CHECK(a.status == 0);
  CHECK(b.status == 0);
  CHECK(p.query("SELECT count(*), count(DISTINCT rev) FROM applied_log") ==
        std::vector<std::string>{"12|12"});
  CHECK(p.versions() == std::vector<std::string>{"c1012"});
  // One of the two found nothing to do.
  CHECK((contains(a.err, "Nothing to do") || contains(b.err, "Nothing to do")));
  // And the lock is released: a third run finds nothing to do.
  RunResult c = p.run("upgrade head");
  CHECK(c.status == 0);
  CHECK(contains(c.err, "Nothing to do"));
}

TEST_CASE("pg: bad input gets one clear line and the right exit status") {
  PgProject p("errors");
  linear(p);
  SUBCASE("a database that does not exist: exit 1, one line naming it, nothing created") {
    const std::string missing = "distil_e2e_no_such_db_" + std::to_string(::getpid());
    const std::string url = distil::testing::pg::url_with_database(p.server(), missing);
    for (const char* command : {"upgrade head", "current", "check"}) {
      CAPTURE(command);
      RunResult r = p.run("--database-url '" + url + "' " + command);
      INFO(r.err);
      CHECK(r.status == 1);
      CHECK(lines(r.err).size() == 1);
      CHECK(contains(r.err, missing));
      CHECK(contains(r.err, "does not exist"));
    }
    PgSession admin(p.server());
    CHECK(admin.query("SELECT count(*) FROM pg_database WHERE datname = '" + missing + "'") ==
          std::vector<std::string>{"0"});
  }
  SUBCASE("a wrong port: exit 1, one line") {
    const std::string url = distil::testing::pg::url_with_param(p.url(), "port=1");
    RunResult r = p.run("--database-url '" + url + "' upgrade head");
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(lines(r.err).size() == 1);
    CHECK(contains(r.err, ".s.PGSQL.1"));
    CHECK(p.tables().empty());
  }
  SUBCASE("an unknown target is a usage error and changes nothing") {
    RunResult r = p.run("upgrade zzzz");
    CHECK(r.status == 2);
    CHECK(contains(r.err, "zzzz"));
    CHECK_FALSE(has(p.tables(), "t1"));
  }
  SUBCASE("a version table naming a revision no file has: clear error, stamp --purge repairs") {
    REQUIRE(p.run("upgrade head").status == 0);
    REQUIRE(p.exec("UPDATE alembic_version SET version_num = 'gone12345678'"));
    RunResult r = p.run("upgrade head");
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "gone12345678"));
    CHECK(contains(r.err, "stamp"));
    CHECK(p.run("current").status == 1);
    RunResult s = p.run("stamp --purge cccc33330003");
    INFO(s.err);
    CHECK(s.status == 0);
    CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
    RunResult cur = p.run("current");
    CHECK(cur.status == 0);
    CHECK(cur.out == "cccc33330003 (head)\n");
  }
}

TEST_CASE("pg: upgrade heads records one row per head and stamp --sql touches no database") {
  PgProject p("heads");
  linear(p);
  p.add_revision("0004_x.yaml", rev("dddd44440004", "\"bbbb22220002\"", create("t4"), drop("t4")));
  RunResult stamp = p.run("stamp cccc33330003 --sql");
  CHECK(stamp.status == 0);
  CHECK(contains(stamp.out,
                 "INSERT INTO \"alembic_version\" (version_num) VALUES ('cccc33330003')"));
  RunResult down = p.run("downgrade cccc33330003:aaaa11110001 --sql");
  INFO(down.err);
  CHECK(down.status == 0);
  CHECK(contains(down.out, "DROP TABLE \"t3\""));
  CHECK_FALSE(contains(down.out, "DROP TABLE \"t1\""));
  CHECK(p.tables().empty());  // offline mode touched nothing

  RunResult up = p.run("upgrade heads");
  INFO(up.err);
  CHECK(up.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003", "dddd44440004"});
  CHECK(p.tables() == std::vector<std::string>{"alembic_version", "t1", "t2", "t3", "t4"});
  RunResult current = p.run("current");
  CHECK(contains(current.out, "cccc33330003 (head)"));
  CHECK(contains(current.out, "dddd44440004 (head)"));
  RunResult base = p.run("downgrade base");
  INFO(base.err);
  CHECK(base.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.versions().empty());
}

TEST_CASE("pg: the shipped Distil example: autogenerate renames sales_orders columns, check clean") {
  PgProject p("promise-distil");
  copy_shipped_versions(p);
  fs::copy(kRoot + "/schemas/distil", p.dir() / "models", fs::copy_options::recursive);
  p.write_config(true);

  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  REQUIRE(p.versions() == std::vector<std::string>{"002"});

  REQUIRE_MESSAGE(
      p.exec("INSERT INTO tenants VALUES ('t1', 'Tenant One', '{\"a\": 1}', '2026-01-01 00:00:00', "
             "'2026-01-02 00:00:00');"
             "INSERT INTO tenants VALUES ('t2', 'Tenant ''Two''', NULL, '2026-02-01 00:00:00', "
             "'2026-02-02 00:00:00');"
             "INSERT INTO resources VALUES ('r1', 't1', 'vm', '2026-01-01 01:00:00');"
             "INSERT INTO resources VALUES ('r2', 't2', NULL, '2026-02-01 01:00:00');"
             "INSERT INTO usage_entry VALUES ('compute', 'hour', 12.5, 'r1', 't1', "
             "'2026-01-01 00:00:00', '2026-01-01 01:00:00', '2026-01-01 02:00:00');"
             "INSERT INTO usage_entry VALUES ('storage', NULL, 3.25, 'r2', 't2', "
             "'2026-02-01 00:00:00', '2026-02-01 01:00:00', '2026-02-01 02:00:00');"
             "INSERT INTO sales_orders (id, tenant_id, start_at, end_at) VALUES "
             "(1, 't1', '2026-01-01 00:00:00', '2026-02-01 00:00:00'), "
             "(2, 't2', '2026-02-01 00:00:00', '2026-03-01 00:00:00');"
             "INSERT INTO project_locks VALUES ('2026-01-01 00:00:00', 'p1', 'collector-1');"
             "INSERT INTO distil_last_run VALUES (1, '2026-03-01 00:00:00');"),
      p.last_error());

  RunResult gen = p.run("revision -m today --autogenerate");
  INFO(gen.out);
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  auto files = revision_files(p);
  REQUIRE(files.size() == 3);
  const std::string text = read_text(files[2]);
  INFO("generated revision:\n" << text);
  CHECK(contains(text, "down_revision: \"002\""));
  CHECK(contains(text, "alter_column"));
  CHECK((contains(text, "rename_to: start") || contains(text, "rename_to: \"start\"")));
  CHECK((contains(text, "rename_to: end") || contains(text, "rename_to: \"end\"")));
  const std::string upgrade = text.substr(0, text.find("\ndowngrade:"));
  CHECK_FALSE(contains(upgrade, "drop_column"));
  CHECK_FALSE(contains(upgrade, "DESTRUCTIVE"));

  RunResult up2 = p.run("upgrade head");
  INFO(up2.err);
  REQUIRE(up2.status == 0);
  require_no_drift(p);

  CHECK(p.query("SELECT * FROM tenants ORDER BY id") ==
        std::vector<std::string>{
            "t1|Tenant One|{\"a\": 1}|2026-01-01 00:00:00|2026-01-02 00:00:00",
            "t2|Tenant 'Two'|NULL|2026-02-01 00:00:00|2026-02-02 00:00:00"});
  CHECK(p.query("SELECT * FROM resources ORDER BY id") ==
        std::vector<std::string>{"r1|t1|vm|2026-01-01 01:00:00", "r2|t2|NULL|2026-02-01 01:00:00"});
  CHECK(p.query("SELECT service, unit, volume, resource_id, tenant_id, start, \"end\", created "
                "FROM usage_entry ORDER BY service") ==
        std::vector<std::string>{
            "compute|hour|12.50|r1|t1|2026-01-01 00:00:00|2026-01-01 01:00:00|2026-01-01 02:00:00",
            "storage|NULL|3.25|r2|t2|2026-02-01 00:00:00|2026-02-01 01:00:00|2026-02-01 02:00:00"});
  CHECK(p.query("SELECT id, tenant_id, start, \"end\", currency FROM sales_orders ORDER BY id") ==
        std::vector<std::string>{"1|t1|2026-01-01 00:00:00|2026-02-01 00:00:00|NZD",
                                 "2|t2|2026-02-01 00:00:00|2026-03-01 00:00:00|NZD"});
  CHECK(p.query("SELECT * FROM project_locks") ==
        std::vector<std::string>{"2026-01-01 00:00:00|p1|collector-1"});
  CHECK(p.query("SELECT * FROM distil_last_run") ==
        std::vector<std::string>{"1|2026-03-01 00:00:00"});
  // The model's check is in force.
  CHECK_FALSE(p.exec("UPDATE sales_orders SET \"end\" = start WHERE id = 1"));

  const auto schema = schema_of(p);
  RunResult down = p.run("downgrade base");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.versions().empty());

  RunResult again = p.run("upgrade head");
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(schema_of(p) == schema);
  require_no_drift(p);
}

namespace {

// A PostgreSQL-native schema: types passed to the dialect verbatim, defaults PostgreSQL
// stores in a different spelling (casts, now()), a partial index, a numeric check, identity.
const char* const kNativeModels = R"yaml(tables:
  devices:
    comment: A device that reports usage.
    columns:
      - {name: id, type: bigint, primary_key: true, autoincrement: true, comment: Surrogate key.}
      - {name: uid, type: uuid, nullable: false}
      - {name: attrs, type: jsonb, nullable: false, default: "'{}'::jsonb"}
      - {name: ports, type: "integer[]"}
      - {name: addr, type: inet}
      - {name: seen_at, type: timestamptz, nullable: false, default: now()}
      - {name: retired, type: boolean, nullable: false, default: "false"}
      - {name: country, type: varchar(2), nullable: false, default: "'nz'"}
      - {name: ratio, type: "numeric(5,2)", nullable: false, default: "0", comment: "Share, >= 0."}
      - {name: label, type: text}
    unique:
      - {columns: [uid]}
    indexes:
      - {name: ix_devices_live_seen, columns: [seen_at], where: "NOT retired"}
      - {columns: [country, label]}
    checks:
      - {name: ck_devices_ratio, expression: "ratio >= 0"}
  readings:
    comment: One reading of one device.
    columns:
      - {name: id, type: integer, primary_key: true, autoincrement: true}
      - {name: device_id, type: bigint, nullable: false}
      - {name: taken_at, type: timestamptz, nullable: false, default: now()}
      - {name: value, type: double, nullable: false}
      - {name: tags, type: "text[]", nullable: false, default: "'{}'::text[]"}
      - {name: day, type: date, nullable: false, default: CURRENT_DATE}
      - {name: note, type: varchar(200), default: "'it''s'"}
    foreign_keys:
      - {columns: [device_id], references: {table: devices, columns: [id]}, on_delete: cascade}
    indexes:
      - {columns: [device_id, taken_at]}
      - {name: ix_readings_big, columns: [value], where: "value > 100.5 AND note IS NOT NULL"}
    checks:
      - {expression: "value >= 0 OR value IS NULL"}
)yaml";

}  // namespace

TEST_CASE("pg: a PostgreSQL-native schema: autogenerate, upgrade, check is exact and inspect round-trips") {
  PgProject p("native");
  write_text(p.dir() / "models" / "native.yaml", kNativeModels);
  p.write_config(true);

  RunResult gen = p.run("revision -m initial --autogenerate");
  INFO(gen.out);
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  auto files = revision_files(p);
  REQUIRE(files.size() == 1);
  INFO("generated revision:\n" << read_text(files[0]));

  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version", "devices", "readings"});
  // The exact-comparison promise: any op reported here is a false positive.
  require_no_drift(p);

  // The database is what the models say.
  CHECK(p.query("SELECT column_name, udt_name, is_nullable, is_identity FROM "
                "information_schema.columns WHERE table_name = 'devices' ORDER BY "
                "ordinal_position") ==
        std::vector<std::string>{"id|int8|NO|YES", "uid|uuid|NO|NO", "attrs|jsonb|NO|NO",
                                 "ports|_int4|YES|NO", "addr|inet|YES|NO",
                                 "seen_at|timestamptz|NO|NO", "retired|bool|NO|NO",
                                 "country|varchar|NO|NO", "ratio|numeric|NO|NO",
                                 "label|text|YES|NO"});
  CHECK(p.query("SELECT obj_description('devices'::regclass, 'pg_class'), "
                "col_description('devices'::regclass, 1)") ==
        std::vector<std::string>{"A device that reports usage.|Surrogate key."});
  REQUIRE_MESSAGE(p.exec("INSERT INTO devices (uid) VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');"
                         "INSERT INTO readings (device_id, value) VALUES (1, 3.5);"),
                  p.last_error());
  CHECK(p.query("SELECT id, attrs::text, ports IS NULL, seen_at <= now(), retired, country, ratio "
                "FROM devices") == std::vector<std::string>{"1|{}|t|t|f|nz|0.00"});
  CHECK(p.query("SELECT id, tags::text, day = CURRENT_DATE, note FROM readings") ==
        std::vector<std::string>{"1|{}|t|it's"});
  CHECK_FALSE(p.exec("UPDATE devices SET ratio = -1"));
  CHECK(p.query("SELECT indexdef LIKE '%WHERE (NOT retired)%' FROM pg_indexes WHERE indexname = "
                "'ix_devices_live_seen'") == std::vector<std::string>{"t"});

  // The downgrade of the generated revision restores the empty database; upgrading again gives
  // the same schema.
  const auto schema = schema_of(p);
  RunResult down = p.run("downgrade base");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  REQUIRE(p.run("upgrade head").status == 0);
  CHECK(schema_of(p) == schema);

  // inspect -o DIR, then those models in a fresh project and database rebuild the same columns.
  RunResult inspected = p.run("inspect -o inspected");
  INFO(inspected.err);
  REQUIRE(inspected.status == 0);
  CHECK_FALSE(contains(inspected.err, "WARNING"));
  CHECK_FALSE(fs::exists(p.dir() / "inspected" / "alembic_version.yaml"));
  INFO("inspected devices.yaml:\n" << read_text(p.dir() / "inspected" / "devices.yaml"));
  INFO("inspected readings.yaml:\n" << read_text(p.dir() / "inspected" / "readings.yaml"));

  PgProject q("native-copy");
  fs::copy(p.dir() / "inspected", q.dir() / "models");
  q.write_config(true);
  RunResult gen2 = q.run("revision -m init --autogenerate");
  INFO(gen2.err);
  REQUIRE(gen2.status == 0);
  auto files2 = revision_files(q);
  REQUIRE(files2.size() == 1);
  INFO("revision from inspected models:\n" << read_text(files2[0]));
  RunResult up2 = q.run("upgrade head");
  INFO(up2.err);
  REQUIRE(up2.status == 0);
  require_no_drift(q);

  const std::string columns_sql =
      "SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, "
      "character_maximum_length, numeric_precision FROM information_schema.columns WHERE "
      "table_schema = 'public' AND table_name NOT LIKE '\\_distil\\_%' "
      "ORDER BY table_name, ordinal_position";
  const auto original = p.query(columns_sql);
  CHECK(original.size() == 18);
  CHECK(q.query(columns_sql) == original);
  // And the rest of the schema: identity, constraints, indexes, comments.
  CHECK(schema_of(q) == schema_of(p));
  // The fresh database is also clean against the original models.
  write_text(q.dir() / "models2" / "native.yaml", kNativeModels);
  write_text(q.dir() / "distil2.conf", "[database]\nconnection = " + q.url() +
                                           "\n\n[migration]\nversions = versions\n"
                                           "models = models2\n");
  RunResult cross = q.run("--config-file distil2.conf check", false);
  INFO(cross.out);
  INFO(cross.err);
  CHECK(cross.status == 0);

  // An edit of the native models on the seeded database: rename, widen, add jsonb and array
  // columns, change a partial index and a check. The rows survive, check stays clean, and the
  // downgrade restores the previous schema exactly.
  std::string edited = kNativeModels;
  auto replace = [&](const std::string& from, const std::string& to) {
    const std::size_t at = edited.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    edited.replace(at, from.size(), to);
  };
  replace("{name: country, type: varchar(2),", "{name: country, type: varchar(3),");
  replace("{name: label, type: text}",
          "{name: title, type: text, renamed_from: label}\n"
          "      - {name: extra, type: jsonb, nullable: false, default: \"'[]'::jsonb\"}");
  replace("columns: [country, label]", "columns: [country, title]");
  replace("where: \"NOT retired\"", "where: \"NOT retired AND ratio > 0\"");
  replace("expression: \"ratio >= 0\"", "expression: \"ratio >= 0 AND ratio <= 100\"");
  replace("{name: value, type: double, nullable: false}",
          "{name: value, type: double, nullable: false}\n"
          "      - {name: flags, type: \"smallint[]\", default: \"'{1,2}'::smallint[]\"}");
  // (downgrade base emptied the tables: seed again.)
  REQUIRE_MESSAGE(
      p.exec("INSERT INTO devices (uid, label, ports, addr) VALUES "
             "('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'dev one', '{22,443}', '10.0.0.1');"
             "INSERT INTO readings (device_id, value) SELECT id, 3.5 FROM devices;"),
      p.last_error());
  const auto before_edit = schema_of(p);
  write_text(p.dir() / "models" / "native.yaml", edited);
  RunResult gen3 = p.run("revision -m edit --autogenerate");
  INFO(gen3.err);
  REQUIRE(gen3.status == 0);
  auto files3 = revision_files(p);
  REQUIRE(files3.size() == 2);
  const std::string edit_text = read_text(files3[1]);
  INFO("edit revision:\n" << edit_text);
  CHECK(contains(edit_text, "rename_to: title"));
  CHECK_FALSE(contains(edit_text.substr(0, edit_text.find("\ndowngrade:")), "drop_column"));
  RunResult up3 = p.run("upgrade head");
  INFO(up3.err);
  REQUIRE(up3.status == 0);
  require_no_drift(p);
  CHECK(p.query("SELECT title, ports::text, host(addr), country, extra::text FROM devices") ==
        std::vector<std::string>{"dev one|{22,443}|10.0.0.1|nz|[]"});
  CHECK(p.query("SELECT value, flags::text FROM readings") ==
        std::vector<std::string>{"3.5|{1,2}"});
  CHECK_FALSE(p.exec("UPDATE devices SET ratio = 101"));
  RunResult back = p.run("downgrade -1");
  INFO(back.err);
  REQUIRE(back.status == 0);
  CHECK(schema_of(p) == before_edit);
  CHECK(p.query("SELECT label FROM devices") == std::vector<std::string>{"dev one"});
}

TEST_CASE("pg: check is exact for expressions PostgreSQL stores rewritten (casts, IN, BETWEEN, LIKE)") {
  // PostgreSQL stores `country <> 'au'` on a varchar column as
  // ((country)::text <> 'au'::text), IN as = ANY (ARRAY[...]), BETWEEN as >= AND <=, LIKE as ~~.
  // The models spell them as written; after upgrade head, check must report nothing.
  PgProject p("rewritten");
  write_text(p.dir() / "models" / "rewritten.yaml", R"yaml(tables:
  a_ix_varchar_ne:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: country, type: varchar(2)}
    indexes:
      - {name: ix_a, columns: [id], where: "country <> 'au'"}
  b_ck_varchar_ne:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: country, type: varchar(2)}
    checks:
      - {name: ck_b, expression: "country <> 'au'"}
  c_ck_varchar_in:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: country, type: varchar(2)}
    checks:
      - {name: ck_c, expression: "country IN ('nz', 'au')"}
  d_ix_text_ne:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: country, type: text}
    indexes:
      - {name: ix_d, columns: [id], where: "country <> 'au'"}
  e_ck_numeric_between:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: ratio, type: "numeric(5,2)"}
    checks:
      - {name: ck_e, expression: "ratio BETWEEN 0 AND 100"}
  f_ck_like:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: code, type: varchar(10)}
    checks:
      - {name: ck_f, expression: "code LIKE 'x%'"}
)yaml");
  p.write_config(true);
  RunResult gen = p.run("revision -m initial --autogenerate");
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  require_no_drift(p);
}

namespace {

using distil::testing::Dialect;
using distil::testing::edit_add_column;
using distil::testing::generated_models;
using distil::testing::kTables;
using distil::testing::seed_rows;
using distil::testing::seeded_columns;
using distil::testing::table_name;

// Every table's seeded values, one row "tNNN|count|(v1,v2,...)" per table, by the column names
// before (false) or after (true) the edit, in one query.
std::vector<std::string> generated_snapshot(const PgProject& p, bool edited) {
  std::string sql;
  for (int i = 0; i < kTables; ++i) {
    std::string cols;
    for (const std::string& c : seeded_columns(i, edited)) cols += (cols.empty() ? "" : ", ") + c;
    if (i) sql += " UNION ALL ";
    sql += "SELECT '" + table_name(i) + "|' || count(*) || '|' || string_agg(ROW(" + cols +
           ")::text, ',') FROM " + table_name(i);
  }
  return p.query(sql + " ORDER BY 1");
}

}  // namespace

TEST_CASE("pg: a generated 200-table schema: autogenerate, upgrade, edit, upgrade, check stays clean") {
  PgProject p("generated");
  p.write_config(true);
  write_text(p.dir() / "models" / "generated.yaml", generated_models(false, Dialect::postgresql));

  RunResult gen = p.run("revision -m initial --autogenerate");
  INFO(gen.out);
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  REQUIRE(revision_files(p).size() == 1);

  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  REQUIRE(p.tables().size() == kTables + 1);
  const auto first_schema = schema_of(p);
  require_no_drift(p);

  REQUIRE_MESSAGE(p.exec(seed_rows(Dialect::postgresql)), p.last_error());
  // The defaults took: the quoted literals and CURRENT_TIMESTAMP.
  CHECK(p.query("SELECT note FROM t000") == std::vector<std::string>{"it's"});
  CHECK(p.query("SELECT note FROM t003") == std::vector<std::string>{"say \"hi\""});
  CHECK(p.query("SELECT created IS NOT NULL FROM t000") == std::vector<std::string>{"t"});
  const auto before = generated_snapshot(p, false);
  REQUIRE(before.size() == kTables);
  for (int i = 0; i < kTables; ++i) {
    INFO(before[static_cast<size_t>(i)]);
    REQUIRE(before[static_cast<size_t>(i)].starts_with(table_name(i) + "|1|("));
  }

  write_text(p.dir() / "models" / "generated.yaml", generated_models(true, Dialect::postgresql));
  RunResult gen2 = p.run("revision -m edit --autogenerate");
  INFO(gen2.out);
  INFO(gen2.err);
  REQUIRE(gen2.status == 0);
  auto files = revision_files(p);
  REQUIRE(files.size() == 2);
  const std::string text = read_text(files[1]);
  const std::string upgrade = text.substr(0, text.find("\ndowngrade:"));
  INFO("edit revision upgrade:\n" << upgrade);
  CHECK_FALSE(contains(upgrade, "drop_column"));
  CHECK(contains(upgrade, "rename_to: ident"));
  CHECK(contains(upgrade, "rename_to: remark"));

  RunResult up2 = p.run("upgrade head");
  INFO(up2.err);
  REQUIRE(up2.status == 0);
  require_no_drift(p);

  // Same count, same values; the added column holds its default.
  CHECK(generated_snapshot(p, true) == before);
  std::string added;
  for (int i = 0; i < kTables; ++i) {
    if (!edit_add_column(i)) continue;
    added += std::string(added.empty() ? "" : " UNION ALL ") + "SELECT status FROM " +
             table_name(i);
  }
  CHECK(p.query(added) == std::vector<std::string>(20, "new"));
  // The edits are in force: the wider type, the new check, the dropped index.
  CHECK(p.query("SELECT character_maximum_length FROM information_schema.columns WHERE "
                "table_name = 't003' AND column_name = 'name'") ==
        std::vector<std::string>{"120"});
  CHECK_FALSE(p.exec("UPDATE t003 SET name = ''"));
  CHECK(p.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t007_created'") ==
        std::vector<std::string>{"0"});
  CHECK(p.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t008_created'") ==
        std::vector<std::string>{"1"});
  const auto edited_schema = schema_of(p);
  CHECK(edited_schema != first_schema);

  RunResult down = p.run("downgrade base");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.versions().empty());

  RunResult again = p.run("upgrade head");
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(schema_of(p) == edited_schema);
  require_no_drift(p);
}

TEST_CASE("pg: transaction: false runs CREATE INDEX CONCURRENTLY outside a transaction") {
  PgProject p("no-transaction");
  const std::string index_up =
      "  - sql: {postgresql: \"CREATE INDEX CONCURRENTLY ix_t1_v ON t1 (v)\"}\n";
  const std::string index_down = "  - sql: {postgresql: \"DROP INDEX CONCURRENTLY ix_t1_v\"}\n";
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", create("t1"), drop("t1")));

  SUBCASE("without transaction: false: check_migration and upgrade refuse, nothing applied") {
    p.add_revision("0002_ix.yaml",
                   rev("bbbb22220002", "\"aaaa11110001\"", index_up, index_down));
    RunResult check = p.run("check_migration");
    INFO("check_migration stderr:\n" << check.err);
    CHECK(check.status == 1);
    CHECK(contains(check.err, "bbbb22220002"));
    CHECK(contains(check.err, "add `transaction: false`"));

    RunResult up = p.run("upgrade head");
    INFO("upgrade stderr:\n" << up.err);
    CHECK(up.status == 1);
    CHECK(contains(up.err, "bbbb22220002"));
    CHECK(contains(up.err, "add `transaction: false`"));
    CHECK_FALSE(has(p.tables(), "t1"));
    CHECK(p.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t1_v'") ==
          std::vector<std::string>{"0"});
    if (has(p.tables(), "alembic_version")) CHECK(p.versions().empty());
  }

  SUBCASE("with transaction: false: applied outside a transaction, valid, and undone") {
    p.add_revision("0002_ix.yaml", rev("bbbb22220002", "\"aaaa11110001\"", index_up, index_down,
                                       "transaction: false\n"));
    RunResult check = p.run("check_migration");
    INFO("check_migration stderr:\n" << check.err);
    CHECK(check.status == 0);

    RunResult sql = p.run("upgrade head --sql");
    INFO("upgrade head --sql:\n" << sql.out << sql.err);
    REQUIRE(sql.status == 0);
    const std::size_t marker = sql.out.find("-- transaction: false");
    const std::size_t stmt = sql.out.find("CREATE INDEX CONCURRENTLY ix_t1_v ON t1 (v);");
    REQUIRE(marker != std::string::npos);
    REQUIRE(stmt != std::string::npos);
    CHECK(marker < stmt);
    // Outside BEGIN/COMMIT: the last BEGIN before the statement is closed by a COMMIT before it,
    // and the statement is followed by the revision's own BEGIN (the version update).
    const std::size_t begin_before = sql.out.rfind("BEGIN;", stmt);
    const std::size_t commit_before = sql.out.rfind("COMMIT;", stmt);
    REQUIRE(begin_before != std::string::npos);
    REQUIRE(commit_before != std::string::npos);
    CHECK(commit_before > begin_before);
    const std::size_t begin_after = sql.out.find("BEGIN;", stmt);
    REQUIRE(begin_after != std::string::npos);
    CHECK(sql.out.substr(stmt, begin_after - stmt).find("COMMIT;") == std::string::npos);
    CHECK(contains(sql.out.substr(begin_after), "'bbbb22220002'"));
    // Nothing ran: --sql is offline.
    CHECK_FALSE(has(p.tables(), "t1"));

    RunResult up = p.run("upgrade head");
    INFO("upgrade stderr:\n" << up.err);
    REQUIRE(up.status == 0);
    CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
    CHECK(p.query("SELECT i.indisvalid, i.indisready FROM pg_index i JOIN pg_class c ON "
                  "c.oid = i.indexrelid WHERE c.relname = 'ix_t1_v'") ==
          std::vector<std::string>{"t|t"});
    CHECK(p.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_t1_v'") ==
          std::vector<std::string>{"CREATE INDEX ix_t1_v ON public.t1 USING btree (v)"});

    RunResult down = p.run("downgrade -1");
    INFO("downgrade stderr:\n" << down.err);
    REQUIRE(down.status == 0);
    CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
    CHECK(p.query("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_t1_v'") ==
          std::vector<std::string>{"0"});
    CHECK(has(p.tables(), "t1"));
  }
}
