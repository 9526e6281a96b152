// emitters/revision/writer: Revision -> file text, read back by model/yaml/revision_io.
#include "emitters/revision/writer.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "model/yaml/revision_io.hpp"

namespace {

using namespace distil::model;
using distil::emitters::next_number;
using distil::emitters::slugify;
using distil::emitters::write_ops;
using distil::emitters::write_revision;
using distil::emitters::write_revision_checked;
using distil::model::yaml::parse_ops;
using distil::model::yaml::parse_revision;

Revision base_revision(std::vector<Op> upgrade, std::vector<Op> downgrade = {}) {
  Revision rev;
  rev.id = "3f9a1c2b7d4e";
  rev.down_revisions = {"8b1e0c5d2a9f"};
  rev.message = "add currency to sales orders";
  rev.create_date = "2026-11-26T01:00:00Z";
  rev.number = 3;
  rev.upgrade = std::move(upgrade);
  rev.downgrade = std::move(downgrade);
  return rev;
}

// Writes `rev`, parses the text back and requires an equal Revision (Origin aside).
void check_round_trip(const Revision& rev) {
  const std::string text = write_revision(rev);
  INFO(text);
  Result<Revision> back = parse_revision(text, "written.yaml");
  if (!back) FAIL_CHECK(format_error(back.error()));
  REQUIRE(back.has_value());
  CHECK(back->id == rev.id);
  CHECK(back->down_revisions == rev.down_revisions);
  CHECK(back->message == rev.message);
  CHECK(back->create_date == rev.create_date);
  CHECK(back->branch_labels == rev.branch_labels);
  CHECK(back->depends_on == rev.depends_on);
  REQUIRE(back->upgrade.size() == rev.upgrade.size());
  for (std::size_t i = 0; i < rev.upgrade.size(); ++i) {
    CAPTURE(i);
    CHECK(back->upgrade[i] == rev.upgrade[i]);
  }
  REQUIRE(back->downgrade.size() == rev.downgrade.size());
  for (std::size_t i = 0; i < rev.downgrade.size(); ++i) {
    CAPTURE(i);
    CHECK(back->downgrade[i] == rev.downgrade[i]);
  }
  back->number = rev.number;             // from the file name, which a text has not
  CHECK(write_revision(*back) == text);  // a fixed point: writing what was read changes nothing
  // What `revision` writes: the same text, rendered and read back in halves.
  Revision copy = rev;
  Result<std::string> checked = write_revision_checked(copy, "written.yaml");
  if (!checked) FAIL_CHECK(format_error(checked.error()));
  CHECK((checked && *checked == text));
  CHECK(copy.upgrade.empty());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Column column(std::string name, std::string type) {
  return Column{.name = std::move(name), .type = std::move(type)};
}

Table full_table() {
  Table t{.name = "sales_orders"};
  t.columns = {
      Column{.name = "id", .type = "integer", .nullable = false, .autoincrement = true},
      Column{.name = "tenant_id", .type = "varchar(100)", .nullable = false},
      column("start", "timestamp"),
      Column{.name = "currency", .type = "varchar(3)", .nullable = false, .default_sql = "'NZD'"},
      Column{.name = "total",
             .type = "numeric(12,2)",
             .comment = "gross, in currency",
             .renamed_from = "amount"}};
  t.primary_key = {"id"};
  t.unique = {Unique{.name = "uq_sales_orders_tenant_start", .columns = {"tenant_id", "start"}}};
  t.indexes = {
      Index{.name = "ix_sales_orders_start", .columns = {"start"}, .where = "total > 0"},
      Index{.name = "ix_sales_orders_lower", .columns = {"lower(tenant_id)"}, .unique = true}};
  t.foreign_keys = {ForeignKey{.name = "fk_sales_orders_tenant_id_tenants",
                               .columns = {"tenant_id"},
                               .ref_table = "tenants",
                               .ref_columns = {"id"},
                               .on_delete = FkAction::cascade,
                               .on_update = FkAction::set_null}};
  t.checks = {Check{.name = "ck_sales_orders_total", .expression = "total >= 0"}};
  t.comment = "One billing period of one tenant.";
  return t;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device random;
    path = std::filesystem::temp_directory_path() / ("distil_writer_" + std::to_string(random()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void touch(const std::string& name) const { std::ofstream(path / name) << ""; }
};

}  // namespace

TEST_CASE("the DESIGN §5 example is written in its exact layout") {
  const Revision rev =
      base_revision({AddColumn{.table = "sales_orders",
                               .column = Column{.name = "currency",
                                                .type = "varchar(3)",
                                                .nullable = false,
                                                .default_sql = "'NZD'"}}},
                    {DropColumn{.table = "sales_orders", .column = column("currency", "")}});
  CHECK(write_revision(rev) == R"y(# 0003 add currency to sales orders
# adds column sales_orders.currency
revision: "3f9a1c2b7d4e"
down_revision: "8b1e0c5d2a9f"
message: add currency to sales orders
create_date: 2026-11-26T01:00:00Z
upgrade:
  - add_column:
      table: sales_orders
      column: {name: currency, type: varchar(3), nullable: false, default: "'NZD'"}
downgrade:
  # DESTRUCTIVE: drops column sales_orders.currency (data loss)
  - drop_column: {table: sales_orders, column: currency}
)y");
  check_round_trip(rev);
}

TEST_CASE("create_table is written in block style, one flow-style column per line") {
  const Revision rev = base_revision({CreateTable{.table = full_table()}});
  const std::string text = write_revision(rev);
  CHECK(text.find(R"y(  - create_table:
      name: sales_orders
      columns:
        - {name: id, type: integer, primary_key: true, autoincrement: true}
        - {name: tenant_id, type: varchar(100), nullable: false}
        - {name: start, type: timestamp}
        - {name: currency, type: varchar(3), nullable: false, default: "'NZD'"}
        - {name: total, type: "numeric(12,2)", comment: "gross, in currency", renamed_from: amount}
      unique:
        - {name: uq_sales_orders_tenant_start, columns: [tenant_id, start]}
      indexes:
        - {name: ix_sales_orders_start, columns: [start], where: "total > 0"}
        - {name: ix_sales_orders_lower, columns: [lower(tenant_id)], unique: true}
      foreign_keys:
        - {name: fk_sales_orders_tenant_id_tenants, columns: [tenant_id], references: {table: tenants, columns: [id]}, on_delete: cascade, on_update: set null}
      checks:
        - {name: ck_sales_orders_total, expression: "total >= 0"}
      comment: One billing period of one tenant.
)y") != std::string::npos);
  check_round_trip(rev);
}

TEST_CASE("a composite primary key is written as a table-level list and round-trips") {
  Table t{.name = "lines"};
  t.columns = {Column{.name = "order_id", .type = "integer", .nullable = false},
               Column{.name = "line_no", .type = "integer", .nullable = false},
               column("note", "text")};
  t.primary_key = {"line_no", "order_id"};
  const Revision rev = base_revision({CreateTable{.table = t}});
  const std::string text = write_revision(rev);
  CHECK(text.find("      primary_key: [line_no, order_id]\n") != std::string::npos);
  CHECK(text.find("primary_key: true") == std::string::npos);
  CHECK(text.find("        - {name: order_id, type: integer}\n") != std::string::npos);
  check_round_trip(rev);
}

TEST_CASE("every op kind round-trips through write and parse") {
  DropTable drop_table;
  drop_table.table.name = "old_orders";
  DropColumn drop_column{.table = "t"};
  drop_column.column.name = "c";
  DropIndex drop_index{.table = "t"};
  drop_index.index.name = "ix_t_a";
  AlterColumn alter{.table = "t", .column = "amount"};
  alter.change = {.type = "numeric(12,2)",
                  .nullable = false,
                  .default_sql = std::optional<std::string>{},
                  .comment = std::optional<std::string>{"money: gross"},
                  .rename_to = "total"};
  alter.existing = {.type = "integer",
                    .nullable = true,
                    .default_sql = std::optional<std::string>{"0"},
                    .comment = std::optional<std::string>{}};
  AlterColumn set_default{.table = "t", .column = "c"};
  set_default.change.default_sql = std::optional<std::string>{"CURRENT_TIMESTAMP"};
  AlterColumn rename_only{.table = "t", .column = "c"};
  rename_only.change.rename_to = "d";
  const std::vector<Op> ops = {
      CreateTable{.table = full_table()},
      drop_table,
      RenameTable{.from = "orders", .to = "sales_orders"},
      AddColumn{.table = "t",
                .column = Column{.name = "flag",
                                 .type = "boolean",
                                 .nullable = false,
                                 .default_sql = "false",
                                 .comment = "yes"}},
      drop_column,
      alter,
      set_default,
      rename_only,
      CreateIndex{.table = "t",
                  .index = {.name = "ix_t_a",
                            .columns = {"a", "lower(b)"},
                            .unique = true,
                            .where = "a > 0 AND b <> ''"}},
      CreateIndex{.table = "t", .index = {.name = "ix_t_b", .columns = {"b"}}},
      CreateIndex{.table = "t",
                  .index = {.name = "ix_t_tags", .columns = {"tags"}, .method = "gin"}},
      drop_index,
      CreateUnique{.table = "t", .unique = {.name = "uq_t_a_b", .columns = {"a", "b"}}},
      CreateForeignKey{.table = "t",
                       .foreign_key = {.name = "fk_t_r",
                                       .columns = {"r_id", "r_k"},
                                       .ref_table = "r",
                                       .ref_columns = {"id", "k"},
                                       .on_delete = FkAction::restrict,
                                       .on_update = FkAction::set_default}},
      CreateForeignKey{.table = "t",
                       .foreign_key = {.name = "fk_t_s",
                                       .columns = {"s_id"},
                                       .ref_table = "s",
                                       .ref_columns = {"id"}}},
      CreateForeignKey{.table = "t",
                       .foreign_key = {.name = "fk_t_s2",
                                       .columns = {"s2_id"},
                                       .ref_table = "s",
                                       .ref_columns = {"id"},
                                       .deferrable = true}},
      CreateForeignKey{.table = "t",
                       .foreign_key = {.name = "fk_t_s3",
                                       .columns = {"s3_id"},
                                       .ref_table = "s",
                                       .ref_columns = {"id"},
                                       .on_delete = FkAction::cascade,
                                       .deferrable = true,
                                       .initially_deferred = true}},
      CreateCheck{.table = "t", .check = {.name = "ck_t_a", .expression = "a IN ('x', 'y: z')"}},
      DropConstraint{.table = "t", .name = "uq_t_a_b"},
      RawSql{.any = "UPDATE t SET a = 1 WHERE b = 'c'"},
      RawSql{.any = "CREATE VIEW v AS\n  SELECT a,\n\tb\n\n  FROM t;\n"},
      RawSql{.any = "SELECT 1;\n\n\n"},
      RawSql{.any = "  leading spaces\nkept"},
      RawSql{.by_dialect = {{"postgresql", "VACUUM ANALYZE t"}, {"sqlite", "VACUUM"}}},
      RawSql{.any = "SELECT 0", .by_dialect = {{"sqlite", "SELECT 1;\nSELECT 2;"}}},
  };
  Revision rev = base_revision(ops, ops);
  rev.branch_labels = {"expand"};
  rev.depends_on = {"1c2d3e4f5a6b", "006"};
  check_round_trip(rev);
}

TEST_CASE("strings YAML could misread are quoted and survive the round trip") {
  const std::vector<std::string> tricky = {"006",
                                           "1e10",
                                           "0x1F",
                                           "+1",
                                           "-1",
                                           ".5",
                                           ".inf",
                                           "~",
                                           "null",
                                           "Null",
                                           "NULL",
                                           "true",
                                           "False",
                                           "yes",
                                           "No",
                                           "on",
                                           "OFF",
                                           "y",
                                           "n",
                                           "",
                                           " lead",
                                           "trail ",
                                           "- dash",
                                           "? q",
                                           ": c",
                                           "a: b",
                                           "a:b",
                                           "a:",
                                           "x #y",
                                           "#x",
                                           "a,b",
                                           "[x]",
                                           "{y}",
                                           "*ref",
                                           "&anchor",
                                           "!tag",
                                           "%x",
                                           "@x",
                                           "`x",
                                           "|",
                                           ">",
                                           "'single'",
                                           "\"double\"",
                                           "back\\slash",
                                           "tab\there",
                                           "line\nbreak",
                                           "cr\rx",
                                           "bell\x07",
                                           "=",
                                           "<<",
                                           "caf\xc3\xa9 #1",
                                           "numeric(12,2)",
                                           "text[]",
                                           "varchar(3)",
                                           "a  b"};
  std::vector<Op> ops;
  for (const std::string& s : tricky) {
    ops.push_back(AddColumn{
        .table = "t" + s,
        .column = Column{.name = "c" + s, .type = "x" + s, .default_sql = s, .comment = s}});
  }
  Revision rev = base_revision(ops);
  rev.message = "a: message # with\n\"everything\" 'in' it";
  rev.create_date = "";
  check_round_trip(rev);
  for (const std::string& s : tricky) {
    CAPTURE(s);
    Revision named = base_revision({});
    named.message = s;
    named.create_date = s;
    named.id = s.empty() || s.find_first_of(" \t\n\r") != std::string::npos ? "x" : s;
    check_round_trip(named);
  }
}

TEST_CASE("revision ids survive write then parse, always double-quoted") {
  for (const std::string id : {"006", "1e10", "12e345678901", "kilo", "Ibac91d24da2",
                               "0123456789abcdef0123456789abcdef", "null", "true", "a#b"}) {
    CAPTURE(id);
    Revision rev = base_revision({});
    rev.id = id;
    rev.down_revisions = {id.size() < 32 ? id + "0" : "0" + id.substr(1)};
    rev.depends_on = {id};
    rev.branch_labels = {id};
    const std::string text = write_revision(rev);
    CHECK(text.find("revision: \"" + id + "\"\n") != std::string::npos);
    check_round_trip(rev);
  }
}

TEST_CASE("a merge writes down_revision as a flow list of quoted ids - a base writes null") {
  Revision merge = base_revision({});
  merge.down_revisions = {"a1", "006"};
  CHECK(write_revision(merge).find("down_revision: [\"a1\", \"006\"]\n") != std::string::npos);
  check_round_trip(merge);
  Revision base = base_revision({});
  base.down_revisions.clear();
  CHECK(write_revision(base).find("down_revision: null\n") != std::string::npos);
  check_round_trip(base);
}

TEST_CASE("empty upgrade and downgrade lists are written as [] and read back") {
  const Revision rev = base_revision({});
  const std::string text = write_revision(rev);
  CHECK(text.find("upgrade: []\ndowngrade: []\n") != std::string::npos);
  CHECK(text.find("branch_labels") == std::string::npos);
  CHECK(text.find("depends_on") == std::string::npos);
  CHECK(lines_of(text).at(1) == "revision: \"3f9a1c2b7d4e\"");  // no summary without ops
  check_round_trip(rev);
}

TEST_CASE("DESTRUCTIVE comments sit exactly above the ops that lose data, and nowhere else") {
  const DropColumn full_drop{
      .table = "sales_orders",
      .column =
          Column{.name = "total", .type = "numeric(12,2)", .nullable = false, .default_sql = "0"}};
  DropTable drop_table;
  drop_table.table = full_table();
  AlterColumn narrow{.table = "t", .column = "c"};
  narrow.change.type = "smallint";
  narrow.existing.type = "bigint";
  const Revision rev =
      base_revision({AddColumn{.table = "t", .column = column("a", "integer")}, full_drop,
                     RenameTable{.from = "a", .to = "b"}, drop_table, narrow},
                    {CreateTable{.table = full_table()}});
  const std::vector<std::string> lines = lines_of(write_revision(rev));
  std::vector<std::pair<std::string, std::string>> marked;  // (comment, next line)
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("DESTRUCTIVE") != std::string::npos) {
      REQUIRE(i + 1 < lines.size());
      marked.emplace_back(lines[i], lines[i + 1]);
    }
  }
  REQUIRE(marked.size() == 3);
  CHECK(marked[0].first == "  # DESTRUCTIVE: drops column sales_orders.total (data loss)");
  CHECK(marked[0].second == "  - drop_column: {table: sales_orders, column: total}");
  CHECK(marked[1].first == "  # DESTRUCTIVE: drops table sales_orders (data loss)");
  CHECK(marked[1].second == "  - drop_table: {name: sales_orders}");
  CHECK(marked[2].first ==
        "  # DESTRUCTIVE: alters column t.c (type bigint -> smallint) (may lose data)");
  CHECK(marked[2].second.rfind("  - alter_column:", 0) == 0);
}

TEST_CASE("a drop that carries its full definition is written by name only") {
  const DropColumn full_drop{
      .table = "t", .column = Column{.name = "c", .type = "numeric(12,2)", .default_sql = "0"}};
  const std::string text = write_ops({full_drop});
  CHECK(text ==
        "  # DESTRUCTIVE: drops column t.c (data loss)\n  - drop_column: {table: t, column: c}\n");
  Result<std::vector<Op>> back = parse_ops(text, "ops.yaml");
  REQUIRE(back.has_value());
  REQUIRE(back->size() == 1);
  CHECK(std::get<DropColumn>(back->front()).column.name == "c");
  CHECK(std::get<DropColumn>(back->front()).column.type.empty());
}

TEST_CASE("the header names the number and message, then summarises the upgrade ops") {
  std::vector<Op> ops = {CreateTable{.table = full_table()},
                         AddColumn{.table = "sales_orders", .column = column("currency", "text")}};
  Revision rev = base_revision(ops);
  rev.number = 12;
  rev.message = "two\nlines";
  const std::vector<std::string> lines = lines_of(write_revision(rev));
  CHECK(lines.at(0) == "# 0012 two lines");
  CHECK(lines.at(1) == "# creates table sales_orders; adds column sales_orders.currency");
  CHECK(lines.at(2) == "revision: \"3f9a1c2b7d4e\"");

  std::vector<Op> many;
  for (int i = 0; i < 30; ++i)
    many.push_back(RenameTable{.from = "table_" + std::to_string(i), .to = "x"});
  const std::vector<std::string> long_header = lines_of(write_revision(base_revision(many)));
  std::size_t comment_lines = 0;
  while (comment_lines < long_header.size() && long_header[comment_lines].rfind("#", 0) == 0) {
    CHECK(long_header[comment_lines].size() <= 100);
    ++comment_lines;
  }
  CHECK(comment_lines > 2);
  CHECK(long_header[comment_lines - 1].find("and 10 more") != std::string::npos);
}

TEST_CASE("write_ops indents the list and parse_ops reads it back") {
  const std::vector<Op> ops = {RenameTable{.from = "a", .to = "b"},
                               AddColumn{.table = "b", .column = column("c", "text")}};
  const std::string text = write_ops(ops, 0);
  CHECK(text.rfind("- rename_table: {from: a, to: b}\n", 0) == 0);
  Result<std::vector<Op>> back = parse_ops(text, "ops.yaml");
  REQUIRE(back.has_value());
  CHECK(*back == ops);
}

TEST_CASE("slugify keeps lower-case words joined by underscores, at most 40 characters") {
  CHECK(slugify("add currency to sales orders") == "add_currency_to_sales_orders");
  CHECK(slugify("  Add  Currency!! (NZD) ") == "add_currency_nzd");
  CHECK(slugify("caf\xc3\xa9 menu") == "caf_menu");
  CHECK(slugify("") == "");
  CHECK(slugify("!!!") == "");
  const std::string slug =
      slugify("a very long message that keeps going well past the forty character limit");
  CHECK(slug.size() <= 40);
  CHECK(slug == "a_very_long_message_that_keeps_going_wel");
  CHECK(slugify("exactly forty characters long here abcde_ f").back() != '_');
}

TEST_CASE("next_number is one more than the highest NNNN of the folder's .yaml files") {
  TempDir dir;
  CHECK(next_number(dir.path) == "0001");
  CHECK(next_number(dir.path / "missing") == "0001");
  dir.touch("0009_a.yaml");
  dir.touch("0010_b.yaml");
  dir.touch("0999_notes.txt");
  dir.touch("readme.yaml");
  CHECK(next_number(dir.path) == "0011");
  dir.touch("12345_big.yaml");
  CHECK(next_number(dir.path) == "12346");
}

TEST_CASE("a transaction: false revision is written with that key and reads back") {
  Revision rev{.id = "0123456789ab", .message = "concurrent index",
               .upgrade = {RawSql{.by_dialect = {{"postgresql", "CREATE INDEX CONCURRENTLY ix ON t (a)"}}}},
               .number = 4};
  rev.transactional = false;
  const std::string text = write_revision(rev);
  CHECK(text.find("\ntransaction: false\n") != std::string::npos);
  auto back = parse_revision(text, "0004_concurrent_index.yaml");
  REQUIRE(back);
  CHECK_FALSE(back->transactional);
  rev.transactional = true;
  CHECK(write_revision(rev).find("transaction:") == std::string::npos);
}

TEST_CASE("write_revision_checked refuses a file that does not read back, with the whole file's line") {
  // Ops the reader refuses, in each half of each list: the error is the one a read of the
  // whole text gives (its line counts from the top of the file), not a part's.
  for (std::size_t bad : {0U, 1U, 2U, 4U}) {
    CAPTURE(bad);
    std::vector<Op> upgrade, downgrade;
    for (std::size_t i = 0; i < 3; ++i) {
      Table table{.name = "t" + std::to_string(i), .columns = {{.name = "id", .type = "integer"}}};
      if (i == bad) table.columns.clear();
      upgrade.push_back(CreateTable{table});
      if (i + 3 == bad) table.columns.clear();
      downgrade.push_back(CreateTable{table});
    }
    Revision rev = base_revision(upgrade, downgrade);
    const std::string whole = write_revision(rev);
    Result<Revision> expected = parse_revision(whole, "written.yaml");
    REQUIRE_FALSE(expected.has_value());
    Result<std::string> checked = write_revision_checked(rev, "written.yaml");
    REQUIRE_FALSE(checked.has_value());
    CHECK(format_error(checked.error()) == format_error(expected.error()));
  }
}
