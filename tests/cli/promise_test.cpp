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

#include "tests/support/cli_harness.hpp"

using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::RunResult;
using distil::testing::write_text;

namespace fs = std::filesystem;

namespace {

const std::string kRoot = DISTIL_SOURCE_DIR;
const std::string kSchemaSql = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

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

std::string pad3(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return buf;
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

// A deterministic schema of 200 tables t000..t199 that uses every model feature. Even tables
// have an autoincrement integer key and a foreign key to t(i-2).id (on_delete cascade or set
// null); odd tables a composite key (a, b) and a composite foreign key to t(i-2) (set null).
// Every table has a named and an unnamed unique, a plain and a partial index, a named and an
// unnamed check, NOT NULL DEFAULT CURRENT_TIMESTAMP and a default with quotes in it.
// `edited` applies the second step's changes (see edit_* below).
constexpr int kTables = 200;

// Ten tables each; type changes and checks need SQLite table rebuilds, the slow part, so
// they share their ten tables; t010, t030, ... get a rename, a column and a dropped index.
bool edit_rename_code(int i) { return i % 40 == 0; }                  // code -> ident
bool edit_rename_note(int i) { return i % 40 == 20 || i % 20 == 10; }  // note -> remark
bool edit_type(int i) { return i % 20 == 3; }                         // name varchar(50 -> 120)
bool edit_add_check(int i) { return i % 20 == 3; }                    // + ck_tNNN_name
bool edit_add_column(int i) { return i % 20 == 5 || i % 20 == 10; }   // + status NOT NULL 'new'
bool edit_drop_index(int i) { return i % 20 == 7 || i % 20 == 10; }   // - ix on created

std::string table_name(int i) { return "t" + pad3(i); }

std::string generated_models(bool edited) {
  std::string y = "# Generated by promise_test.cpp: 200 tables, every model feature.\ntables:\n";
  for (int i = 0; i < kTables; ++i) {
    const std::string t = table_name(i);
    const bool even = i % 2 == 0;
    const bool rn_code = edited && edit_rename_code(i);
    const bool rn_note = edited && edit_rename_note(i);
    const std::string code = rn_code ? "ident" : "code";
    const std::string note = rn_note ? "remark" : "note";
    y += "  " + t + ":\n";
    if (i % 3 == 0) y += "    comment: Generated table number " + std::to_string(i) + ".\n";
    y += "    columns:\n";
    if (even) {
      y += "      - {name: id, type: integer, primary_key: true, autoincrement: true}\n";
    } else {
      y += "      - {name: a, type: varchar(20), nullable: false}\n";
      y += "      - {name: b, type: integer, nullable: false}\n";
    }
    y += "      - {name: " + code + ", type: varchar(20), nullable: false" +
         (rn_code ? ", renamed_from: code" : "") + "}\n";
    y += "      - {name: name, type: " +
         std::string(edited && edit_type(i) ? "varchar(120)" : "varchar(50)") +
         ", nullable: false}\n";
    y += "      - {name: amount, type: \"numeric(12,2)\", nullable: false, default: \"0\"}\n";
    y += "      - {name: " + note + ", type: text, default: " +
         (even ? "\"'it''s'\"" : "\"'say \\\"hi\\\"'\"") + (rn_note ? ", renamed_from: note" : "") +
         "}\n";
    y += "      - {name: flag, type: boolean, nullable: false, default: \"" +
         std::string(i % 4 < 2 ? "0" : "1") + "\"}\n";
    y += "      - {name: created, type: timestamp, nullable: false, default: CURRENT_TIMESTAMP}\n";
    if (i >= 2) {
      if (even) {
        y += "      - {name: parent_id, type: integer}\n";
      } else {
        y += "      - {name: parent_a, type: varchar(20)}\n";
        y += "      - {name: parent_b, type: integer}\n";
      }
    }
    if (edited && edit_add_column(i)) {
      y += "      - {name: status, type: varchar(10), nullable: false, default: \"'new'\"}\n";
    }
    if (!even) y += "    primary_key: [a, b]\n";
    y += "    unique:\n";
    y += "      - {name: uq_" + t + "_code, columns: [" + code + "]}\n";
    y += even ? "      - {columns: [name]}\n" : "      - {columns: [name, b]}\n";
    y += "    indexes:\n";
    if (!(edited && edit_drop_index(i))) y += "      - {columns: [created]}\n";
    y += "      - {name: ix_" + t + "_amount_pos, columns: [amount], where: \"amount > 0\"}\n";
    if (i >= 2) {
      const std::string parent = table_name(i - 2);
      y += "    foreign_keys:\n";
      if (even) {
        y += "      - {columns: [parent_id], references: {table: " + parent +
             ", columns: [id]}, on_delete: " + (i % 4 == 0 ? "cascade" : "set null") + "}\n";
      } else {
        y += "      - {name: fk_" + t + "_parent, columns: [parent_a, parent_b], references: "
             "{table: " + parent + ", columns: [a, b]}, on_delete: set null}\n";
      }
    }
    y += "    checks:\n";
    y += "      - {name: ck_" + t + "_amount, expression: \"amount >= 0\"}\n";
    y += "      - {expression: \"length(" + code + ") <= 20\"}\n";
    if (edited && edit_add_check(i)) {
      y += "      - {name: ck_" + t + "_name, expression: \"length(name) > 0\"}\n";
    }
  }
  return y;
}

// One row per table, parents first; every odd-numbered even table leaves `note` to its default.
std::string seed_rows() {
  std::string sql;
  for (int i = 0; i < kTables; ++i) {
    const std::string t = table_name(i);
    const std::string n = pad3(i);
    const bool default_note = i % 3 == 0;
    if (i % 2 == 0) {
      sql += "INSERT INTO " + t + " (id, code, name, amount" + (default_note ? "" : ", note") +
             ", flag" + (i >= 2 ? ", parent_id" : "") + ") VALUES (1, 'c" + n + "', 'name " + n +
             "', " + std::to_string(i) + ".25" + (default_note ? "" : ", 'note " + n + "'") +
             ", 1" + (i >= 2 ? ", 1" : "") + ");\n";
    } else {
      sql += "INSERT INTO " + t + " (a, b, code, name, amount" + (default_note ? "" : ", note") +
             ", flag" + (i >= 2 ? ", parent_a, parent_b" : "") + ") VALUES ('a" + n + "', " +
             std::to_string(i) + ", 'c" + n + "', 'name " + n + "', " + std::to_string(i) +
             ".5" + (default_note ? "" : ", 'note " + n + "'") + ", 0" +
             (i >= 2 ? ", 'a" + pad3(i - 2) + "', " + std::to_string(i - 2) : "") + ");\n";
    }
  }
  return sql;
}

// The seeded columns of table i, by their names before (false) or after (true) the edit.
std::vector<std::string> seeded_columns(int i, bool edited) {
  std::vector<std::string> cols;
  if (i % 2 == 0) {
    cols = {"id"};
  } else {
    cols = {"a", "b"};
  }
  cols.push_back(edited && edit_rename_code(i) ? "ident" : "code");
  cols.insert(cols.end(), {"name", "amount"});
  cols.push_back(edited && edit_rename_note(i) ? "remark" : "note");
  cols.insert(cols.end(), {"flag", "created"});
  if (i >= 2 && i % 2 == 0) cols.push_back("parent_id");
  if (i >= 2 && i % 2 == 1) cols.insert(cols.end(), {"parent_a", "parent_b"});
  return cols;
}

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
