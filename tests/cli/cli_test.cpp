// End-to-end tests: the distil-db-manage binary against real SQLite files.
#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

#include "tests/support/revision_text.hpp"
#include "tests/support/cli_harness.hpp"

using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::RunResult;

namespace {

using distil::testing::contains;
using distil::testing::create;
using distil::testing::drop;
using distil::testing::linear;
using distil::testing::rev;

const std::string kRoot = DISTIL_SOURCE_DIR;

}  // namespace

TEST_CASE("the seed README commands work verbatim on the shipped Distil example") {
  Project p("seed");
  std::filesystem::copy(kRoot + "/migrations/versions", p.dir() / "versions",
                        std::filesystem::copy_options::recursive |
                            std::filesystem::copy_options::overwrite_existing);
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  CHECK(contains(up.err, "Running upgrade  -> 001, Juno release"));
  CHECK(contains(up.err, "Running upgrade 001 -> 002, add project lock table"));
  CHECK(p.versions() == std::vector<std::string>{"002"});
  CHECK(p.tables() == std::vector<std::string>{"alembic_version", "distil_last_run", "project_locks",
                                              "resources", "sales_orders", "tenants",
                                              "usage_entry"});
  RunResult current = p.run("current");
  CHECK(current.status == 0);
  CHECK(current.out == "002 (head)\n");

  RunResult sql = p.run("upgrade head --sql");
  CHECK(sql.status == 0);
  CHECK(contains(sql.out, "CREATE TABLE IF NOT EXISTS \"alembic_version\""));
  CHECK(contains(sql.out, "INSERT INTO \"alembic_version\" (version_num) VALUES ('001')"));
  CHECK(contains(sql.out, "UPDATE \"alembic_version\" SET version_num = '002' WHERE version_num = '001'"));

  RunResult range = p.run("upgrade 001:002 --sql");
  CHECK(range.status == 0);
  CHECK_FALSE(contains(range.out, "\"tenants\""));  // 001 is the start: not repeated
  CHECK(contains(range.out, "\"project_locks\""));

  RunResult down = p.run("downgrade --delta 1");
  CHECK(down.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"001"});
  RunResult up1 = p.run("upgrade --delta 1");
  CHECK(up1.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"002"});

  RunResult blank = p.run("revision -m \"description of revision\"");
  INFO(blank.err);
  CHECK(blank.status == 0);
  auto blank_file = p.dir() / "versions" / "0003_description_of_revision.yaml";
  REQUIRE(std::filesystem::exists(blank_file));
  CHECK(contains(read_text(blank_file), "down_revision: \"002\""));

  RunResult check = p.run("check_migration");
  CHECK(check.status == 0);
  RunResult history = p.run("history");
  CHECK(history.status == 0);
  CHECK(contains(history.out, "001 -> 002, add project lock table"));
  CHECK(contains(history.out, "<base> -> 001, Juno release"));

  RunResult stamp = p.run("stamp 001");
  CHECK(stamp.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"001"});
}

TEST_CASE("offline upgrade --sql applied with sqlite3 gives the same schema as upgrade") {
  Project online("sql-online");
  linear(online);
  online.add_revision("0004_d.yaml",
                      rev("dddd44440004", "\"cccc33330003\"",
                          "  - alter_column: {table: t1, column: v, type: varchar(20), existing: "
                          "{type: text, nullable: true}}\n",
                          "  - alter_column: {table: t1, column: v, type: text, existing: {type: "
                          "varchar(20), nullable: true}}\n"));
  REQUIRE(online.run("upgrade head").status == 0);
  RunResult sql = online.run("upgrade head --sql");
  REQUIRE(sql.status == 0);
  CHECK(contains(sql.out, "PRAGMA foreign_keys=OFF"));
  Project offline("sql-offline");
  REQUIRE(offline.exec(sql.out));
  std::string schema_sql = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";
  CHECK(offline.query(schema_sql) == online.query(schema_sql));
  CHECK(offline.versions() == online.versions());
}

TEST_CASE("a failing revision leaves the database exactly at the previous revision") {
  Project p("failing");
  linear(p);
  p.add_revision("0004_bad.yaml",
                 rev("dddd44440004", "\"cccc33330003\"",
                     create("t4") + "  - sql: \"INSERT INTO no_such_table VALUES (1)\"\n", drop("t4")));
  RunResult r = p.run("upgrade head");
  CHECK(r.status == 1);
  CHECK(contains(r.err, "dddd44440004"));
  CHECK(contains(r.err, "0004_bad.yaml"));
  CHECK(contains(r.err, "no_such_table"));
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
  auto tables = p.tables();
  CHECK(std::find(tables.begin(), tables.end(), "t4") == tables.end());
  CHECK(std::find(tables.begin(), tables.end(), "t3") != tables.end());
}

TEST_CASE("downgrade -1, downgrade base and upgrade +2 move along the history") {
  Project p("relative");
  linear(p);
  REQUIRE(p.run("upgrade +2").status == 0);
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  REQUIRE(p.run("upgrade head").status == 0);
  RunResult down = p.run("downgrade -1");
  INFO(down.err);
  CHECK(down.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  CHECK(p.run("downgrade base").status == 0);
  CHECK(p.versions().empty());
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.run("upgrade bbbb").status == 0);  // a unique prefix
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
}

TEST_CASE("a table rebuild keeps every row, including ON DELETE CASCADE children of the parent") {
  Project p("rebuild");
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
  REQUIRE(p.exec("INSERT INTO parent VALUES (1, 'a'), (2, 'b'); INSERT INTO child VALUES (10, 1), "
                 "(20, 2), (30, 2);"));
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"3"});
  CHECK(p.query("SELECT id, label FROM parent ORDER BY id") ==
        std::vector<std::string>{"1|a", "2|b"});
  CHECK(p.query("PRAGMA foreign_key_check").empty());
  // No rebuild leftovers: the only _distil_ table is the revision-hash side table.
  CHECK(p.query("SELECT name FROM sqlite_schema WHERE name LIKE '\\_distil%' ESCAPE '\\'") ==
        std::vector<std::string>{"_distil_revision_hashes"});
  // NOT NULL is in force after the rebuild.
  CHECK_FALSE(p.exec("INSERT INTO parent VALUES (3, NULL)"));
  REQUIRE(p.run("downgrade p1").status == 0);
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"3"});
  CHECK(p.exec("INSERT INTO parent VALUES (3, NULL)"));
}

TEST_CASE("one upgrade run follows its own changes: raw SQL, renames and rebuilds in a row") {
  // The runner introspects a table once per run and then simulates the ops it ran; raw SQL
  // (which the simulator cannot follow) must make it read the live table again.
  Project p("follow");
  p.add_revision("0001_t.yaml",
                 rev("f1", "",
                     "  - create_table: {name: t, columns: [{name: id, type: integer, "
                     "primary_key: true}, {name: a, type: text}]}\n",
                     drop("t")));
  p.add_revision("0002_raw.yaml",
                 rev("f2", "\"f1\"",
                     // add_column reads t first, so the raw SQL changes a table already read.
                     "  - add_column: {table: t, column: {name: z, type: integer}}\n"
                     "  - sql: \"ALTER TABLE t ADD COLUMN b text\"\n"
                     "  - sql: \"CREATE TABLE w (id integer PRIMARY KEY)\"\n",
                     "  - sql: \"DROP TABLE w\"\n"
                     "  - sql: \"ALTER TABLE t DROP COLUMN b\"\n"
                     "  - drop_column: {table: t, column: z}\n"));
  // Needs to know column b (added by raw SQL): a SQLite rebuild copies every column.
  p.add_revision("0003_alter.yaml",
                 rev("f3", "\"f2\"",
                     "  - alter_column: {table: t, column: b, type: varchar(9), existing: {type: "
                     "text}}\n  - alter_column: {table: t, column: a, rename_to: a2, existing: "
                     "{type: text}}\n"
                     // w was created by raw SQL: the run must know it exists.
                     "  - add_column: {table: w, column: {name: q, type: text}}\n",
                     "  - drop_column: {table: w, column: q}\n"
                     "  - alter_column: {table: t, column: a2, rename_to: a, existing: {type: "
                     "text}}\n  - alter_column: {table: t, column: b, type: text, existing: "
                     "{type: varchar(9)}}\n"));
  p.add_revision("0004_more.yaml",
                 rev("f4", "\"f3\"",
                     "  - add_column: {table: t, column: {name: c, type: integer, default: \"0\"}}\n"
                     "  - create_index: {table: t, name: ix_t_a2, columns: [a2]}\n"
                     "  - rename_table: {from: t, to: u}\n"
                     "  - alter_column: {table: u, column: c, nullable: false, existing: {type: "
                     "integer, nullable: true}}\n",
                     "  - alter_column: {table: u, column: c, nullable: true, existing: {type: "
                     "integer, nullable: false}}\n  - rename_table: {from: u, to: t}\n"
                     "  - drop_index: {table: t, name: ix_t_a2}\n"
                     "  - drop_column: {table: t, column: c}\n"));
  RunResult first = p.run("upgrade f1");
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(p.exec("INSERT INTO t VALUES (1, 'x')"));
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  auto joined = [](const std::vector<std::string>& rows) {
    std::string out;
    for (const auto& row : rows) out += row + ";";
    return out;
  };
  CHECK(joined(p.query("SELECT name, lower(type), \"notnull\" FROM pragma_table_info('u') ORDER BY cid")) ==
        "id|integer|1;a2|text|0;z|integer|0;b|varchar(9)|0;c|integer|1;");
  CHECK(p.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'u' AND sql IS "
                "NOT NULL") == std::vector<std::string>{"ix_t_a2"});
  CHECK(joined(p.query("SELECT name FROM pragma_table_info('w') ORDER BY cid")) == "id;q;");
  RunResult down = p.run("downgrade f1");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(joined(p.query("SELECT name, lower(type) FROM pragma_table_info('t') ORDER BY cid")) ==
        "id|integer;a|text;");
  CHECK(p.query("SELECT id, a FROM t") == std::vector<std::string>{"1|x"});
}

TEST_CASE("a rebuild that would break a foreign key rolls back the whole revision") {
  Project p("fk-violation");
  p.add_revision("0001.yaml", rev("f1", "",
                                  "  - create_table: {name: parent, columns: [{name: id, type: "
                                  "integer, primary_key: true}]}\n"
                                  "  - create_table: {name: child, columns: [{name: id, type: "
                                  "integer, primary_key: true}, {name: parent_id, type: integer}]}\n",
                                  drop("child") + drop("parent")));
  p.add_revision("0002.yaml",
                 rev("f2", "\"f1\"",
                     "  - create_foreign_key: {table: child, name: fk_child_parent, columns: "
                     "[parent_id], references: {table: parent, columns: [id]}}\n",
                     "  - drop_constraint: {table: child, name: fk_child_parent}\n"));
  REQUIRE(p.run("upgrade f1").status == 0);
  REQUIRE(p.exec("INSERT INTO child VALUES (1, 99)"));  // an orphan
  RunResult r = p.run("upgrade head");
  CHECK(r.status == 1);
  CHECK(contains(r.err, "f2"));
  CHECK(p.versions() == std::vector<std::string>{"f1"});
  CHECK(p.query("SELECT sql FROM sqlite_schema WHERE name = 'child'")[0].find("fk_child_parent") ==
        std::string::npos);
  CHECK(p.query("SELECT count(*) FROM child") == std::vector<std::string>{"1"});
}

TEST_CASE("two upgrade head runs at once apply every revision exactly once") {
  Project p("concurrent");
  std::string upgrade_log =
      "  - sql: \"CREATE TABLE IF NOT EXISTS applied_log (rev TEXT)\"\n";
  std::string prev;
  for (int i = 1; i <= 12; ++i) {
    std::string id = "c" + std::to_string(1000 + i);
    // Each revision is slow enough (a recursive count) that the runs overlap.
    std::string up = upgrade_log +
                     "  - sql: \"INSERT INTO applied_log SELECT '" + id +
                     "' FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x "
                     "< 200000) SELECT max(x) FROM n)\"\n";
    p.add_revision("00" + std::to_string(10 + i) + "_r.yaml",
                   rev(id, prev.empty() ? "" : "\"" + prev + "\"", up, "  []\n"));
    prev = id;
  }
  RunResult a, b;
  std::thread ta([&] { a = p.run("upgrade head"); });
  std::thread tb([&] { b = p.run("upgrade head"); });
  ta.join();
  tb.join();
  INFO(a.err);
  INFO(b.err);
  CHECK(a.status == 0);
  CHECK(b.status == 0);
  CHECK(p.query("SELECT count(*), count(DISTINCT rev) FROM applied_log") ==
        std::vector<std::string>{"12|12"});
  CHECK(p.versions() == std::vector<std::string>{"c1012"});
  // One of the two found nothing to do.
  CHECK((contains(a.err, "Nothing to do") || contains(b.err, "Nothing to do")));
}

TEST_CASE("bad input gets a located message and the right exit status") {
  Project p("errors");
  linear(p);
  SUBCASE("an unsupported dialect is a config error") {
    RunResult r = p.run("--database-url mysql://u@h/db upgrade head");
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unsupported dialect \"mysql\""));
  }
  SUBCASE("a malformed config names the file and line") {
    distil::testing::write_text(p.dir() / "bad.conf", "[database]\nconnection sqlite:///x.db\n");
    RunResult r = p.run("--config-file bad.conf current", false);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "bad.conf:2:"));
  }
  SUBCASE("a missing config file is a config error") {
    RunResult r = p.run("--config-file nope.conf current", false);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "nope.conf"));
  }
  SUBCASE("malformed revision YAML names the file and line and changes nothing") {
    p.add_revision("0004_broken.yaml", "revision: \"d4\"\ndown_revision: \"cccc33330003\"\nupgrade:\n  - create_table: {name: [\n");
    RunResult r = p.run("upgrade head");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "0004_broken.yaml:"));
    CHECK_FALSE(std::filesystem::exists(p.db_path()));
  }
  SUBCASE("an op with a missing field names the op") {
    p.add_revision("0004_missing.yaml",
                   rev("d4", "\"cccc33330003\"", "  - add_column: {table: t1, column: {name: x}}\n",
                       "  []\n"));
    RunResult r = p.run("upgrade head");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "0004_missing.yaml:"));
    CHECK(contains(r.err, "type"));
  }
  SUBCASE("an unknown target is a usage error") {
    RunResult r = p.run("upgrade zzzz");
    CHECK(r.status == 2);
    CHECK(contains(r.err, "zzzz"));
    CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  }
  SUBCASE("an unknown command is a usage error") {
    CHECK(p.run("frobnicate").status == 2);
  }
  SUBCASE("a range without --sql is a usage error") {
    CHECK(p.run("upgrade aaaa11110001:cccc33330003").status == 2);
  }
  SUBCASE("a version table naming a revision no file has: clear error, stamp --purge repairs") {
    REQUIRE(p.run("upgrade head").status == 0);
    REQUIRE(p.exec("UPDATE alembic_version SET version_num = 'gone12345678'"));
    RunResult r = p.run("upgrade head");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "gone12345678"));
    CHECK(contains(r.err, "stamp"));
    CHECK(p.run("current").status == 1);
    RunResult s = p.run("stamp --purge cccc33330003");
    INFO(s.err);
    CHECK(s.status == 0);
    CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
    CHECK(p.run("current").status == 0);
  }
}

TEST_CASE("check_migration fails on a branched, cyclic, broken or duplicated history") {
  Project p("check");
  linear(p);
  CHECK(p.run("check_migration").status == 0);
  SUBCASE("two heads of one branch are named with their branch point") {
    p.add_revision("0004_x.yaml", rev("dddd44440004", "\"bbbb22220002\"", create("t4"), drop("t4")));
    RunResult r = p.run("check_migration");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "cccc33330003"));
    CHECK(contains(r.err, "dddd44440004"));
    CHECK(contains(r.err, "bbbb22220002"));
    // revision refuses to guess a parent, merge joins the heads.
    CHECK(p.run("revision -m next").status == 2);
    RunResult m = p.run("merge -m \"join heads\" heads");
    INFO(m.err);
    CHECK(m.status == 0);
    CHECK(p.run("check_migration").status == 0);
    RunResult up = p.run("upgrade head");
    CHECK(up.status == 0);
    CHECK(p.versions().size() == 1);
    CHECK(p.tables().size() == 5);
  }
  SUBCASE("a missing parent is named") {
    p.add_revision("0004_x.yaml", rev("dddd44440004", "\"nothere\"", create("t4"), drop("t4")));
    RunResult r = p.run("check_migration");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "nothere"));
  }
  SUBCASE("a duplicate id names both files") {
    p.add_revision("0004_x.yaml", rev("cccc33330003", "\"bbbb22220002\"", create("t4"), drop("t4")));
    RunResult r = p.run("check_migration");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "0003_c.yaml"));
    CHECK(contains(r.err, "0004_x.yaml"));
  }
  SUBCASE("a cycle names its revisions") {
    p.add_revision("0001_a.yaml", rev("aaaa11110001", "\"cccc33330003\"", create("t1"), drop("t1")));
    RunResult r = p.run("check_migration");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "cycle"));
    CHECK(contains(r.err, "aaaa11110001"));
  }
}

TEST_CASE("heads, branches, show and history -r describe the graph as Alembic does") {
  Project p("describe");
  linear(p);
  p.add_revision("0004_x.yaml", rev("dddd44440004", "\"bbbb22220002\"", create("t4"), drop("t4")));
  RunResult heads = p.run("heads");
  CHECK(heads.out == "cccc33330003 (head)\ndddd44440004 (head)\n");
  RunResult branches = p.run("branches");
  CHECK(contains(branches.out, "bbbb22220002 (branchpoint)"));
  CHECK(contains(branches.out, "-> cccc33330003 (head), rev cccc33330003"));
  RunResult show = p.run("show bbbb");
  CHECK(contains(show.out, "Rev: bbbb22220002 (branchpoint)"));
  CHECK(contains(show.out, "Parent: aaaa11110001"));
  RunResult range = p.run("history -r aaaa11110001:bbbb22220002");
  CHECK(range.out ==
        "aaaa11110001 -> bbbb22220002 (branchpoint), rev bbbb22220002\n"
        "<base> -> aaaa11110001, rev aaaa11110001\n");
  RunResult verbose = p.run("history --verbose");
  CHECK(contains(verbose.out, "Revision ID: dddd44440004"));
  RunResult upgrade_heads = p.run("upgrade heads");
  CHECK(upgrade_heads.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003", "dddd44440004"});
  RunResult head = p.run("upgrade head");
  CHECK(head.status == 2);
  CHECK(contains(head.err, "Multiple head"));
}

TEST_CASE("stamp --sql and downgrade --sql print scripts without touching a database") {
  Project p("offline");
  linear(p);
  RunResult stamp = p.run("stamp cccc33330003 --sql");
  CHECK(stamp.status == 0);
  CHECK(contains(stamp.out, "INSERT INTO \"alembic_version\" (version_num) VALUES ('cccc33330003')"));
  RunResult down = p.run("downgrade cccc33330003:aaaa11110001 --sql");
  INFO(down.err);
  CHECK(down.status == 0);
  CHECK(contains(down.out, "DROP TABLE \"t3\""));
  CHECK(contains(down.out, "DROP TABLE \"t2\""));
  CHECK_FALSE(contains(down.out, "DROP TABLE \"t1\""));
  CHECK(p.run("downgrade aaaa11110001 --sql").status == 2);
  CHECK_FALSE(std::filesystem::exists(p.db_path()));
}

TEST_CASE("a PostgreSQL syntax error in a revision stops every command before anything runs") {
  Project p("pg-syntax");
  linear(p);
  p.add_revision("0004_raw.yaml",
                 rev("dddd44440004", "\"cccc33330003\"",
                     create("t4") +
                         "  - sql: {sqlite: \"SELECT 1\", postgresql: \"SELEC 1 FROM t4\"}\n",
                     drop("t4")));
  RunResult check = p.run("check_migration");
  CHECK(check.status == 1);
  CHECK(contains(check.err, "0004_raw.yaml:"));
  CHECK(contains(check.err, "revision dddd44440004"));
  CHECK(contains(check.err, "upgrade op 2"));
  CHECK(contains(check.err, "position"));
  RunResult up = p.run("upgrade head");
  CHECK(up.status == 1);
  CHECK_FALSE(std::filesystem::exists(p.db_path()));
}

TEST_CASE("upgrade on PostgreSQL names a broken revision file before any connection problem") {
  // The connection is opened while the files are parsed (cli/commands/migrate.cpp); the
  // revision's error still comes first, and once the files are right the server's.
  Project p("pg-order");
  linear(p);
  p.add_revision("0004_bad.yaml", "revision: dddd44440004\ndown_revision: cccc33330003\n"
                                  "upgrade: [{drop_table: {}}]\n");
  const std::string no_server = "--database-url postgresql://127.0.0.1:1/nothing ";
  for (const char* command : {"upgrade head", "downgrade base"}) {
    CAPTURE(command);
    RunResult broken = p.run(no_server + command);
    CHECK(broken.status == 1);
    CHECK(contains(broken.err, "0004_bad.yaml:3"));
    CHECK_FALSE(contains(broken.err, "127.0.0.1"));
  }
  std::filesystem::remove(p.dir() / "versions" / "0004_bad.yaml");
  RunResult unreachable = p.run(no_server + "upgrade head");
  CHECK(unreachable.status == 1);
  CHECK(contains(unreachable.err, "127.0.0.1"));
}
