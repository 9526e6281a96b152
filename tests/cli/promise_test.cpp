// The promise (DESIGN §7), end to end: models -> `revision --autogenerate` -> `upgrade head`
// -> `check` reports nothing, every seeded row survives, and `downgrade base` + `upgrade head`
// rebuilds exactly the same schema. Once on the shipped Distil example, once on a generated
// schema of 200 tables that uses every model feature.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/revision_text.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/generated_schema.hpp"

using distil::testing::edit_add_column;
using distil::testing::generated_models;
using distil::testing::kTables;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::RunResult;
using distil::testing::seed_rows;
using distil::testing::seeded_columns;
using distil::testing::table_name;
using distil::testing::write_text;

namespace fs = std::filesystem;

namespace {

const std::string kRoot = DISTIL_SOURCE_DIR;
const std::string kSchemaSql = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";

using distil::testing::contains;

// Points the project's config at a models folder inside it.
void use_models(const Project& p) {
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
}

std::vector<fs::path> revision_files(const Project& p) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(p.dir() / "versions")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// `check` must find nothing: exit 0 and no pending ops on stdout. A CHECK, not a REQUIRE: the
// rest of the scenario (rows, downgrade, re-upgrade) still runs after a false positive.
void check_no_drift(const Project& p) {
  RunResult check = p.run("check");
  INFO("check stdout:\n" << check.out);
  INFO("check stderr:\n" << check.err);
  CHECK(check.status == 0);
  CHECK(check.out.empty());
}

}  // namespace

TEST_CASE("the shipped Distil example: autogenerate renames sales_orders columns and check is clean") {
  Project p("promise-distil");
  fs::copy(kRoot + "/migrations/versions", p.dir() / "versions",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::copy(kRoot + "/schemas/distil", p.dir() / "models", fs::copy_options::recursive);
  use_models(p);

  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  REQUIRE(p.versions() == std::vector<std::string>{"002"});

  REQUIRE(p.exec(
      "INSERT INTO tenants VALUES ('t1', 'Tenant One', '{\"a\": 1}', '2026-01-01 00:00:00', "
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
      "INSERT INTO distil_last_run VALUES (1, '2026-03-01 00:00:00');"));

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
  // A rename, not drop+add: the upgrade drops no column (the downgrade drops `currency`).
  const std::string upgrade = text.substr(0, text.find("\ndowngrade:"));
  CHECK_FALSE(contains(upgrade, "drop_column"));
  CHECK_FALSE(contains(upgrade, "DESTRUCTIVE"));

  RunResult up2 = p.run("upgrade head");
  INFO(up2.err);
  REQUIRE(up2.status == 0);
  check_no_drift(p);

  CHECK(p.query("SELECT * FROM tenants ORDER BY id") ==
        std::vector<std::string>{
            "t1|Tenant One|{\"a\": 1}|2026-01-01 00:00:00|2026-01-02 00:00:00",
            "t2|Tenant 'Two'|NULL|2026-02-01 00:00:00|2026-02-02 00:00:00"});
  CHECK(p.query("SELECT * FROM resources ORDER BY id") ==
        std::vector<std::string>{"r1|t1|vm|2026-01-01 01:00:00", "r2|t2|NULL|2026-02-01 01:00:00"});
  CHECK(p.query("SELECT service, unit, volume, resource_id, tenant_id, start, \"end\", created "
                "FROM usage_entry ORDER BY service") ==
        std::vector<std::string>{
            "compute|hour|12.5|r1|t1|2026-01-01 00:00:00|2026-01-01 01:00:00|2026-01-01 02:00:00",
            "storage|NULL|3.25|r2|t2|2026-02-01 00:00:00|2026-02-01 01:00:00|2026-02-01 02:00:00"});
  CHECK(p.query("SELECT id, tenant_id, start, \"end\", currency FROM sales_orders ORDER BY id") ==
        std::vector<std::string>{"1|t1|2026-01-01 00:00:00|2026-02-01 00:00:00|NZD",
                                 "2|t2|2026-02-01 00:00:00|2026-03-01 00:00:00|NZD"});
  CHECK(p.query("SELECT * FROM project_locks") ==
        std::vector<std::string>{"2026-01-01 00:00:00|p1|collector-1"});
  CHECK(p.query("SELECT * FROM distil_last_run") ==
        std::vector<std::string>{"1|2026-03-01 00:00:00"});
  CHECK(p.query("PRAGMA foreign_key_check").empty());

  const auto schema = p.query(kSchemaSql);
  RunResult down = p.run("downgrade base");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.versions().empty());

  RunResult again = p.run("upgrade head");
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(p.query(kSchemaSql) == schema);
  check_no_drift(p);
}

namespace {

// Every table's seeded values, one row "tNNN|count|quote(v1)|quote(v2)..." per table (quote()
// shows the storage class too), in one query: opening the 200-table database per query is slow.
std::vector<std::string> snapshot(const Project& p, bool edited) {
  std::string sql;
  for (int i = 0; i < kTables; ++i) {
    std::string values;
    for (const std::string& c : seeded_columns(i, edited)) {
      values += " || '|' || group_concat(quote(" + c + "))";
    }
    if (i) sql += " UNION ALL ";
    sql += "SELECT '" + table_name(i) + "|' || count(*)" + values + " FROM " + table_name(i);
  }
  return p.query(sql);
}

}  // namespace

TEST_CASE("a generated 200-table schema: autogenerate, upgrade, edit, upgrade, check stays clean") {
  Project p("promise-generated");
  use_models(p);
  write_text(p.dir() / "models" / "generated.yaml", generated_models(false));

  RunResult gen = p.run("revision -m initial --autogenerate");
  INFO(gen.out);
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  REQUIRE(revision_files(p).size() == 1);

  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  REQUIRE(p.tables().size() == kTables + 1);
  const auto first_schema = p.query(kSchemaSql);
  check_no_drift(p);

  REQUIRE(p.exec(seed_rows()));
  // The defaults took: the quoted literal and CURRENT_TIMESTAMP.
  CHECK(p.query("SELECT note FROM t000") == std::vector<std::string>{"it's"});
  CHECK(p.query("SELECT note FROM t003") == std::vector<std::string>{"say \"hi\""});
  CHECK(p.query("SELECT created IS NOT NULL FROM t000") == std::vector<std::string>{"1"});
  const auto before = snapshot(p, false);
  REQUIRE(before.size() == kTables);
  for (int i = 0; i < kTables; ++i) {
    INFO(before[static_cast<size_t>(i)]);
    REQUIRE(before[static_cast<size_t>(i)].starts_with(table_name(i) + "|1|"));
  }

  write_text(p.dir() / "models" / "generated.yaml", generated_models(true));
  RunResult gen2 = p.run("revision -m edit --autogenerate");
  INFO(gen2.out);
  INFO(gen2.err);
  REQUIRE(gen2.status == 0);
  auto files = revision_files(p);
  REQUIRE(files.size() == 2);
  const std::string text = read_text(files[1]);
  const std::string upgrade = text.substr(0, text.find("\ndowngrade:"));
  INFO("edit revision upgrade:\n" << upgrade);
  // Renames are renames: no column of the seeded rows is dropped.
  CHECK_FALSE(contains(upgrade, "drop_column"));
  CHECK(contains(upgrade, "rename_to: ident"));
  CHECK(contains(upgrade, "rename_to: remark"));

  RunResult up2 = p.run("upgrade head");
  INFO(up2.err);
  REQUIRE(up2.status == 0);
  check_no_drift(p);

  // Same count, same values, same storage classes; the added column holds its default.
  CHECK(snapshot(p, true) == before);
  std::string added;
  for (int i = 0; i < kTables; ++i) {
    if (!edit_add_column(i)) continue;
    added += std::string(added.empty() ? "" : " UNION ALL ") + "SELECT status FROM " +
             table_name(i);
  }
  CHECK(p.query(added) == std::vector<std::string>(20, "new"));
  CHECK(p.query("PRAGMA foreign_key_check").empty());
  // The edits are in force: the new check rejects an empty name, the dropped index is gone.
  CHECK_FALSE(p.exec("UPDATE t003 SET name = ''"));
  CHECK(p.query("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_t007_created'") ==
        std::vector<std::string>{"0"});
  CHECK(p.query("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_t008_created'") ==
        std::vector<std::string>{"1"});
  const auto edited_schema = p.query(kSchemaSql);
  CHECK(edited_schema != first_schema);

  RunResult down = p.run("downgrade base");
  INFO(down.err);
  REQUIRE(down.status == 0);
  CHECK(p.tables() == std::vector<std::string>{"alembic_version"});
  CHECK(p.versions().empty());

  RunResult again = p.run("upgrade head");
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(p.query(kSchemaSql) == edited_schema);
  check_no_drift(p);
}
