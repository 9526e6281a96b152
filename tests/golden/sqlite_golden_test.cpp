// Golden tests of the SQLite emitter: tests/golden/sqlite/*.case (one scenario each, format
// below) render to exactly the expected SQL, and that SQL runs on a real SQLite database
// without losing a row. DISTIL_UPDATE_GOLDEN=1 rewrites the expected sections.
//
// Case sections (`-- name --` lines; a header of `# name:` / `# why:` lines first):
//   setup.yaml    ops (usually create_table) that build the starting schema; optional
//   triggers.sql  CREATE TRIGGER statements (each ending in END;) the SchemaSource reports
//   ops.yaml      the ops to render
//   sqlite.sql    the expected SQL, each statement followed by ";\n"   } exactly one
//   error         a substring of the expected render error                }
// Used only when executing the SQL on a real database:
//   seed.sql      statements run after setup (rows, views); rows must survive the migration
//   verify.sql    queries run after the migration; each must return a true first value
//   exec error    a substring of the expected run-time error; the migration must roll back
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "emitters/sql/sqlite/render.hpp"
#include "model/op.hpp"
#include "model/yaml/revision_io.hpp"
#include "tests/support/case_file.hpp"

namespace fs = std::filesystem;
namespace model = distil::model;
namespace emitters = distil::emitters;

namespace {

const fs::path kCaseDir = fs::path(DISTIL_SOURCE_DIR) / "tests" / "golden" / "sqlite";

using distil::testing::case_paths;
using distil::testing::CaseFile;
using distil::testing::read_case;
using distil::testing::Section;
using distil::testing::update_golden;
using distil::testing::write_case;

std::string trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// CREATE TRIGGER statements, each ending with a line that ends in "END;".
std::vector<std::string> split_triggers(const std::string& body) {
  std::vector<std::string> out;
  std::string current;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    current += line + "\n";
    if (upper(trim(line)).ends_with("END;")) {
      out.push_back(trim(current));
      current.clear();
    }
  }
  if (!trim(current).empty()) out.push_back(trim(current));
  return out;
}

// The table a CREATE TRIGGER statement is on: the name after " ON ".
std::string trigger_table(const std::string& sql) {
  const std::string u = upper(sql);
  size_t on = u.find(" ON ");
  if (on == std::string::npos) return {};
  size_t i = on + 4;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  std::string name;
  if (i < sql.size() && sql[i] == '"') {
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == '"') {
        if (i + 1 < sql.size() && sql[i + 1] == '"') {
          name += '"';
          ++i;
          continue;
        }
        break;
      }
      name += sql[i];
    }
  } else {
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
      name += sql[i++];
    }
  }
  return name;
}

// ---------------------------------------------------------------------------------------
// Rendering a case

struct Outcome {
  std::string setup_error;  // a broken case file, not a finding
  std::string setup_sql;    // DDL of the starting schema (setup ops rendered)
  std::string sql;          // the rendered ops, each statement followed by ";\n"
  std::string error;        // format_error of the op that failed to render
  bool rebuild = false;
  std::vector<std::string> triggers;
};

// A SchemaSource over a simulated schema (as the offline --sql mode has it).
emitters::SchemaSource simulated_source(const model::Schema& schema,
                                        const std::vector<std::string>& triggers) {
  return emitters::SchemaSource{
      .table = [&schema](std::string_view name) -> model::Result<model::Table> {
        if (const model::Table* t = schema.find_table(name)) return *t;
        return model::fail(model::Error{.code = model::ErrorCode::model,
                                        .message = "the table does not exist",
                                        .where = {.table = std::string(name)}});
      },
      .triggers =
          [&triggers](std::string_view name) {
            std::vector<std::string> out;
            for (const std::string& t : triggers) {
              if (trigger_table(t) == name) out.push_back(t);
            }
            return out;
          },
  };
}

std::string join_statements(const std::vector<std::string>& statements) {
  std::string out;
  for (const std::string& s : statements) out += s + ";\n";
  return out;
}

Outcome run_case(const CaseFile& file) {
  Outcome out;
  const std::string path = file.path.string();
  if (const Section* t = file.find("triggers.sql")) out.triggers = split_triggers(t->body);
  model::Schema schema;
  const emitters::SchemaSource source = simulated_source(schema, out.triggers);
  if (const Section* setup = file.find("setup.yaml")) {
    auto ops = model::yaml::parse_ops(setup->body, path, setup->line);
    if (!ops) {
      out.setup_error = model::format_error(ops.error());
      return out;
    }
    for (const model::Op& op : *ops) {
      auto sql = emitters::sqlite::render(op, source);
      auto applied = model::apply(schema, op);
      if (!sql || !applied) {
        out.setup_error = model::format_error(sql ? applied.error() : sql.error());
        return out;
      }
      out.setup_sql += join_statements(sql->statements);
    }
  }
  const Section* ops_section = file.find("ops.yaml");
  if (!ops_section) {
    out.setup_error = path + ": no -- ops.yaml -- section";
    return out;
  }
  auto ops = model::yaml::parse_ops(ops_section->body, path, ops_section->line);
  if (!ops) {
    out.error = model::format_error(ops.error());
    return out;
  }
  for (const model::Op& op : *ops) {
    auto rendered = emitters::sqlite::render(op, source);
    if (!rendered) {
      out.error = model::format_error(rendered.error());
      return out;
    }
    out.sql += join_statements(rendered->statements);
    out.rebuild = out.rebuild || rendered->rebuild;
    // Later ops see earlier ones, as in a revision.
    if (!std::holds_alternative<model::RawSql>(op)) {
      auto applied = model::apply(schema, op);
      if (!applied) {
        out.error = "rendered, but apply() failed: " + model::format_error(applied.error());
        return out;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// A real SQLite database

class Db {
 public:
  Db() { sqlite3_open(":memory:", &db_); }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs a script; "" on success, else SQLite's message.
  std::string exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return {};
    std::string error = message ? message : "unknown error";
    sqlite3_free(message);
    return error;
  }

  // The first value of the first row of each statement of `sql`, as text ("" for none).
  std::vector<std::string> query_each(const std::string& sql, std::string* error = nullptr) {
    std::vector<std::string> values;
    const char* tail = sql.c_str();
    while (tail && *tail) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail) != SQLITE_OK) {
        if (error) *error = sqlite3_errmsg(db_);
        return values;
      }
      if (!stmt) continue;  // whitespace or comment
      std::string value;
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
        value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      } else if (rc != SQLITE_ROW && rc != SQLITE_DONE && error) {
        *error = sqlite3_errmsg(db_);
      }
      sqlite3_finalize(stmt);
      values.push_back(value);
    }
    return values;
  }

  std::string value(const std::string& sql) {
    std::string error;
    auto values = query_each(sql, &error);
    REQUIRE_MESSAGE(error.empty(), sql << ": " << error);
    return values.empty() ? "" : values.front();
  }

  // Row count of every table (and the full schema text), to compare before and after.
  std::map<std::string, std::string> row_counts() {
    std::map<std::string, std::string> counts;
    for (const std::string& table : names("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
      counts[table] = value("SELECT count(*) FROM " + emitters::quote_identifier(table));
    }
    return counts;
  }

  std::string schema_sql() {
    std::string out;
    for (const std::string& sql : names("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
                                        "ORDER BY type, name")) {
      out += sql + ";\n";
    }
    return out;
  }

  std::vector<std::string> names(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  bool in_transaction() { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_ = nullptr;
};

// Runs migration SQL as the runner does: a rebuild gets PRAGMA foreign_keys=OFF outside the
// transaction and ON again after COMMIT. "" on success; on failure rolls back.
std::string run_migration(Db& db, const std::string& sql, bool rebuild) {
  if (rebuild) db.exec("PRAGMA foreign_keys=OFF");
  std::string error = db.exec("BEGIN;\n" + sql + "COMMIT;");
  if (!error.empty() && db.in_transaction()) db.exec("ROLLBACK");
  db.exec("PRAGMA foreign_keys=ON");
  return error;
}

}  // namespace

// ---------------------------------------------------------------------------------------

TEST_CASE("every SQLite golden case renders exactly its expected SQL or error") {
  const auto paths = case_paths(kCaseDir);
  REQUIRE_MESSAGE(!paths.empty(), "no case files in " << kCaseDir);
  for (const fs::path& path : paths) {
    INFO("case file: ", path.string());
    CaseFile file = read_case(path);
    const Outcome outcome = run_case(file);
    CHECK_MESSAGE(outcome.setup_error.empty(), outcome.setup_error);
    if (!outcome.setup_error.empty()) continue;
    const Section* expected_sql = file.find("sqlite.sql");
    const Section* expected_error = file.find("error");
    CHECK_MESSAGE((expected_sql != nullptr) != (expected_error != nullptr),
                  "a case needs exactly one of -- sqlite.sql -- and -- error --");
    CHECK_MESSAGE(file.header.find("# name:") != std::string::npos, "header needs # name:");
    CHECK_MESSAGE(file.header.find("# why:") != std::string::npos, "header needs # why:");
    if (update_golden()) {
      if (outcome.error.empty()) {
        file.erase("error");
        file.set("sqlite.sql", outcome.sql);
      } else {
        file.erase("sqlite.sql");
        file.set("error", outcome.error + "\n");
      }
      write_case(file);
      continue;
    }
    if (expected_error) {
      CHECK_MESSAGE(!outcome.error.empty(), "rendered instead of failing:\n" << outcome.sql);
      const std::string want = trim(expected_error->body);
      CHECK_MESSAGE(outcome.error.find(want) != std::string::npos,
                    "error \"" << outcome.error << "\" does not contain \"" << want << "\"");
    } else if (expected_sql) {
      CHECK_MESSAGE(outcome.error.empty(), outcome.error);
      CHECK(outcome.sql == expected_sql->body);
    }
  }
}

TEST_CASE("every SQLite golden case's SQL runs on a real database and keeps every row") {
  for (const fs::path& path : case_paths(kCaseDir)) {
    INFO("case file: ", path.string());
    const CaseFile file = read_case(path);
    const Outcome outcome = run_case(file);
    if (!outcome.setup_error.empty() || !outcome.error.empty()) continue;  // the test above

    Db db;
    REQUIRE(db.exec("PRAGMA foreign_keys=ON").empty());
    const std::string setup_error = db.exec(outcome.setup_sql);
    REQUIRE_MESSAGE(setup_error.empty(), "setup: " << setup_error << "\n" << outcome.setup_sql);
    for (const std::string& trigger : outcome.triggers) {
      const std::string error = db.exec(trigger);
      REQUIRE_MESSAGE(error.empty(), "trigger: " << error);
    }
    if (const Section* seed = file.find("seed.sql")) {
      const std::string error = db.exec(seed->body);
      REQUIRE_MESSAGE(error.empty(), "seed: " << error);
    }
    const auto counts_before = db.row_counts();
    const std::string schema_before = db.schema_sql();

    const std::string error = run_migration(db, outcome.sql, outcome.rebuild);
    CHECK_FALSE(db.in_transaction());
    CHECK(db.value("PRAGMA foreign_keys") == "1");  // restored after the migration
    if (const Section* expected = file.find("exec error")) {
      const std::string want = trim(expected->body);
      CHECK_MESSAGE(error.find(want) != std::string::npos,
                    "run-time error \"" << error << "\" does not contain \"" << want << "\"");
      // Rolled back: the database is exactly as before.
      CHECK(db.row_counts() == counts_before);
      CHECK(db.schema_sql() == schema_before);
      continue;
    }
    REQUIRE_MESSAGE(error.empty(), "migration failed: " << error << "\n" << outcome.sql);
    const auto counts_after = db.row_counts();
    for (const auto& [table, count] : counts_before) {
      auto it = counts_after.find(table);
      if (it == counts_after.end()) continue;  // dropped or renamed by the case
      // Raw SQL may add rows; no op may lose one.
      CHECK_MESSAGE(std::stoll(it->second) >= std::stoll(count),
                    "rows of " << table << ": " << count << " before, " << it->second << " after");
    }
    CHECK(db.value("PRAGMA integrity_check") == "ok");
    CHECK(db.value("SELECT count(*) FROM pragma_foreign_key_check") == "0");
    CHECK(db.value("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_distil_new_%'") == "0");
    if (const Section* verify = file.find("verify.sql")) {
      std::string verify_error;
      const auto values = db.query_each(verify->body, &verify_error);
      CHECK_MESSAGE(verify_error.empty(), "verify: " << verify_error);
      for (size_t i = 0; i < values.size(); ++i) {
        CHECK_MESSAGE(values[i] == "1",
                      "verify query " << i + 1 << " returned '" << values[i] << "'");
      }
    }
  }
}

namespace {

// A parent and a child that ON DELETE CASCADEs from it, with rows.
struct CascadeFixture {
  model::Schema schema;
  Db db;
  std::vector<std::string> triggers;

  CascadeFixture() {
    auto ops = model::yaml::parse_ops(R"(
- create_table:
    name: parent
    columns:
      - {name: id, type: integer, primary_key: true, autoincrement: true}
      - {name: code, type: varchar(10), nullable: false}
- create_table:
    name: child
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: parent_id, type: integer, nullable: false}
    foreign_keys: [{name: fk_child_parent, columns: [parent_id], references: {table: parent, columns: [id]}, on_delete: cascade}]
)",
                                      "fixture", 1);
    REQUIRE_MESSAGE(ops, model::format_error(ops.error()));
    for (const model::Op& op : *ops) {
      REQUIRE(model::apply(schema, op));
      const auto* create = std::get_if<model::CreateTable>(&op);
      REQUIRE(create);
      REQUIRE(
          db.exec(join_statements(emitters::sqlite::render_create_table(create->table))).empty());
    }
    REQUIRE(db.exec("PRAGMA foreign_keys=ON;"
                    "INSERT INTO parent (id, code) VALUES (1, 'a'), (2, 'b'), (7, 'c');"
                    "DELETE FROM parent WHERE id = 7;"  // AUTOINCREMENT's high-water mark is 7
                    "INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 1), (12, 2);")
                .empty());
  }

  emitters::RenderedOp render(const std::string& yaml) {
    auto ops = model::yaml::parse_ops(yaml, "test", 1);
    REQUIRE_MESSAGE(ops, model::format_error(ops.error()));
    REQUIRE(ops->size() == 1);
    auto rendered = emitters::sqlite::render(ops->front(), simulated_source(schema, triggers));
    REQUIRE_MESSAGE(rendered, model::format_error(rendered.error()));
    return *rendered;
  }
};

}  // namespace

TEST_CASE("a child row with ON DELETE CASCADE survives a rebuild of its parent") {
  CascadeFixture f;
  const auto rendered = f.render(
      "- alter_column: {table: parent, column: code, type: text, existing: {type: varchar(10)}}");
  REQUIRE(rendered.rebuild);
  REQUIRE(run_migration(f.db, join_statements(rendered.statements), true).empty());
  CHECK(f.db.value("SELECT count(*) FROM child") == "3");
  CHECK(f.db.value("SELECT count(*) FROM parent") == "2");
  CHECK(f.db.value("SELECT lower(type) FROM pragma_table_info('parent') WHERE name = 'code'") ==
        "text");
  // The foreign key still works after the rename: deleting a parent cascades.
  REQUIRE(f.db.exec("DELETE FROM parent WHERE id = 1").empty());
  CHECK(f.db.value("SELECT count(*) FROM child") == "1");
}

TEST_CASE("a rebuild run with foreign keys still on fails instead of cascading deletes") {
  CascadeFixture f;
  const auto rendered =
      f.render("- create_check: {table: parent, name: ck_code, expression: \"code <> ''\"}");
  REQUIRE(rendered.rebuild);
  // The bug of Atlas, drizzle and Prisma: PRAGMA foreign_keys=OFF inside the transaction is
  // a no-op, so DROP TABLE would delete every child row through the cascade.
  const std::string error = f.db.exec("BEGIN; PRAGMA foreign_keys=OFF;\n" +
                                      join_statements(rendered.statements) + "COMMIT;");
  CHECK(error.find("CHECK constraint failed") != std::string::npos);
  if (f.db.in_transaction()) f.db.exec("ROLLBACK");
  CHECK(f.db.value("SELECT count(*) FROM child") == "3");
  CHECK(f.db.value("SELECT count(*) FROM parent") == "2");
}

TEST_CASE(
    "a rebuild that would break a foreign key fails with CHECK constraint failed and rolls back") {
  CascadeFixture f;
  REQUIRE(f.db.exec("PRAGMA foreign_keys=OFF; INSERT INTO child (id, parent_id) VALUES (13, 99);"
                    "PRAGMA foreign_keys=ON;")
              .empty());
  const auto rendered = f.render(
      "- alter_column: {table: child, column: parent_id, type: bigint, existing: {type: integer}}");
  const std::string error = run_migration(f.db, join_statements(rendered.statements), true);
  CHECK(error.find("CHECK constraint failed") != std::string::npos);
  CHECK(f.db.value("SELECT lower(type) FROM pragma_table_info('child') WHERE name = 'parent_id'") ==
        "integer");
  CHECK(f.db.value("SELECT count(*) FROM child") == "4");
}

TEST_CASE("a rebuild keeps AUTOINCREMENT's high-water mark so deleted ids are not reused") {
  CascadeFixture f;
  const auto rendered =
      f.render("- create_unique: {table: parent, name: uq_parent_code, columns: [code]}");
  REQUIRE(run_migration(f.db, join_statements(rendered.statements), true).empty());
  REQUIRE(f.db.exec("INSERT INTO parent (code) VALUES ('d')").empty());
  CHECK(f.db.value("SELECT max(id) FROM parent") == "8");
  CHECK(f.db.value("SELECT count(*) FROM sqlite_sequence WHERE name LIKE '_distil_new_%'") == "0");
}

TEST_CASE("render names the table and column at fault") {
  CascadeFixture f;
  auto ops = model::yaml::parse_ops(
      "- alter_column: {table: parent, column: nope, type: text}\n"
      "- drop_column: {table: nope, column: x}\n"
      "- add_column: {table: parent, column: {name: n, type: integer, nullable: false}}\n",
      "test", 1);
  REQUIRE_MESSAGE(ops, model::format_error(ops.error()));
  const auto source = simulated_source(f.schema, f.triggers);
  auto missing_column = emitters::sqlite::render((*ops)[0], source);
  REQUIRE(!missing_column);
  CHECK(missing_column.error().where.table == "parent");
  CHECK(missing_column.error().where.column == "nope");
  auto missing_table = emitters::sqlite::render((*ops)[1], source);
  REQUIRE(!missing_table);
  CHECK(missing_table.error().where.table == "nope");
  auto not_null = emitters::sqlite::render((*ops)[2], source);
  REQUIRE(!not_null);
  CHECK(not_null.error().where.column == "n");
  CHECK(not_null.error().message.find("default") != std::string::npos);
}

TEST_CASE("quote_identifier and quote_literal double embedded quotes") {
  CHECK(emitters::quote_identifier("a\"b") == "\"a\"\"b\"");
  CHECK(emitters::quote_identifier("semi;colon") == "\"semi;colon\"");
  CHECK(emitters::quote_identifier("") == "\"\"");
  CHECK(emitters::quote_literal("it's") == "'it''s'");
  CHECK(emitters::to_string(emitters::Dialect::sqlite) == "sqlite");
  CHECK(emitters::to_string(emitters::Dialect::postgresql) == "postgresql");
}
