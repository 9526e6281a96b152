// The lint rules as pure functions: ops + the schema before + optional statistics. No
// database; schemas and ops are parsed from the same YAML the tool reads.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "emitters/revision/writer.hpp"
#include "lint/lint.hpp"
#include "model/yaml/model_io.hpp"
#include "model/yaml/revision_io.hpp"

namespace {

using distil::lint::Finding;
using distil::lint::Options;
using distil::lint::Severity;
using distil::lint::Statistics;
using distil::model::Op;
using distil::model::Schema;

// A schema from YAML model text; every element's origin is models.yaml:<line>.
Schema models(const std::string& yaml) {
  auto schema = distil::model::yaml::parse_models(yaml, "models.yaml");
  REQUIRE_MESSAGE(schema.has_value(), distil::model::format_error(schema.error()));
  return *schema;
}

std::vector<Op> ops(const std::string& yaml) {
  auto parsed = distil::model::yaml::parse_ops(yaml, "ops.yaml");
  REQUIRE_MESSAGE(parsed.has_value(), distil::model::format_error(parsed.error()));
  return *parsed;
}

const std::string kOrders = R"yaml(tables:
  tenants:
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: code, type: varchar(10)}
      - {name: region, type: text}
    unique: [{name: uq_tenants_code, columns: [code]}]
  orders:
    columns:
      - {name: id, type: bigint, primary_key: true}
      - {name: tenant_id, type: integer}
      - {name: note, type: varchar(100)}
      - {name: total, type: "numeric(12,2)"}
      - {name: legacy, type: text}
      - {name: placed, type: timestamp}
    indexes:
      - {name: ix_orders_legacy, columns: [legacy]}
      - {name: ix_orders_note_partial, columns: [note], where: "legacy IS NULL"}
      - {name: ix_orders_lower_legacy, columns: ["lower(legacy)"]}
)yaml";

Statistics rows(std::int64_t orders, std::int64_t tenants = 0) {
  return Statistics{.rows = {{"orders", orders}, {"tenants", tenants}}};
}

std::vector<std::string> rules(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(f.rule);
  return out;
}

const Options kPg{.dialect = "postgresql", .large_table_rows = 1000};
const Options kSqlite{.dialect = "sqlite", .large_table_rows = 1000};

}  // namespace

TEST_CASE("lint L001: NOT NULL without default on a table with rows is an error naming the model line") {
  const Schema before = models(kOrders);
  // The column carries its origin (here ops.yaml, at autogenerate time the model file).
  const std::string add =
      "- add_column: {table: orders, column: {name: currency, type: varchar(3), nullable: false}}\n";
  const auto op = ops(add);
  SUBCASE("PostgreSQL, 12 rows: error") {
    auto found = distil::lint::lint(op, before, rows(12), kPg);
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "L001");
    CHECK(found[0].severity == Severity::error);
    CHECK(found[0].table == "orders");
    CHECK(found[0].column == "currency");
    CHECK(found[0].message.find("12 rows") != std::string::npos);
    CHECK(found[0].origin.file == "ops.yaml");
    CHECK(found[0].origin.line == 1);
  }
  SUBCASE("PostgreSQL, empty table or unknown rows: nothing") {
    CHECK(distil::lint::lint(op, before, rows(0), kPg).empty());
    CHECK(distil::lint::lint(op, before, std::nullopt, kPg).empty());
  }
  SUBCASE("SQLite refuses it even on an empty table, rows known or not") {
    CHECK(rules(distil::lint::lint(op, before, rows(0), kSqlite)) == std::vector<std::string>{"L001"});
    CHECK(rules(distil::lint::lint(op, before, std::nullopt, kSqlite)) ==
          std::vector<std::string>{"L001"});
  }
  SUBCASE("a default, nullable or autoincrement column is fine") {
    CHECK(distil::lint::lint(ops("- add_column: {table: orders, column: {name: c, type: varchar(3), "
                                 "nullable: false, default: \"'NZD'\"}}\n"),
                             before, rows(12), kPg)
              .empty());
    CHECK(distil::lint::lint(ops("- add_column: {table: orders, column: {name: c, type: text}}\n"),
                             before, rows(12), kPg)
              .empty());
  }
  SUBCASE("a table created by the same ops has no rows yet") {
    auto found = distil::lint::lint(
        ops("- create_table: {name: fresh, columns: [{name: id, type: integer, primary_key: true}]}\n" +
            std::string("- add_column: {table: fresh, column: {name: c, type: text, nullable: false}}\n")),
        before, rows(12), kPg);
    CHECK(found.empty());
  }
  SUBCASE("counts stopped at a limit read as \"at least\"") {
    Statistics stats = rows(1000);
    stats.count_limit = 1000;
    auto found = distil::lint::lint(op, before, stats, kPg);
    REQUIRE(found.size() == 1);
    CHECK(found[0].message.find("at least 1000 rows") != std::string::npos);
  }
}

TEST_CASE("lint L002: a foreign key must reference a primary key, unique constraint or unique index") {
  const Schema before = models(kOrders);
  auto fk = [&](const std::string& columns, const std::string& refs) {
    return ops("- create_foreign_key: {table: orders, name: fk_x, columns: [" + columns +
               "], references: {table: tenants, columns: [" + refs + "]}}\n");
  };
  CHECK(distil::lint::lint(fk("tenant_id", "id"), before, std::nullopt, kPg).empty());
  CHECK(distil::lint::lint(fk("note", "code"), before, std::nullopt, kPg).empty());
  auto found = distil::lint::lint(fk("note", "region"), before, std::nullopt, kPg);
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "L002");
  CHECK(found[0].severity == Severity::error);
  CHECK(found[0].message.find("tenants (region)") != std::string::npos);
  CHECK(found[0].message.find("PostgreSQL refuses it") != std::string::npos);
  CHECK(found[0].origin.line == 1);

  SUBCASE("a unique index counts, a partial one does not") {
    auto with_index = ops(
        "- create_index: {table: tenants, name: ux_region, columns: [region], unique: true}\n"
        "- create_foreign_key: {table: orders, name: fk_x, columns: [note], references: {table: "
        "tenants, columns: [region]}}\n");
    CHECK(distil::lint::lint(with_index, before, std::nullopt, kPg).empty());
    auto partial = ops(
        "- create_index: {table: tenants, name: ux_region, columns: [region], unique: true, where: "
        "\"region IS NOT NULL\"}\n"
        "- create_foreign_key: {table: orders, name: fk_x, columns: [note], references: {table: "
        "tenants, columns: [region]}}\n");
    auto f = distil::lint::lint(partial, before, std::nullopt, kSqlite);
    REQUIRE(f.size() == 1);
    CHECK(f[0].origin.line == 2);
    CHECK(f[0].message.find("foreign key mismatch") != std::string::npos);
  }
  SUBCASE("inside create_table, located at the foreign key's own line") {
    auto created = ops(R"yaml(- create_table:
    name: items
    columns:
      - {name: id, type: integer, primary_key: true}
      - {name: region, type: text}
    foreign_keys:
      - {columns: [region], references: {table: tenants, columns: [region]}}
)yaml");
    auto f = distil::lint::lint(created, before, std::nullopt, kPg);
    REQUIRE(f.size() == 1);
    CHECK(f[0].table == "items");
    CHECK(f[0].origin.line == 7);
  }
  SUBCASE("a composite key matches as a set, in any order") {
    Schema b = models(R"yaml(tables:
  p:
    columns: [{name: a, type: integer}, {name: b, type: integer}]
    primary_key: [a, b]
  c:
    columns: [{name: x, type: integer}, {name: y, type: integer}]
)yaml");
    CHECK(distil::lint::lint(ops("- create_foreign_key: {table: c, name: fk, columns: [y, x], "
                                 "references: {table: p, columns: [b, a]}}\n"),
                             b, std::nullopt, kPg)
              .empty());
    CHECK(rules(distil::lint::lint(ops("- create_foreign_key: {table: c, name: fk, columns: [x], "
                                       "references: {table: p, columns: [a]}}\n"),
                                   b, std::nullopt, kPg)) == std::vector<std::string>{"L002"});
  }
}

TEST_CASE("lint L003: type narrowing, judged on canonical types") {
  using distil::lint::narrowing;
  CHECK_FALSE(narrowing("varchar(100)", "varchar(20)").empty());
  CHECK_FALSE(narrowing("character varying(100)", "VARCHAR(20)").empty());
  CHECK(narrowing("character varying(100)", "varchar(100)").empty());
  CHECK(narrowing("varchar(20)", "varchar(100)").empty());
  CHECK_FALSE(narrowing("text", "varchar(255)").empty());
  CHECK_FALSE(narrowing("varchar", "varchar(10)").empty());
  CHECK(narrowing("varchar(10)", "text").empty());
  CHECK_FALSE(narrowing("varchar(10)", "char(3)").empty());
  CHECK_FALSE(narrowing("numeric(12,2)", "numeric(12,1)").empty());
  CHECK_FALSE(narrowing("numeric(12,2)", "numeric(10,2)").empty());
  CHECK(narrowing("numeric(12,2)", "numeric(14,3)").empty());
  CHECK_FALSE(narrowing("numeric", "numeric(10,2)").empty());
  CHECK_FALSE(narrowing("decimal(12,2)", "integer").empty());
  CHECK_FALSE(narrowing("bigint", "integer").empty());
  CHECK_FALSE(narrowing("int8", "int4").empty());
  CHECK_FALSE(narrowing("integer", "smallint").empty());
  CHECK(narrowing("integer", "bigint").empty());
  CHECK(narrowing("int4", "integer").empty());
  CHECK_FALSE(narrowing("integer", "numeric(5,0)").empty());
  CHECK(narrowing("integer", "numeric(12,0)").empty());
  CHECK_FALSE(narrowing("double precision", "real").empty());
  CHECK_FALSE(narrowing("timestamp with time zone", "date").empty());
  CHECK(narrowing("date", "timestamp").empty());
  CHECK(narrowing("text", "jsonb").empty());  // not narrowing (a cast that may fail is another matter)
  CHECK(narrowing("integer[]", "bigint[]").empty());
  CHECK_FALSE(narrowing("bigint[]", "integer[]").empty());

  const Schema before = models(kOrders);
  SUBCASE("existing: is not needed: the type before comes from the schema") {
    auto found = distil::lint::lint(
        ops("- alter_column: {table: orders, column: note, type: varchar(20)}\n"), before,
        std::nullopt, kPg);
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "L003");
    CHECK(found[0].severity == Severity::warning);
    CHECK(found[0].column == "note");
    CHECK(found[0].message.find("varchar(100) -> varchar(20)") != std::string::npos);
  }
  SUBCASE("autogenerate: the finding names the model's column line") {
    Schema desired = models(R"yaml(tables:
  orders:
    columns:
      - {name: id, type: bigint, primary_key: true}
      - {name: note, type: varchar(20)}
)yaml");
    distil::lint::Source source{.models = &desired};
    auto found = distil::lint::lint(
        ops("- alter_column: {table: orders, column: note, type: varchar(20), existing: {type: "
            "varchar(100)}}\n"),
        before, std::nullopt, kPg, source);
    REQUIRE(found.size() == 1);
    CHECK(found[0].origin.file == "models.yaml");
    CHECK(found[0].origin.line == 5);
  }
}

TEST_CASE("lint L004: dropping a column an index or a view uses") {
  const Schema before = models(kOrders);
  const auto drop = ops("- drop_column: {table: orders, column: legacy}\n");
  SUBCASE("every index that uses it, by column, expression or predicate: warnings") {
    auto found = distil::lint::lint(drop, before, std::nullopt, kPg);
    REQUIRE(found.size() == 3);
    for (const Finding& f : found) {
      CHECK(f.rule == "L004");
      CHECK(f.severity == Severity::warning);
    }
    CHECK(found[0].message.find("ix_orders_legacy") != std::string::npos);
    CHECK(found[1].message.find("ix_orders_note_partial") != std::string::npos);
    CHECK(found[2].message.find("ix_orders_lower_legacy") != std::string::npos);
  }
  SUBCASE("an index dropped first is no finding") {
    auto found = distil::lint::lint(
        ops("- drop_index: {table: orders, name: ix_orders_legacy}\n"
            "- drop_index: {table: orders, name: ix_orders_note_partial}\n"
            "- drop_index: {table: orders, name: ix_orders_lower_legacy}\n"
            "- drop_column: {table: orders, column: legacy}\n"),
        before, std::nullopt, kPg);
    CHECK(found.empty());
  }
  SUBCASE("a view known exactly (pg_depend) or by its text: error") {
    Statistics exact{.views = {{.name = "v_exact",
                                .definition = "SELECT whatever",
                                .uses = {{.table = "orders", .column = "legacy"}},
                                .uses_known = true},
                               {.name = "v_other",
                                .definition = "SELECT legacy FROM orders",
                                .uses = {{.table = "orders", .column = "note"}},
                                .uses_known = true},
                               {.name = "v_text", .definition = "SELECT o.\"legacy\" FROM orders o"},
                               {.name = "v_unrelated", .definition = "SELECT legacy FROM tenants"}}};
    distil::lint::Source source{.revision = "abc", .file = "v.yaml", .op_lines = {5, 6, 7, 8}};
    auto found = distil::lint::lint(
        ops("- drop_index: {table: orders, name: ix_orders_legacy}\n"
            "- drop_index: {table: orders, name: ix_orders_note_partial}\n"
            "- drop_index: {table: orders, name: ix_orders_lower_legacy}\n"
            "- drop_column: {table: orders, column: legacy}\n"),
        before, exact, kPg, source);
    REQUIRE(found.size() == 2);
    CHECK(found[0].severity == Severity::error);
    CHECK(found[0].message.find("view \"v_exact\" reads") != std::string::npos);
    CHECK(found[1].message.find("view \"v_text\" appears to read") != std::string::npos);
    CHECK(found[0].origin.file == "v.yaml");
    CHECK(found[0].origin.line == 8);
    CHECK(found[0].revision == "abc");
  }
  SUBCASE("views created and dropped by raw SQL are tracked, offline too") {
    auto found = distil::lint::lint(
        ops("- sql: \"CREATE VIEW v_legacy AS SELECT id, legacy FROM orders; SELECT 1\"\n"
            "- drop_column: {table: orders, column: note}\n"
            "- drop_column: {table: orders, column: legacy}\n"),
        before, std::nullopt, kSqlite);
    // note: the partial index (dropped with it); legacy: the view and its two other indexes.
    CHECK(rules(found) == std::vector<std::string>{"L004", "L004", "L004", "L004"});
    CHECK(std::count_if(found.begin(), found.end(),
                        [](const Finding& f) { return f.severity == Severity::error; }) == 1);
    auto dropped = distil::lint::lint(
        ops("- sql: {postgresql: \"CREATE OR REPLACE VIEW public.v_legacy (a) AS SELECT legacy FROM "
            "orders\"}\n"
            "- sql: {postgresql: \"DROP VIEW IF EXISTS v_legacy\"}\n"
            "- drop_index: {table: orders, name: ix_orders_legacy}\n"
            "- drop_index: {table: orders, name: ix_orders_note_partial}\n"
            "- drop_index: {table: orders, name: ix_orders_lower_legacy}\n"
            "- drop_column: {table: orders, column: legacy}\n"),
        before, std::nullopt, kPg);
    CHECK(dropped.empty());
  }
}

TEST_CASE("lint L005: PostgreSQL index builds without CONCURRENTLY on a large table") {
  const Schema before = models(kOrders);
  const auto index = ops("- create_index: {table: orders, name: ix_orders_placed, columns: [placed]}\n");
  auto found = distil::lint::lint(index, before, rows(5000), kPg);
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "L005");
  CHECK(found[0].severity == Severity::warning);
  CHECK(found[0].message.find("5000 rows") != std::string::npos);
  CHECK(found[0].message.find("large_table_rows = 1000") != std::string::npos);
  CHECK(found[0].message.find("CONCURRENTLY") != std::string::npos);

  CHECK(distil::lint::lint(index, before, rows(999), kPg).empty());      // under the threshold
  CHECK(distil::lint::lint(index, before, std::nullopt, kPg).empty());   // rows unknown
  CHECK(distil::lint::lint(index, before, rows(5000), kSqlite).empty()); // SQLite has no such lock
  CHECK(rules(distil::lint::lint(
            ops("- create_unique: {table: orders, name: uq_orders_note, columns: [note]}\n"), before,
            rows(5000), kPg)) == std::vector<std::string>{"L005"});
  SUBCASE("raw SQL: CREATE INDEX is reported, CREATE INDEX CONCURRENTLY is not") {
    CHECK(rules(distil::lint::lint(ops("- sql: \"CREATE INDEX ix_p ON public.orders (placed)\"\n"),
                                   before, rows(5000), kPg)) == std::vector<std::string>{"L005"});
    CHECK(distil::lint::lint(
              ops("- sql: {postgresql: \"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_p ON orders "
                  "(placed)\", sqlite: \"CREATE INDEX ix_p ON orders (placed)\"}\n"),
              before, rows(5000), kPg)
              .empty());
  }
}

TEST_CASE("lint ignore entries accept findings by rule, table or column, and only those") {
  const Schema before = models(kOrders);
  const auto narrow = ops(
      "- alter_column: {table: orders, column: note, type: varchar(20)}\n"
      "- alter_column: {table: orders, column: total, type: \"numeric(10,2)\"}\n");
  auto ignored = [&](std::vector<std::string> entries) {
    distil::lint::Source source{.revision = "abc", .file = "v.yaml", .op_lines = {7, 8},
                                .ignore = std::move(entries)};
    std::vector<bool> out;
    for (const Finding& f : distil::lint::lint(narrow, before, std::nullopt, kPg, source))
      out.push_back(f.ignored);
    return out;
  };
  CHECK(ignored({}) == std::vector<bool>{false, false});
  CHECK(ignored({"L003"}) == std::vector<bool>{true, true});
  CHECK(ignored({"L003:orders"}) == std::vector<bool>{true, true});
  CHECK(ignored({"L003:orders.total"}) == std::vector<bool>{false, true});
  CHECK(ignored({"L004", "L003:tenants"}) == std::vector<bool>{false, false});

  Options project = kPg;
  project.ignore = {"L003"};
  auto all = distil::lint::lint(narrow, before, std::nullopt, project);
  CHECK(std::all_of(all.begin(), all.end(), [](const Finding& f) { return f.ignored; }));
}

TEST_CASE("lint format: level, rule, table and column, message, then file:line and revision") {
  Finding f{.rule = "L003",
            .severity = Severity::warning,
            .message = "narrows",
            .origin = {.file = "schemas/x.yaml", .line = 12},
            .table = "orders",
            .column = "note"};
  CHECK(distil::lint::format(f) ==
        "WARNING [distil] lint L003 table \"orders\", column \"note\": narrows (schemas/x.yaml:12)");
  f.severity = Severity::error;
  f.revision = "3f9a1c2b7d4e";
  f.origin = {.file = "versions/0003_x.yaml", .line = 9};
  CHECK(distil::lint::format(f) ==
        "ERROR [distil] lint L003 table \"orders\", column \"note\": narrows "
        "(versions/0003_x.yaml:9, revision 3f9a1c2b7d4e)");
  f.ignored = true;
  CHECK(distil::lint::format(f).starts_with("INFO  [distil] lint L003 (ignored) "));
}

TEST_CASE("lint a revision's lint: {ignore: [...]} key parses, round-trips and rejects non-rule ids") {
  const std::string text =
      "revision: abc\nlint: {ignore: [L003, \"L004:orders.legacy\"]}\nupgrade: []\n";
  auto rev = distil::model::yaml::parse_revision(text, "v.yaml");
  REQUIRE(rev.has_value());
  CHECK(rev->lint_ignore == std::vector<std::string>{"L003", "L004:orders.legacy"});
  auto again = distil::model::yaml::parse_revision(distil::emitters::write_revision(*rev), "v.yaml");
  REQUIRE(again.has_value());
  CHECK(again->lint_ignore == rev->lint_ignore);
  auto bad = distil::model::yaml::parse_revision(
      "revision: abc\nlint: {ignore: [narrowing]}\nupgrade: []\n", "v.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().where.line == 2);
  CHECK(bad.error().message.find("not a lint rule id") != std::string::npos);
  auto key = distil::model::yaml::parse_revision(
      "revision: abc\nlint: {ignored: [L003]}\nupgrade: []\n", "v.yaml");
  REQUIRE_FALSE(key.has_value());
  CHECK(key.error().message.find("did you mean \"ignore\"") != std::string::npos);
}

TEST_CASE("lint tables_named: the tables of the ops, raw CREATE INDEX targets included") {
  CHECK(distil::lint::tables_named(ops(
            "- add_column: {table: b, column: {name: c, type: text}}\n"
            "- create_index: {table: a, name: ix, columns: [c]}\n"
            "- sql: \"CREATE UNIQUE INDEX CONCURRENTLY ix2 ON ONLY s.big (c); UPDATE x SET y = 1\"\n")) ==
        std::vector<std::string>{"a", "b", "big"});
}
