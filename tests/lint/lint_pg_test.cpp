// Lint against a real PostgreSQL server (DISTIL_TEST_PG_URL): views known exactly from
// pg_depend, bounded row counts, and check_migration / revision --autogenerate end to end,
// including L005 (an index built without CONCURRENTLY on a large table).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "db/postgres/connection.hpp"
#include "lint/database.hpp"
#include "model/yaml/revision_io.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace {

using distil::testing::contains;
using distil::testing::rev;
using distil::testing::pg::PgProject;
using distil::testing::pg::read_text;
using distil::testing::pg::RunResult;
using distil::testing::pg::write_text;

const std::string kCreateOrders =
    "  - create_table:\n"
    "      name: orders\n"
    "      columns:\n"
    "        - {name: id, type: integer, primary_key: true}\n"
    "        - {name: note, type: varchar(100)}\n"
    "        - {name: legacy, type: text}\n";
const std::string kDropOrders = "  - drop_table: {name: orders}\n";

void seed(const PgProject& p, int rows) {
  REQUIRE_MESSAGE(p.exec("INSERT INTO orders (id, note, legacy) SELECT i, 'n' || i, 'x' FROM "
                         "generate_series(1, " + std::to_string(rows) + ") AS i"),
                  p.last_error());
}

void add_lint_config(const PgProject& p, const std::string& lines) {
  write_text(p.dir() / "distil.conf", read_text(p.dir() / "distil.conf") + "\n[lint]\n" + lines);
}

}  // namespace

TEST_CASE("lint pg: gather_statistics reads exact view columns from pg_depend and bounded counts") {
  PgProject p("lint-stats");
  REQUIRE_MESSAGE(p.exec("CREATE TABLE orders (id integer PRIMARY KEY, note text, legacy text);"
                         "CREATE TABLE empty (id integer);"
                         "INSERT INTO orders SELECT i, 'n', 'x' FROM generate_series(1, 300) i;"
                         "CREATE VIEW v_note AS SELECT o.id, o.note AS legacy FROM orders o;"
                         "CREATE SCHEMA other;"
                         "CREATE MATERIALIZED VIEW other.mv AS SELECT legacy FROM public.orders;"),
                  p.last_error());
  auto conn = distil::db::postgres::PgConnection::open(p.url(), "");
  REQUIRE_MESSAGE(conn.has_value(), distil::model::format_error(conn.error()));
  auto stats = distil::lint::gather_statistics(**conn, {"orders", "empty", "missing"}, 200);
  REQUIRE_MESSAGE(stats.has_value(), distil::model::format_error(stats.error()));
  CHECK(stats->rows == std::map<std::string, std::int64_t>{{"empty", 0}, {"orders", 200}});
  REQUIRE(stats->views.size() == 2);
  // v_note reads id and note; "legacy" is only an alias in its text.
  CHECK(stats->views[0].name == "other.mv");
  CHECK(stats->views[0].uses == std::vector<distil::lint::View::Use>{{"orders", "legacy"}});
  CHECK(stats->views[1].name == "v_note");
  CHECK(stats->views[1].uses_known);
  CHECK(stats->views[1].uses ==
        std::vector<distil::lint::View::Use>{{"orders", "id"}, {"orders", "note"}});

  // Dropping orders.legacy: only the materialized view in the other schema blocks it.
  auto schema = (*conn)->introspect("alembic_version");
  REQUIRE(schema.has_value());
  auto ops = distil::model::yaml::parse_ops("- drop_column: {table: orders, column: legacy}\n", "x.yaml");
  REQUIRE(ops.has_value());
  auto found = distil::lint::lint(*ops, *schema, *stats, {.dialect = "postgresql"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "L004");
  CHECK(contains(found[0].message, "view \"other.mv\" reads"));
}

TEST_CASE("lint pg: check_migration reports L001, L004 and L005 on pending revisions and exits 1") {
  PgProject p("lint-pending");
  add_lint_config(p, "large_table_rows = 500\n");
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", kCreateOrders, kDropOrders));
  RunResult up = p.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  seed(p, 600);
  REQUIRE(p.exec("CREATE VIEW v_legacy AS SELECT id, legacy FROM orders"));
  const std::string ops =
      "  - create_index: {table: orders, name: ix_orders_note, columns: [note]}\n"
      "  - add_column: {table: orders, column: {name: currency, type: varchar(3), nullable: false}}\n"
      "  - drop_column: {table: orders, column: legacy}\n";
  const std::string down =
      "  - add_column: {table: orders, column: {name: legacy, type: text}}\n"
      "  - drop_column: {table: orders, column: currency}\n"
      "  - drop_index: {table: orders, name: ix_orders_note}\n";
  p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"", ops, down));
  RunResult r = p.run("check_migration");
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "WARNING [distil] lint L005 table \"orders\": CREATE INDEX ix_orders_note on "
                        "a table with at least 500 rows (large_table_rows = 500)"));
  CHECK(contains(r.err, "ERROR [distil] lint L001 table \"orders\", column \"currency\": adds a NOT "
                        "NULL column without a default to a table with at least 500 rows"));
  CHECK(contains(r.err, "ERROR [distil] lint L004 table \"orders\", column \"legacy\": drops a "
                        "column that view \"v_legacy\" reads"));
  CHECK(contains(r.err, "versions/0002_b.yaml:"));

  SUBCASE("under the threshold: no L005; an empty table: no L001") {
    REQUIRE(p.exec("DELETE FROM orders"));
    REQUIRE(p.exec("DROP VIEW v_legacy"));
    RunResult quiet = p.run("check_migration");
    INFO(quiet.err);
    CHECK(quiet.status == 0);
    CHECK_FALSE(contains(quiet.err, "lint L"));
    // And the revision indeed applies on the empty table.
    RunResult up2 = p.run("upgrade head");
    INFO(up2.err);
    CHECK(up2.status == 0);
  }
  SUBCASE("the migration does fail as L001 and L004 said") {
    RunResult fails = p.run("upgrade head");
    CHECK(fails.status == 1);
    CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
  }
}

TEST_CASE("lint pg: revision --autogenerate reports a foreign key to non-unique columns at its model line") {
  PgProject p("lint-autogen");
  p.write_config(true);
  const std::string v1 =
      "tables:\n"
      "  tenants:\n"
      "    columns:\n"
      "      - {name: id, type: integer, primary_key: true}\n"
      "      - {name: code, type: varchar(10)}\n";
  write_text(p.dir() / "models" / "tenants.yaml", v1);
  REQUIRE(p.run("revision --autogenerate -m first").status == 0);
  REQUIRE(p.run("upgrade head").status == 0);
  const std::string v2 = v1 +
                         "  orders:\n"
                         "    columns:\n"
                         "      - {name: id, type: bigint, primary_key: true}\n"
                         "      - {name: tenant_code, type: varchar(10)}\n"
                         "    foreign_keys:\n"
                         "      - {columns: [tenant_code], references: {table: tenants, columns: [code]}}\n";
  write_text(p.dir() / "models" / "tenants.yaml", v2);
  RunResult r = p.run("revision --autogenerate -m orders");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.err, "ERROR [distil] lint L002 table \"orders\": foreign key"));
  CHECK(contains(r.err, "PostgreSQL refuses it"));
  CHECK(contains(r.err, "models/tenants.yaml:11)"));
  CHECK(std::filesystem::exists(p.dir() / "versions" / "0002_orders.yaml"));
  // As predicted, PostgreSQL refuses the revision; nothing is applied.
  RunResult up = p.run("upgrade head");
  CHECK(up.status == 1);
  CHECK(contains(up.err, "no unique constraint matching given keys"));
}
