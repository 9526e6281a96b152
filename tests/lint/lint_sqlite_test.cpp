// Lint against real SQLite: statistics gathered from a database, and the CLI (revision
// --autogenerate prints findings and still writes; check_migration lints pending revisions,
// fails on errors, honours `lint: {ignore: ...}`, and works without a database).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "db/sqlite/connection.hpp"
#include "lint/database.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace {

using distil::testing::contains;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::rev;
using distil::testing::RunResult;
using distil::testing::write_text;

std::unique_ptr<distil::db::sqlite::SqliteConnection> memory_db() {
  auto conn = distil::db::sqlite::SqliteConnection::open(":memory:", 1000);
  REQUIRE_MESSAGE(conn.has_value(), distil::model::format_error(conn.error()));
  return std::move(*conn);
}

void exec(distil::db::Connection& conn, const std::string& sql) {
  auto r = conn.execute(sql);
  REQUIRE_MESSAGE(r.has_value(), distil::model::format_error(r.error()));
}

// The 1-based line of the first line of `text` containing `needle` (0 if none).
int line_of(const std::string& text, const std::string& needle) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos) return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

const std::string kCreateOrders =
    "  - create_table:\n"
    "      name: orders\n"
    "      columns:\n"
    "        - {name: id, type: integer, primary_key: true}\n"
    "        - {name: note, type: varchar(100)}\n"
    "        - {name: legacy, type: text}\n";
const std::string kDropOrders = "  - drop_table: {name: orders}\n";

}  // namespace

TEST_CASE("lint sqlite: gather_statistics counts the named tables (bounded) and reads every view") {
  auto conn = memory_db();
  exec(*conn,
       "CREATE TABLE orders (id INTEGER PRIMARY KEY, legacy TEXT);"
       "CREATE TABLE empty (id INTEGER PRIMARY KEY);"
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250) "
       "INSERT INTO orders (id, legacy) SELECT i, 'x' FROM n;"
       "CREATE VIEW v_legacy AS SELECT id, legacy FROM orders;");
  auto stats = distil::lint::gather_statistics(*conn, {"orders", "empty", "missing"}, 0);
  REQUIRE_MESSAGE(stats.has_value(), distil::model::format_error(stats.error()));
  CHECK(stats->rows == std::map<std::string, std::int64_t>{{"empty", 0}, {"orders", 250}});
  REQUIRE(stats->views.size() == 1);
  CHECK(stats->views[0].name == "v_legacy");
  CHECK_FALSE(stats->views[0].uses_known);
  CHECK(contains(stats->views[0].definition, "SELECT id, legacy FROM orders"));

  auto bounded = distil::lint::gather_statistics(*conn, {"orders"}, 100);
  REQUIRE(bounded.has_value());
  CHECK(bounded->rows.at("orders") == 100);
  CHECK(bounded->count_limit == 100);
}

TEST_CASE("lint sqlite: check_migration lints the pending revisions with the live rows and views") {
  Project p("lint-pending");
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", kCreateOrders, kDropOrders));
  REQUIRE(p.run("upgrade head").status == 0);
  REQUIRE(p.exec("INSERT INTO orders (id, note, legacy) VALUES (1, 'a', 'x'), (2, 'b', NULL);"
                 "CREATE VIEW v_legacy AS SELECT id, legacy FROM orders;"));
  const std::string up =
      "  - add_column: {table: orders, column: {name: currency, type: varchar(3), nullable: false}}\n"
      "  - drop_column: {table: orders, column: legacy}\n"
      "  - alter_column: {table: orders, column: note, type: varchar(20)}\n";
  const std::string down =
      "  - alter_column: {table: orders, column: note, type: varchar(100)}\n"
      "  - add_column: {table: orders, column: {name: legacy, type: text}}\n"
      "  - drop_column: {table: orders, column: currency}\n";
  const std::string text = rev("bbbb22220002", "\"aaaa11110001\"", up, down);
  p.add_revision("0002_b.yaml", text);

  RunResult r = p.run("check_migration");
  INFO(r.err);
  CHECK(r.status == 1);
  // Each finding names its rule, table/column, revision file and op line, and revision id.
  const std::string where = "versions/0002_b.yaml:";
  CHECK(contains(r.err, "ERROR [distil] lint L001 table \"orders\", column \"currency\""));
  CHECK(contains(r.err, where + std::to_string(line_of(text, "name: currency")) +
                            ", revision bbbb22220002)"));
  CHECK(contains(r.err, "ERROR [distil] lint L004 table \"orders\", column \"legacy\": drops a "
                        "column that view \"v_legacy\" appears to read"));
  CHECK(contains(r.err, where + std::to_string(line_of(text, "drop_column: {table: orders, column: legacy")) + ","));
  CHECK(contains(r.err, "WARNING [distil] lint L003 table \"orders\", column \"note\": type "
                        "varchar(100) -> varchar(20)"));
  CHECK_FALSE(contains(r.out, "OK:"));
  // The first revision is applied: not linted again.
  CHECK_FALSE(contains(r.err, "aaaa11110001"));

  SUBCASE("lint: {ignore: [...]} accepts the errors; warnings still print") {
    p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"", up, down,
                                      "lint: {ignore: [L001, \"L004:orders.legacy\"]}\n"));
    RunResult ok = p.run("check_migration");
    INFO(ok.err);
    CHECK(ok.status == 0);
    CHECK(contains(ok.err, "INFO  [distil] lint L001 (ignored)"));
    CHECK(contains(ok.err, "INFO  [distil] lint L004 (ignored)"));
    CHECK(contains(ok.err, "WARNING [distil] lint L003"));
    CHECK(contains(ok.out, "OK: 2 revisions"));
  }
  SUBCASE("[lint] ignore in the config accepts a rule project-wide") {
    write_text(p.dir() / "distil.conf", read_text(p.dir() / "distil.conf") +
                                            "\n[lint]\nignore = L001, L004\n");
    CHECK(p.run("check_migration").status == 0);
  }
  SUBCASE("once applied there is nothing left to lint") {
    p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"",
                                      "  - alter_column: {table: orders, column: note, type: varchar(20)}\n",
                                      "  - alter_column: {table: orders, column: note, type: varchar(100)}\n"));
    REQUIRE(p.run("upgrade head").status == 0);
    RunResult done = p.run("check_migration");
    CHECK(done.status == 0);
    CHECK_FALSE(contains(done.err, "lint L"));
  }
}

TEST_CASE("lint sqlite: without a database check_migration lints every revision, no row rules") {
  Project p("lint-offline");
  const std::string second =
      "  - create_table:\n"
      "      name: items\n"
      "      columns:\n"
      "        - {name: id, type: integer, primary_key: true}\n"
      "        - {name: note, type: text}\n"
      "      foreign_keys:\n"
      "        - {columns: [note], references: {table: orders, columns: [note]}}\n"
      "  - create_index: {table: orders, name: ix_orders_legacy, columns: [legacy]}\n";
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", kCreateOrders, kDropOrders));
  const std::string text = rev("bbbb22220002", "\"aaaa11110001\"", second,
                               "  - drop_index: {table: orders, name: ix_orders_legacy}\n"
                               "  - drop_table: {name: items}\n");
  p.add_revision("0002_b.yaml", text);
  RunResult r = p.run("check_migration");
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "INFO  [distil] lint: no database"));
  CHECK(contains(r.err, "ERROR [distil] lint L002 table \"items\": foreign key"));
  CHECK(contains(r.err, "/versions/0002_b.yaml:" + std::to_string(line_of(text, "references: {table: orders")) +
                            ", revision bbbb22220002)"));
  CHECK_FALSE(std::filesystem::exists(p.db_path()));  // no database was created
}

TEST_CASE("lint sqlite: revision --autogenerate prints findings with the model line and still writes") {
  Project p("lint-autogen");
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
  const std::string v1 =
      "tables:\n"
      "  orders:\n"
      "    columns:\n"
      "      - {name: id, type: integer, primary_key: true}\n"
      "      - {name: total, type: \"numeric(12,2)\"}\n";
  write_text(p.dir() / "models" / "orders.yaml", v1);
  RunResult first = p.run("revision --autogenerate -m first");
  INFO(first.err);
  REQUIRE(first.status == 0);
  CHECK_FALSE(contains(first.err, "lint"));
  REQUIRE(p.run("upgrade head").status == 0);
  REQUIRE(p.exec("INSERT INTO orders (id, total) VALUES (1, 9.99)"));

  const std::string v2 =
      "tables:\n"
      "  orders:\n"
      "    columns:\n"
      "      - {name: id, type: integer, primary_key: true}\n"
      "      - {name: total, type: \"numeric(10,1)\"}\n"
      "      - {name: currency, type: varchar(3), nullable: false}\n";
  write_text(p.dir() / "models" / "orders.yaml", v2);
  RunResult second = p.run("revision --autogenerate -m second");
  INFO(second.err);
  CHECK(second.status == 0);  // written: errors are reported, not blocking
  CHECK(std::filesystem::exists(p.dir() / "versions" / "0002_second.yaml"));
  const std::string model = p.dir().string() + "/models/orders.yaml:";
  CHECK(contains(second.err, "WARNING [distil] lint L003 table \"orders\", column \"total\""));
  CHECK(contains(second.err, "(" + model + std::to_string(line_of(v2, "name: total")) + ")"));
  CHECK(contains(second.err, "ERROR [distil] lint L001 table \"orders\", column \"currency\""));
  CHECK(contains(second.err, "(" + model + std::to_string(line_of(v2, "name: currency")) + ")"));
  CHECK(contains(second.err, "the revision was written"));

  RunResult check = p.run("check_migration");
  INFO(check.err);
  CHECK(check.status == 1);
  CHECK(contains(check.err, "lint L001"));
  CHECK(contains(check.err, "versions/0002_second.yaml:"));
}
