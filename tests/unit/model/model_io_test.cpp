// model/yaml/model_io: YAML table models (DESIGN §4) -> Schema, and their errors.
#include "model/yaml/model_io.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "model/names.hpp"

namespace {

using namespace distil::model;
using distil::model::yaml::load_models;
using distil::model::yaml::parse_models;

const std::filesystem::path kData = std::filesystem::path(DISTIL_SOURCE_DIR) / "tests/data/models";

Schema parse_ok(const std::string& text) {
  Result<Schema> schema = parse_models(text, "models/x.yaml");
  if (!schema) FAIL_CHECK(format_error(schema.error()));
  REQUIRE(schema.has_value());
  return *schema;
}

Error parse_error(const std::string& text) {
  Result<Schema> schema = parse_models(text, "models/x.yaml");
  REQUIRE_FALSE(schema.has_value());
  INFO(format_error(schema.error()));
  CHECK(schema.error().code == ErrorCode::model);
  CHECK(schema.error().where.file == "models/x.yaml");
  return schema.error();
}

bool contains(const std::string& text, const std::string& part) {
  INFO("\"" << text << "\" should contain \"" << part << "\"");
  return text.find(part) != std::string::npos;
}

Column col(std::string name, std::string type, bool nullable = true) {
  return Column{.name = std::move(name), .type = std::move(type), .nullable = nullable};
}

Schema expected_billing() {
  Schema s;
  Table tenants{.name = "tenants"};
  tenants.columns = {col("id", "varchar(100)", false), col("name", "text", false)};
  tenants.columns[1].comment = "Display name.";
  tenants.primary_key = {"id"};
  s.tables["tenants"] = tenants;

  Table orders{.name = "sales_orders"};
  orders.comment = "One billing period of one tenant.";
  orders.renamed_from = "orders";
  Column id = col("id", "integer", false);
  id.autoincrement = true;
  Column currency = col("currency", "varchar(3)", false);
  currency.default_sql = "'NZD'";
  Column total = col("total", "numeric(12,2)");
  total.renamed_from = "amount";
  orders.columns = {id,
                    col("tenant_id", "varchar(100)", false),
                    col("start", "timestamp", false),
                    currency,
                    total,
                    col("tags", "text[]"),
                    col("payload", "JSONB")};
  orders.primary_key = {"id"};
  orders.unique = {
      Unique{.name = "uq_sales_orders_tenant_start", .columns = {"tenant_id", "start"}}};
  orders.indexes = {
      Index{.name = "ix_sales_orders_start", .columns = {"start"}, .where = "total > 0"}};
  orders.foreign_keys = {ForeignKey{.name = "fk_sales_orders_tenant_id_tenants",
                                    .columns = {"tenant_id"},
                                    .ref_table = "tenants",
                                    .ref_columns = {"id"},
                                    .on_delete = FkAction::cascade}};
  orders.checks = {Check{.name = "ck_sales_orders_total", .expression = "total >= 0"}};
  s.tables["sales_orders"] = orders;

  Table lines{.name = "order_lines"};
  lines.columns = {col("order_id", "integer", false), col("line_no", "smallint", false),
                   col("note", "text")};
  lines.primary_key = {"order_id", "line_no"};
  lines.unique = {Unique{.name = "uq_order_lines_order_id_note", .columns = {"order_id", "note"}}};
  lines.indexes = {Index{.name = "ix_order_lines_note", .columns = {"note"}},
                   Index{.name = index_name("order_lines", {"lower(note)"}),
                         .columns = {"lower(note)"},
                         .unique = true}};
  lines.foreign_keys = {ForeignKey{.name = "fk_order_lines_order_id_sales_orders",
                                   .columns = {"order_id"},
                                   .ref_table = "sales_orders",
                                   .ref_columns = {"id"},
                                   .on_delete = FkAction::set_null,
                                   .on_update = FkAction::restrict}};
  lines.checks = {Check{.name = "ck_order_lines_1", .expression = "line_no > 0"}};
  s.tables["order_lines"] = lines;
  return s;
}

// A one-table model whose `orders` table has `extra` appended to its body.
std::string orders_with(const std::string& extra) {
  return "tables:\n"
         "  orders:\n"
         "    columns:\n"
         "      - {name: id, type: integer, primary_key: true}\n"
         "      - {name: total, type: integer}\n" +
         extra;
}

}  // namespace

TEST_CASE("a full-featured model file loads to the exact expected schema") {
  Result<Schema> schema = load_models(kData / "full/billing.yaml");
  if (!schema) FAIL(format_error(schema.error()));
  CHECK(*schema == expected_billing());
  // Field by field too, so a failure says which table differs.
  for (const auto& [name, table] : expected_billing().tables) {
    INFO("table " << name);
    REQUIRE(schema->find_table(name) != nullptr);
    CHECK(schema->find_table(name)->columns == table.columns);
    CHECK(*schema->find_table(name) == table);
  }
}

TEST_CASE("tables, columns and constraints remember their file and line") {
  Result<Schema> schema = load_models(kData / "full/billing.yaml");
  REQUIRE(schema.has_value());
  const Table& orders = *schema->find_table("sales_orders");
  CHECK(orders.origin.file == (kData / "full/billing.yaml").string());
  CHECK(orders.origin.line == 7);
  CHECK(orders.columns[1].origin.line == 12);
  CHECK(orders.foreign_keys[0].origin.line == 20);
  CHECK(schema->find_table("order_lines")->columns[2].origin.line == 28);
}

TEST_CASE("primary-key columns are not null and other columns default to nullable") {
  const Schema s = parse_ok(
      "tables:\n  t:\n    columns:\n      - {name: a, type: integer}\n"
      "      - {name: b, type: integer}\n      - {name: c, type: integer, nullable: false}\n"
      "    primary_key: [a]\n");
  const Table& t = *s.find_table("t");
  CHECK_FALSE(t.find_column("a")->nullable);
  CHECK(t.find_column("b")->nullable);
  CHECK_FALSE(t.find_column("c")->nullable);
  CHECK(t.primary_key == std::vector<std::string>{"a"});
}

TEST_CASE("a folder's yaml files are merged and other files ignored") {
  Result<Schema> schema = load_models(kData / "merge");
  if (!schema) FAIL(format_error(schema.error()));
  REQUIRE(schema->tables.size() == 2);
  const Table& orders = *schema->find_table("orders");
  REQUIRE(orders.foreign_keys.size() == 1);
  CHECK(orders.foreign_keys[0].ref_table == "tenants");
  CHECK(orders.origin.file == (kData / "merge/b_orders.yaml").string());
  CHECK(schema->find_table("tenants")->origin.file == (kData / "merge/a_tenants.yaml").string());
}

TEST_CASE("a table defined in two files is an error naming both places") {
  Result<Schema> schema = load_models(kData / "duplicate_table");
  REQUIRE_FALSE(schema.has_value());
  const Error& e = schema.error();
  CHECK(e.code == ErrorCode::model);
  CHECK(e.where.file == (kData / "duplicate_table/b.yaml").string());
  CHECK(e.where.line == 5);
  CHECK(contains(e.message, (kData / "duplicate_table/a.yaml").string() + ":2"));
  CHECK(contains(e.message, (kData / "duplicate_table/b.yaml").string() + ":5"));
  CHECK(contains(e.message, "\"tenants\""));
}

TEST_CASE("models parsed by several threads merge and fail as if read one file after another") {
  // 40 files of one table each; t07 references t30 (a later file), so merging must wait for
  // every file. Three threads share the parsing, as check does.
  const std::filesystem::path folder =
      std::filesystem::path(DISTIL_BINARY_DIR) / "model_io_test_threads";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  auto write = [&](int i, const std::string& extra) {
    char name[16];
    std::snprintf(name, sizeof name, "t%02d", i);
    std::ofstream(folder / (std::string(name) + ".yaml"))
        << "tables:\n  " << name << ":\n    columns:\n      - {name: id, type: integer}\n"
        << extra << "    primary_key: [id]\n"
        << (i == 7 ? "    foreign_keys: [{columns: [t30_id], references: {table: t30, columns: [id]}}]\n"
                   : "");
  };
  auto load = [&] {
    auto started = distil::model::yaml::ModelLoad::start(folder);
    REQUIRE(started.has_value());
    std::unique_ptr<distil::model::yaml::ModelLoad> models = std::move(*started);
    std::thread a([&] { models->work(); });
    std::thread b([&] { models->work(); });
    models->work();
    a.join();
    b.join();
    return models->finish();
  };
  for (int i = 0; i < 40; ++i) {
    write(i, i == 7 ? "      - {name: t30_id, type: integer}\n" : "");
  }
  Result<Schema> schema = load();
  if (!schema) FAIL(format_error(schema.error()));
  CHECK(schema->tables.size() == 40);
  CHECK(schema->find_table("t07")->foreign_keys.at(0).ref_table == "t30");
  CHECK(schema->find_table("t39")->origin.file == (folder / "t39.yaml").string());

  // Two bad files: the error is always the first one's, however the threads raced.
  write(11, "      - {name: x, type: integer\n");
  write(29, "      - [not a column]\n");
  for (int round = 0; round < 20; ++round) {
    Result<Schema> bad = load();
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().where.file == (folder / "t11.yaml").string());
  }
  // A table defined in two files: merge errors keep file order too.
  write(11, "");
  std::ofstream(folder / "t05b.yaml") << "tables:\n  t20:\n    columns: [{name: id, type: integer}]\n";
  Result<Schema> twice = load();
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().where.file == (folder / "t20.yaml").string());
  CHECK(contains(twice.error().message, (folder / "t05b.yaml").string() + ":2"));
}

TEST_CASE("a table defined twice in one file is an error") {
  const Error e = parse_error(
      "tables:\n  t:\n    columns: [{name: a, type: integer}]\n"
      "  t:\n    columns: [{name: a, type: integer}]\n");
  CHECK(e.where.line == 4);
  CHECK(contains(e.message, "defined twice"));
}

TEST_CASE("a missing models path and an empty folder are errors") {
  Result<Schema> missing = load_models(kData / "no_such_folder");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::config);
  CHECK(contains(missing.error().message, "no_such_folder"));

  const std::filesystem::path empty =
      std::filesystem::path(DISTIL_BINARY_DIR) / "model_io_test_empty_folder";
  std::filesystem::create_directories(empty);
  Result<Schema> none = load_models(empty);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == ErrorCode::model);
  CHECK(contains(none.error().message, "no *.yaml"));
}

TEST_CASE("invalid YAML is an error with the file and line") {
  const Error e = parse_error("tables:\n  t:\n    columns: [{name: a, type: integer}\n");
  CHECK(e.where.line >= 3);
  CHECK(contains(e.message, "invalid YAML"));
}

TEST_CASE("unknown keys are errors with a did-you-mean hint at their line") {
  const Error top = parse_error("tabels:\n  t: {columns: [{name: a, type: integer}]}\n");
  CHECK(top.where.line == 1);
  CHECK(top.message == "unknown key \"tabels\"; did you mean \"tables\"?");

  const Error table = parse_error(orders_with("    indexs: [{columns: [total]}]\n"));
  CHECK(table.where.line == 6);
  CHECK(table.where.table == "orders");
  CHECK(table.message == "unknown key \"indexs\"; did you mean \"indexes\"?");

  const Error column = parse_error(
      "tables:\n  t:\n    columns:\n      - {name: a, type: integer, nulable: false}\n");
  CHECK(column.where.line == 4);
  CHECK(column.where.column == "a");
  CHECK(column.message == "unknown key \"nulable\"; did you mean \"nullable\"?");
  CHECK(format_error(column) ==
        "models/x.yaml:4: table \"t\", column \"a\": unknown key \"nulable\"; did you mean "
        "\"nullable\"?");
}

TEST_CASE("an unquoted type with a comma in flow style asks to quote the type") {
  const Error e =
      parse_error("tables:\n  t:\n    columns:\n      - {name: total, type: numeric(12,2)}\n");
  CHECK(e.where.line == 4);
  CHECK(contains(e.message, "unknown key \"2)\""));
  CHECK(contains(e.message, "quote the type: \"numeric(12,2)\""));
}

TEST_CASE("a typo of a portable type is an error with a did-you-mean hint") {
  const Error e =
      parse_error(orders_with("") + "      - {name: amount, type: \"nummeric(12,2)\"}\n");
  CHECK(e.where.line == 6);
  CHECK(e.where.table == "orders");
  CHECK(e.where.column == "amount");
  CHECK(e.message == "unknown type \"nummeric(12,2)\"; did you mean \"numeric\"?");
  CHECK(contains(parse_error(orders_with("") + "      - {name: a, type: Integr}\n").message,
                 "did you mean \"integer\"?"));
  CHECK(contains(parse_error(orders_with("") + "      - {name: a, type: \"tex[]\"}\n").message,
                 "did you mean \"text\"?"));
}

TEST_CASE("portable types, their aliases and other types pass through verbatim") {
  for (const char* type : {"smallint",
                           "INTEGER",
                           "bigint",
                           "boolean",
                           "real",
                           "double",
                           "numeric(12,2)",
                           "numeric",
                           "varchar(3)",
                           "char(2)",
                           "text",
                           "date",
                           "time",
                           "timestamp",
                           "timestamptz",
                           "uuid",
                           "json",
                           "binary",
                           "int",
                           "int4",
                           "int8",
                           "float",
                           "double precision",
                           "character varying(20)",
                           "datetime",
                           "blob",
                           "jsonb",
                           "inet",
                           "integer[]",
                           "text[]",
                           "bytea",
                           "serial",
                           "decimal(10,2)",
                           "name",
                           "geometry(Point,4326)",
                           "hstore"}) {
    INFO(type);
    const Schema s = parse_ok(
        std::string("tables:\n  t:\n    columns:\n      - {name: a, type: \"") + type + "\"}\n");
    CHECK(s.find_table("t")->columns[0].type == type);
  }
}

TEST_CASE("a foreign key to a missing table or column is an error at its line") {
  const Error table = parse_error(orders_with(
      "    foreign_keys: [{columns: [total], references: {table: tenant, columns: [id]}}]\n"));
  CHECK(table.where.line == 6);
  CHECK(table.where.table == "orders");
  CHECK(contains(table.message, "references table \"tenant\", which is not defined"));

  const Error ref_column = parse_error(orders_with(
      "    foreign_keys: [{columns: [total], references: {table: orders, columns: [idd]}}]\n"));
  CHECK(ref_column.where.line == 6);
  CHECK(contains(ref_column.message, "column \"idd\" of table \"orders\""));

  const Error own_column = parse_error(orders_with(
      "    foreign_keys: [{columns: [totl], references: {table: orders, columns: [id]}}]\n"));
  CHECK(own_column.where.line == 6);
  CHECK(contains(own_column.message, "\"totl\", which is not a column; did you mean \"total\"?"));
}

TEST_CASE("a foreign key with mismatched column counts is an error") {
  const Error e = parse_error(
      orders_with("    foreign_keys:\n"
                  "      - {columns: [id, total], references: {table: orders, columns: [id]}}\n"));
  CHECK(e.where.line == 7);
  CHECK(contains(e.message, "references 1 column(s) for 2 column(s)"));
}

TEST_CASE("keys and indexes naming a missing column are errors - checks are not inspected") {
  const Error pk =
      parse_error("tables:\n  t:\n    columns: [{name: a, type: integer}]\n    primary_key: [b]\n");
  CHECK(pk.where.line == 4);
  CHECK(contains(pk.message, "primary_key names \"b\", which is not a column"));

  const Error uq = parse_error(orders_with("    unique: [{columns: [total, nope]}]\n"));
  CHECK(uq.where.line == 6);
  CHECK(contains(uq.message, "unique \"uq_orders_total_nope\" names \"nope\""));

  const Error ix = parse_error(orders_with("    indexes:\n      - {columns: [nope]}\n"));
  CHECK(ix.where.line == 7);
  CHECK(contains(ix.message, "index \"ix_orders_nope\" names \"nope\""));

  // An expression index and a check over unknown names are left to the database.
  const Schema s = parse_ok(orders_with(
      "    indexes: [{columns: [\"lower(x)\"]}]\n    checks: [{expression: \"y > 0\"}]\n"));
  CHECK(s.find_table("orders")->checks[0].name == "ck_orders_1");
}

TEST_CASE("a column defined twice in a table is an error") {
  const Error e = parse_error(orders_with("") + "      - {name: total, type: text}\n");
  CHECK(e.where.line == 6);
  CHECK(contains(e.message, "column \"total\" is defined twice"));
}

TEST_CASE("constraint and index names must be unique across the schema") {
  const Error e = parse_error(
      "tables:\n"
      "  a:\n"
      "    columns: [{name: x, type: integer}]\n"
      "    indexes: [{name: ix_x, columns: [x]}]\n"
      "  b:\n"
      "    columns: [{name: x, type: integer}]\n"
      "    unique: [{name: ix_x, columns: [x]}]\n");
  CHECK(e.where.line == 7);  // b is checked after a (tables in name order)
  CHECK(e.where.table == "b");
  CHECK(contains(e.message, "\"ix_x\""));
  CHECK(contains(e.message, "models/x.yaml:4"));

  const Error derived = parse_error(orders_with(
      "    checks: [{expression: \"total > 0\"}, {name: ck_orders_1, expression: \"id > 0\"}]\n"));
  CHECK(derived.where.line == 6);
  CHECK(contains(derived.message, "\"ck_orders_1\""));
}

TEST_CASE("an empty file or empty tables mapping defines no tables") {
  CHECK(parse_ok("").tables.empty());
  CHECK(parse_ok("tables:\n").tables.empty());
  CHECK(parse_error("- a\n").where.line == 1);
}

TEST_CASE("the shipped distil schema folder loads") {
  const std::filesystem::path folder = std::filesystem::path(DISTIL_SOURCE_DIR) / "schemas/distil";
  bool has_models = false;
  if (std::filesystem::is_directory(folder)) {
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      has_models = has_models || entry.path().extension() == ".yaml";
    }
  }
  if (!has_models) {
    MESSAGE("schemas/distil has no *.yaml yet; nothing to check");
    return;
  }
  Result<Schema> schema = load_models(folder);
  if (!schema) FAIL(format_error(schema.error()));
  CHECK_FALSE(schema->tables.empty());
}

TEST_CASE("foreign-key deferrability and index methods load") {
  const Schema s = parse_ok(orders_with(
      "    indexes:\n"
      "      - {columns: [total], using: GIN}\n"
      "      - {name: ix_btree, columns: [id], using: btree}\n"
      "    foreign_keys:\n"
      "      - {name: fk_a, columns: [total], references: {table: orders, columns: [id]},\n"
      "         deferrable: true}\n"
      "      - {name: fk_b, columns: [total], references: {table: orders, columns: [id]},\n"
      "         initially_deferred: true}\n"
      "      - {name: fk_c, columns: [total], references: {table: orders, columns: [id]}}\n"));
  const Table& t = s.tables.at("orders");
  REQUIRE(t.indexes.size() == 2);
  CHECK(t.indexes[0].method == "gin");
  CHECK(t.indexes[1].method.empty());  // btree is the default, kept as ""
  REQUIRE(t.foreign_keys.size() == 3);
  CHECK(t.foreign_keys[0].deferrable);
  CHECK_FALSE(t.foreign_keys[0].initially_deferred);
  CHECK(t.foreign_keys[1].deferrable);  // initially_deferred implies deferrable
  CHECK(t.foreign_keys[1].initially_deferred);
  CHECK_FALSE(t.foreign_keys[2].deferrable);
  CHECK_FALSE(t.foreign_keys[2].initially_deferred);

  const Error contradiction = parse_error(orders_with(
      "    foreign_keys:\n"
      "      - {columns: [total], references: {table: orders, columns: [id]},\n"
      "         deferrable: false, initially_deferred: true}\n"));
  CHECK(contains(contradiction.message, "initially_deferred"));
  const Error method =
      parse_error(orders_with("    indexes:\n      - {columns: [total], using: \"g in\"}\n"));
  CHECK(contains(method.message, "index method"));
}

TEST_CASE("YAML aliases cannot make a small model file cost quadratic time and memory") {
  // Found by fuzzing (fuzz/model_yaml_fuzz.cpp): 50 KB naming one 1000-column list from
  // 1000 tables read a million columns and ran for minutes. Reading more entries than the
  // file has bytes is refused, at the line where it happens.
  std::string columns;
  for (int i = 0; i < 300; ++i) columns += (i ? ", " : "") + ("{name: c" + std::to_string(i)) + ", type: integer}";
  std::string text = "tables:\n  t0:\n    columns: &c [" + columns + "]\n";
  for (int i = 1; i < 300; ++i) text += "  t" + std::to_string(i) + ": {columns: *c}\n";
  const Error error = parse_error(text);
  CHECK(contains(error.message, "YAML aliases"));
  CHECK(error.where.line >= 3);  // aliased nodes keep the anchor's line
  // An alias used a few times is fine.
  CHECK(parse_models("tables:\n  a:\n    columns: &c [{name: id, type: integer}]\n"
                     "  b: {columns: *c}\n",
                     "models/x.yaml"));
}

TEST_CASE("a second YAML document or a stray comma is an error at its line") {
  // Found by fuzzing (fuzz/model_yaml_fuzz.cpp): an empty second document had no line, and
  // a leading ", " made yaml-cpp's LoadAll loop forever (the reader is libyaml's now).
  const Error two = parse_error("tables:\n  t:\n    columns: [{name: id, type: integer}]\n---\n");
  CHECK(contains(two.message, "holds one YAML document, found 2"));
  CHECK(two.where.line == 4);
  const Error stray = parse_error(", tables: {}\n");
  CHECK(contains(stray.message, "invalid YAML: did not find expected node content: found \",\" at column 1"));
  CHECK(stray.where.line == 1);
}
