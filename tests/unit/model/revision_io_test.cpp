// model/yaml/revision_io: revision file text -> Revision, and its errors.
#include "model/yaml/revision_io.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "model/content_hash.hpp"
#include "model/names.hpp"

namespace {

using namespace distil::model;
using distil::model::yaml::load_revision;
using distil::model::yaml::load_revisions;
using distil::model::yaml::parse_ops;
using distil::model::yaml::parse_revision;

// Every case also checks that check_revision (read and drop each op, as `revision` checks a
// file before writing it) agrees: accepted, or the same error.
Revision parse_ok(const std::string& text) {
  Result<Revision> rev = parse_revision(text, "versions/0003_x.yaml");
  if (!rev) FAIL_CHECK(format_error(rev.error()));
  REQUIRE(rev.has_value());
  const Result<void> checked = distil::model::yaml::check_revision(text, "versions/0003_x.yaml");
  CHECK_MESSAGE(checked.has_value(), (checked ? "" : format_error(checked.error())));
  return *rev;
}

Error parse_error(const std::string& text) {
  Result<Revision> rev = parse_revision(text, "versions/0003_x.yaml");
  REQUIRE_FALSE(rev.has_value());
  const Result<void> checked = distil::model::yaml::check_revision(text, "versions/0003_x.yaml");
  REQUIRE_FALSE(checked.has_value());
  CHECK(format_error(checked.error()) == format_error(rev.error()));
  INFO(format_error(rev.error()));
  CHECK(rev.error().code == ErrorCode::revision);
  CHECK(rev.error().where.file == "versions/0003_x.yaml");
  return rev.error();
}

// A revision file with `ops` as its upgrade list (each line indented by the caller).
std::string with_upgrade(const std::string& ops) {
  return "revision: abc\ndown_revision: null\nupgrade:\n" + ops;
}

template <class T>
T only_op(const Revision& rev) {
  REQUIRE(rev.upgrade.size() == 1);
  REQUIRE(std::holds_alternative<T>(rev.upgrade[0]));
  return std::get<T>(rev.upgrade[0]);
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device random;
    path = std::filesystem::temp_directory_path() / ("distil_rio_" + std::to_string(random()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

}  // namespace

TEST_CASE("revision ids are kept as the exact text written, never as numbers") {
  for (const std::string id :
       {"006", "1e10", "12e345678901", "kilo", "Ibac91d24da2", "0123456789abcdef0123456789abcdef",
        "3f9a1c2b7d4e", "0x1F", "true"}) {
    CAPTURE(id);
    const Revision rev = parse_ok("revision: " + id + "\ndown_revision: " + id + "\ndepends_on: [" +
                                  id + "]\nupgrade: []\n");
    CHECK(rev.id == id);
    CHECK(rev.down_revisions == std::vector<std::string>{id});
    CHECK(rev.depends_on == std::vector<std::string>{id});
  }
}

TEST_CASE("a revision id longer than 32 characters or with spaces is rejected") {
  const Error long_id = parse_error("revision: 0123456789abcdef0123456789abcdef0\nupgrade: []\n");
  CHECK(long_id.message.find("longer than 32") != std::string::npos);
  CHECK(long_id.where.line == 1);
  const Error spaced = parse_error("revision: abc\ndown_revision: \"a b\"\nupgrade: []\n");
  CHECK(spaced.message.find("whitespace") != std::string::npos);
  CHECK(spaced.where.line == 2);
  CHECK(spaced.where.revision == "abc");
  const Error empty = parse_error("revision: \"\"\nupgrade: []\n");
  CHECK(empty.message.find("empty") != std::string::npos);
}

TEST_CASE("down_revision null or absent makes a base revision") {
  CHECK(parse_ok("revision: a\ndown_revision: null\nupgrade: []\n").down_revisions.empty());
  CHECK(parse_ok("revision: a\ndown_revision: ~\nupgrade: []\n").down_revisions.empty());
  CHECK(parse_ok("revision: a\nupgrade: []\n").down_revisions.empty());
}

TEST_CASE("a list down_revision is a merge, in the order written") {
  const Revision rev = parse_ok("revision: m\ndown_revision: [\"b2\", 006, a1]\nupgrade: []\n");
  CHECK(rev.down_revisions == std::vector<std::string>{"b2", "006", "a1"});
  const Revision block = parse_ok("revision: m\ndown_revision:\n  - b2\n  - a1\nupgrade: []\n");
  CHECK(block.down_revisions == std::vector<std::string>{"b2", "a1"});
}

TEST_CASE("down_revision given as a mapping is an error on its line") {
  const Error error = parse_error("revision: abc\ndown_revision: {id: x}\nupgrade: []\n");
  CHECK(error.where.line == 2);
  CHECK(error.where.revision == "abc");
  CHECK(error.message.find("down_revision") != std::string::npos);
  const Error listed_twice = parse_error("revision: abc\ndown_revision: [x, x]\nupgrade: []\n");
  CHECK(listed_twice.message.find("twice") != std::string::npos);
}

TEST_CASE("an empty upgrade list is a valid no-op revision - a missing one is an error") {
  const Revision empty = parse_ok("revision: a\nupgrade: []\n");
  CHECK(empty.upgrade.empty());
  CHECK(empty.downgrade.empty());
  CHECK(parse_ok("revision: a\nupgrade:\ndowngrade:\n").upgrade.empty());
  const Error missing = parse_error("revision: a\nmessage: hi\n");
  CHECK(missing.message.find("upgrade") != std::string::npos);
  const Error not_list = parse_error("revision: a\nupgrade: {drop_table: {name: t}}\n");
  CHECK(not_list.message.find("list") != std::string::npos);
  CHECK(not_list.where.line == 2);
}

TEST_CASE("the DESIGN §5 example reads to its ops, with each op's line") {
  const Revision rev = parse_ok(R"y(# 0003 add currency to sales orders
revision: 3f9a1c2b7d4e            # 12 lower-case hex, random unless --rev-id
down_revision: 8b1e0c5d2a9f       # null for the first, a list for a merge
message: add currency to sales orders
create_date: 2026-11-26T01:00:00Z
upgrade:
  - add_column:
      table: sales_orders
      column: {name: currency, type: varchar(3), nullable: false, default: "'NZD'"}
downgrade:
  - drop_column: {table: sales_orders, column: currency}
)y");
  CHECK(rev.id == "3f9a1c2b7d4e");
  CHECK(rev.line == 2);
  CHECK(rev.down_revisions == std::vector<std::string>{"8b1e0c5d2a9f"});
  CHECK(rev.message == "add currency to sales orders");
  CHECK(rev.create_date == "2026-11-26T01:00:00Z");
  const auto add = only_op<AddColumn>(rev);
  CHECK(add == AddColumn{.table = "sales_orders",
                         .column = Column{.name = "currency",
                                          .type = "varchar(3)",
                                          .nullable = false,
                                          .default_sql = "'NZD'"}});
  CHECK(add.column.origin.line == 9);
  CHECK(rev.upgrade_lines == std::vector<int>{7});
  REQUIRE(rev.downgrade.size() == 1);
  DropColumn drop{.table = "sales_orders"};
  drop.column.name = "currency";
  CHECK(std::get<DropColumn>(rev.downgrade[0]) == drop);
  CHECK(rev.downgrade_lines == std::vector<int>{11});
}

TEST_CASE("create_table folds column-level primary keys in column order and makes them NOT NULL") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - create_table:
      name: lines
      columns:
        - {name: line_no, type: integer, primary_key: true}
        - {name: note, type: text, comment: "free text", renamed_from: remark}
        - {name: order_id, type: integer, primary_key: true, autoincrement: true}
      comment: Order lines.
)y"));
  const Table table = only_op<CreateTable>(rev).table;
  CHECK(table.name == "lines");
  CHECK(table.primary_key == std::vector<std::string>{"line_no", "order_id"});
  REQUIRE(table.columns.size() == 3);
  CHECK_FALSE(table.columns[0].nullable);
  CHECK(table.columns[1].nullable);
  CHECK(table.columns[1].comment == "free text");
  CHECK(table.columns[1].renamed_from == "remark");
  CHECK_FALSE(table.columns[2].nullable);
  CHECK(table.columns[2].autoincrement);
  CHECK(table.comment == "Order lines.");
}

TEST_CASE("a table-level primary_key keeps its own order - giving both forms is an error") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - create_table:
      name: t
      columns: [{name: a, type: integer}, {name: b, type: integer}]
      primary_key: [b, a]
)y"));
  const Table table = only_op<CreateTable>(rev).table;
  CHECK(table.primary_key == std::vector<std::string>{"b", "a"});
  CHECK_FALSE(table.columns[0].nullable);
  CHECK_FALSE(table.columns[1].nullable);

  const Error both = parse_error(with_upgrade(R"y(  - create_table:
      name: t
      columns: [{name: a, type: integer, primary_key: true}, {name: b, type: integer}]
      primary_key: [a, b]
)y"));
  CHECK(both.message.find("both") != std::string::npos);
  CHECK(both.where.line == 7);
  CHECK(both.where.table == "t");

  const Error unknown = parse_error(with_upgrade(R"y(  - create_table:
      name: t
      columns: [{name: a, type: integer}]
      primary_key: [z]
)y"));
  CHECK(unknown.message.find("\"z\"") != std::string::npos);

  const Error nullable_pk = parse_error(
      with_upgrade("  - create_table: {name: t, columns: [{name: a, type: int, primary_key: true, "
                   "nullable: true}]}\n"));
  CHECK(nullable_pk.message.find("nullable") != std::string::npos);
}

TEST_CASE("unnamed constraints and indexes in create_table get the DESIGN §4 names") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - create_table:
      name: sales_orders
      columns:
        - {name: id, type: integer, primary_key: true}
        - {name: tenant_id, type: integer}
        - {name: start, type: timestamp}
        - {name: total, type: "numeric(12,2)", default: "0"}
      unique: [{columns: [tenant_id, start]}, {name: uq_custom, columns: [total]}]
      indexes: [{columns: [start], where: "total > 0"}, {columns: [tenant_id], unique: true}]
      foreign_keys:
        - {columns: [tenant_id], references: {table: tenants, columns: [id]}, on_delete: set null, on_update: cascade}
      checks: [{expression: "total >= 0"}, {name: ck_named, expression: "start is not null"}, {expression: "id > 0"}]
)y"));
  const Table t = only_op<CreateTable>(rev).table;
  CHECK(t.columns[3].type == "numeric(12,2)");
  CHECK(t.columns[3].default_sql == "0");
  REQUIRE(t.unique.size() == 2);
  CHECK(t.unique[0] ==
        Unique{.name = "uq_sales_orders_tenant_id_start", .columns = {"tenant_id", "start"}});
  CHECK(t.unique[1].name == "uq_custom");
  REQUIRE(t.indexes.size() == 2);
  CHECK(t.indexes[0] ==
        Index{.name = "ix_sales_orders_start", .columns = {"start"}, .where = "total > 0"});
  CHECK(t.indexes[1] ==
        Index{.name = "ix_sales_orders_tenant_id", .columns = {"tenant_id"}, .unique = true});
  REQUIRE(t.foreign_keys.size() == 1);
  CHECK(t.foreign_keys[0] == ForeignKey{.name = "fk_sales_orders_tenant_id_tenants",
                                        .columns = {"tenant_id"},
                                        .ref_table = "tenants",
                                        .ref_columns = {"id"},
                                        .on_delete = FkAction::set_null,
                                        .on_update = FkAction::cascade});
  REQUIRE(t.checks.size() == 3);
  CHECK(t.checks[0] == Check{.name = "ck_sales_orders_1", .expression = "total >= 0"});
  CHECK(t.checks[1].name == "ck_named");
  CHECK(t.checks[2].name == "ck_sales_orders_3");
}

TEST_CASE("default names over 63 bytes are cut and end in a stable 8-hex hash") {
  const std::string table(60, 't');
  const std::string name = unique_name(table, {"alpha", "beta"});
  CHECK(name.size() == kMaxIdentifierBytes);
  CHECK(name.rfind("uq_ttt", 0) == 0);
  CHECK(name[54] == '_');
  CHECK(name.find_first_not_of("0123456789abcdef", 55) == std::string::npos);
  CHECK(name == unique_name(table, {"alpha", "beta"}));
  CHECK(name != unique_name(table, {"alpha", "gamma"}));
  CHECK(fnv1a32("") == 2166136261U);
  CHECK(fnv1a32("a") == 0xe40c292cU);  // the published FNV-1a test vector
  CHECK(fit_identifier("short") == "short");
  // A cut never splits a UTF-8 character.
  std::string accented = "x", kept = "x";
  for (int i = 0; i < 40; ++i) accented += "\xc3\xa9";  // "é": 2 bytes, byte 54 is its second
  for (int i = 0; i < 26; ++i) kept += "\xc3\xa9";
  const std::string cut = fit_identifier(accented);
  CHECK(cut.size() == kMaxIdentifierBytes - 1);
  CHECK(cut.substr(0, cut.size() - 9) == kept);
  CHECK(index_name("users", {"lower(email)"}) == "ix_users_lower_email");
  CHECK(check_name("t", 2) == "ck_t_2");
  CHECK(primary_key_name("t") == "pk_t");
  CHECK(foreign_key_name("a", {"b_id"}, "b") == "fk_a_b_id_b");
}

TEST_CASE("alter_column: default null drops the default, an absent default stays unchanged") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - alter_column:
      table: t
      column: c
      type: bigint
      default: null
      comment: null
      rename_to: d
      existing: {type: integer, nullable: false, default: "0", comment: old}
  - alter_column: {table: t, column: d, nullable: true, existing: {default: null}}
)y"));
  REQUIRE(rev.upgrade.size() == 2);
  const auto& first = std::get<AlterColumn>(rev.upgrade[0]);
  CHECK(first.table == "t");
  CHECK(first.column == "c");
  CHECK(first.change.type == "bigint");
  REQUIRE(first.change.default_sql.has_value());
  CHECK_FALSE(first.change.default_sql->has_value());
  REQUIRE(first.change.comment.has_value());
  CHECK_FALSE(first.change.comment->has_value());
  CHECK(first.change.rename_to == "d");
  CHECK_FALSE(first.change.nullable.has_value());
  CHECK(first.existing.type == "integer");
  CHECK(first.existing.nullable == false);
  CHECK(first.existing.default_sql == std::optional<std::optional<std::string>>{"0"});
  CHECK(first.existing.comment == std::optional<std::optional<std::string>>{"old"});
  const auto& second = std::get<AlterColumn>(rev.upgrade[1]);
  CHECK_FALSE(second.change.default_sql.has_value());
  CHECK(second.change.nullable == true);
  REQUIRE(second.existing.default_sql.has_value());
  CHECK_FALSE(second.existing.default_sql->has_value());
  CHECK(rev.upgrade_lines == std::vector<int>{4, 12});

  const Error nothing = parse_error(with_upgrade("  - alter_column: {table: t, column: c}\n"));
  CHECK(nothing.message.find("changes nothing") != std::string::npos);
}

TEST_CASE("each standalone op reads its fields") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - drop_table: {name: old}
  - rename_table: {from: a, to: b}
  - create_index: {table: t, name: ix_t_a, columns: [a, "lower(b)"], unique: true, where: "a > 0"}
  - create_index: {table: t, columns: [a]}
  - drop_index: {table: t, name: ix_t_a}
  - create_unique: {table: t, name: uq_t_a, columns: [a]}
  - create_foreign_key:
      table: t
      name: fk_t_r
      columns: [r_id]
      references: {table: r, columns: [id]}
      on_delete: cascade
  - create_check: {table: t, name: ck_t_a, expression: "a > 0"}
  - drop_constraint: {table: t, name: uq_t_a}
  - sql: "UPDATE t SET a = 1"
  - sql: {sqlite: "VACUUM", postgresql: "VACUUM ANALYZE"}
)y"));
  REQUIRE(rev.upgrade.size() == 11);
  DropTable drop_table;
  drop_table.table.name = "old";
  CHECK(rev.upgrade[0] == Op{drop_table});
  CHECK(rev.upgrade[1] == Op{RenameTable{.from = "a", .to = "b"}});
  CHECK(rev.upgrade[2] == Op{CreateIndex{.table = "t",
                                         .index = {.name = "ix_t_a",
                                                   .columns = {"a", "lower(b)"},
                                                   .unique = true,
                                                   .where = "a > 0"}}});
  CHECK(std::get<CreateIndex>(rev.upgrade[3]).index.name == "ix_t_a");
  DropIndex drop_index{.table = "t"};
  drop_index.index.name = "ix_t_a";
  CHECK(rev.upgrade[4] == Op{drop_index});
  CHECK(rev.upgrade[5] ==
        Op{CreateUnique{.table = "t", .unique = {.name = "uq_t_a", .columns = {"a"}}}});
  CHECK(rev.upgrade[6] == Op{CreateForeignKey{.table = "t",
                                              .foreign_key = {.name = "fk_t_r",
                                                              .columns = {"r_id"},
                                                              .ref_table = "r",
                                                              .ref_columns = {"id"},
                                                              .on_delete = FkAction::cascade}}});
  CHECK(rev.upgrade[7] ==
        Op{CreateCheck{.table = "t", .check = {.name = "ck_t_a", .expression = "a > 0"}}});
  CHECK(rev.upgrade[8] == Op{DropConstraint{.table = "t", .name = "uq_t_a"}});
  CHECK(rev.upgrade[9] == Op{RawSql{.any = "UPDATE t SET a = 1"}});
  CHECK(rev.upgrade[10] ==
        Op{RawSql{.by_dialect = {{"sqlite", "VACUUM"}, {"postgresql", "VACUUM ANALYZE"}}}});
}

TEST_CASE("YAML syntax errors give the line") {
  const Error error = parse_error("revision: a\nupgrade:\n  - drop_table: {name: t\n  - x\n");
  CHECK(error.message.find("invalid YAML") != std::string::npos);
  CHECK(error.where.line >= 3);
  const Error unclosed = parse_error("revision: a\nupgrade: [\n");
  CHECK(unclosed.where.line >= 2);
}

TEST_CASE("an unknown top-level key is an error with a suggestion and its line") {
  const Error error = parse_error("revision: abc\ndown_revison: null\nupgrade: []\n");
  CHECK(error.message == "unknown key \"down_revison\"; did you mean \"down_revision\"?");
  CHECK(error.where.line == 2);
  CHECK(error.where.revision == "abc");
  const Error far = parse_error("revision: abc\nzzz: 1\nupgrade: []\n");
  CHECK(far.message == "unknown key \"zzz\"");
}

TEST_CASE("an unknown op or op field is an error with a suggestion") {
  const Error op = parse_error(with_upgrade("  - drop_tabel: {name: t}\n"));
  CHECK(op.message == "unknown op \"drop_tabel\"; did you mean \"drop_table\"?");
  CHECK(op.where.line == 4);
  const Error field =
      parse_error(with_upgrade("  - add_column:\n      table: t\n      colum: {name: c}\n"));
  CHECK(field.message == "add_column: unknown key \"colum\"; did you mean \"column\"?");
  CHECK(field.where.line == 6);
  CHECK(field.where.table == "t");
  const Error column_key = parse_error(
      with_upgrade("  - add_column: {table: t, column: {name: c, type: int, nulable: false}}\n"));
  CHECK(column_key.message == "add_column: unknown key \"nulable\"; did you mean \"nullable\"?");
  CHECK(column_key.where.column == "c");
  // A misspelt required field is reported as the typo, not as a missing field.
  const Error typo = parse_error(with_upgrade("  - drop_column: {tabel: t, column: c}\n"));
  CHECK(typo.message == "drop_column: unknown key \"tabel\"; did you mean \"table\"?");
  const Error root = parse_error("revison: abc\nupgrade: []\n");
  CHECK(root.message == "unknown key \"revison\"; did you mean \"revision\"?");
  CHECK(root.where.line == 1);
}

TEST_CASE("an op missing a required field names the file, line, op and field") {
  const Error error =
      parse_error(with_upgrade("  - drop_column: {table: t}\n  - add_column:\n"
                               "      table: sales_orders\n"
                               "      column: {name: currency, nullable: false}\n"));
  CHECK(error.message == "drop_column: missing required field \"column\"");
  CHECK(error.where.line == 4);
  const Error type =
      parse_error(with_upgrade("  - add_column:\n      table: sales_orders\n"
                               "      column: {name: currency, nullable: false}\n"));
  CHECK(type.message == "add_column: missing required field \"type\"");
  CHECK(type.where.line == 6);
  CHECK(type.where.table == "sales_orders");
  CHECK(type.where.column == "currency");
  CHECK(format_error(type) ==
        "versions/0003_x.yaml:6: revision abc: table \"sales_orders\", column \"currency\": "
        "add_column: missing required field \"type\"");
}

TEST_CASE("an unquoted type with a comma is rejected with a hint to quote it") {
  const Error error = parse_error(
      with_upgrade("  - add_column: {table: t, column: {name: total, type: numeric(12,2)}}\n"));
  CHECK(error.message.find("unknown key \"2)\"") != std::string::npos);
  CHECK(error.message.find("type: \"numeric(12,2)\"") != std::string::npos);
  CHECK(error.where.line == 4);
}

TEST_CASE("an op item with several keys suggests indenting its fields") {
  const Error error = parse_error(with_upgrade("  - drop_table:\n    name: t\n"));
  CHECK(error.message.find("one-key mapping") != std::string::npos);
  CHECK(error.message.find("indented") != std::string::npos);
  CHECK(error.where.line == 4);
}

TEST_CASE("foreign-key actions accept the documented spellings only") {
  const Error error = parse_error(with_upgrade(
      "  - create_foreign_key: {table: t, name: f, columns: [a], references: {table: r, "
      "columns: [id]}, on_delete: nullify}\n"));
  CHECK(error.message.find("on_delete") != std::string::npos);
  CHECK(error.message.find("nullify") != std::string::npos);
  const Error count = parse_error(with_upgrade(
      "  - create_foreign_key: {table: t, name: f, columns: [a, b], references: {table: r, "
      "columns: [id]}}\n"));
  CHECK(count.message.find("references 1 column(s) for 2") != std::string::npos);
}

TEST_CASE("duplicate keys and a second YAML document are errors") {
  const Error dup = parse_error("revision: a\nrevision: b\nupgrade: []\n");
  CHECK(dup.message.find("twice") != std::string::npos);
  CHECK(dup.where.line == 2);
  const Error docs = parse_error("revision: a\nupgrade: []\n---\nrevision: b\n");
  CHECK(docs.message.find("one YAML document") != std::string::npos);
  const Error empty = parse_error("");
  CHECK(empty.message.find("empty") != std::string::npos);
}

TEST_CASE("parse_ops reads an ops list and places errors from first_line") {
  Result<std::vector<Op>> ops =
      parse_ops("- drop_table: {name: a}\n- rename_table: {from: b, to: c}\n", "case.case", 10);
  REQUIRE(ops.has_value());
  CHECK(ops->size() == 2);
  Result<std::vector<Op>> bad =
      parse_ops("- drop_table: {name: a}\n- drop_tables: {name: b}\n", "case.case", 10);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().where.line == 11);
  CHECK(bad.error().where.file == "case.case");
  Result<std::vector<Op>> none = parse_ops("", "case.case");
  REQUIRE(none.has_value());
  CHECK(none->empty());
}

TEST_CASE("load_revision takes the number from the file name and keeps the path") {
  TempDir dir;
  dir.write("0012_add_x.yaml", "revision: a\nupgrade: []\n");
  dir.write("notes.yaml", "revision: b\nupgrade: []\n");
  Result<Revision> numbered = load_revision(dir.path / "0012_add_x.yaml");
  REQUIRE(numbered.has_value());
  CHECK(numbered->number == 12);
  CHECK(numbered->path == (dir.path / "0012_add_x.yaml").string());
  Result<Revision> plain = load_revision(dir.path / "notes.yaml");
  REQUIRE(plain.has_value());
  CHECK(plain->number == 0);
  Result<Revision> missing = load_revision(dir.path / "0099_nope.yaml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::io);
}

TEST_CASE(
    "load_revisions reads every .yaml file sorted by name; a missing folder is a config error") {
  TempDir dir;
  dir.write("0002_b.yaml", "revision: b\ndown_revision: a\nupgrade: []\n");
  dir.write("0001_a.yaml", "revision: a\nupgrade: []\n");
  dir.write("README.txt", "not a revision");
  dir.write(".#0003_lock.yaml", "garbage: [");
  Result<std::vector<Revision>> all = load_revisions(dir.path);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == "a");
  CHECK((*all)[1].id == "b");
  CHECK((*all)[1].number == 2);

  dir.write("0003_bad.yaml", "revision: c\nupgrade: [{drop_table: {}}]\n");
  Result<std::vector<Revision>> bad = load_revisions(dir.path);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().where.file == (dir.path / "0003_bad.yaml").string());
  CHECK(bad.error().where.line == 2);

  Result<std::vector<Revision>> missing = load_revisions(dir.path / "nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::config);
  CHECK(missing.error().message.find((dir.path / "nope").string()) != std::string::npos);
}

TEST_CASE("load_revisions on many files: all in name order, and the first failing file's error") {
  // 300 files take the threaded path (64 and more). File 0100 is broken at its end, after
  // 400 ops, and 0101 at its start: read on two threads at once, 0101 fails first in time,
  // but 0100 is the error to report. 0250 fails too, later in name order.
  TempDir dir;
  auto name = [](int i) {
    std::string n = std::to_string(i);
    return std::string(4 - n.size(), '0') + n + "_r.yaml";
  };
  auto text = [](int i, int ops) {
    std::string t = "revision: r" + std::to_string(i) + "\n" +
                    (i > 1 ? "down_revision: r" + std::to_string(i - 1) + "\n" : "") +
                    "upgrade:\n";
    for (int k = 0; k < ops; ++k)
      t += "  - sql: SELECT " + std::to_string(k) + "\n";
    return t;
  };
  for (int i = 1; i <= 300; ++i) dir.write(name(i), text(i, i == 100 ? 400 : 1));
  Result<std::vector<Revision>> all = load_revisions(dir.path);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 300);
  for (int i = 1; i <= 300; ++i) {
    CAPTURE(i);
    const Revision& r = (*all)[static_cast<size_t>(i - 1)];
    CHECK(r.id == "r" + std::to_string(i));
    CHECK(r.number == i);
    CHECK(r.path == (dir.path / name(i)).string());
    CHECK(r.upgrade.size() == (i == 100 ? 400u : 1u));
    CHECK(r.content_hash == sha256_hex(text(i, i == 100 ? 400 : 1)).value());
  }

  dir.write(name(100), text(100, 400) + "  - drop_table: {}\n");
  dir.write(name(101), "revision: [\n");
  dir.write(name(250), "revision: r250\nupgrade: [{drop_table: {}}]\n");
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    Result<std::vector<Revision>> bad = load_revisions(dir.path);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().where.file == (dir.path / name(100)).string());
    CHECK(bad.error().where.line == 404);
  }
}

TEST_CASE("transaction: false is read and defaults to true") {
  auto plain = parse_revision("revision: \"a1\"\nupgrade: []\n", "v/0001.yaml");
  REQUIRE(plain);
  CHECK(plain->transactional);
  auto outside = parse_revision(
      "revision: \"a2\"\ntransaction: false\nupgrade:\n  - sql: \"CREATE INDEX CONCURRENTLY ix ON "
      "t (a)\"\n",
      "v/0002.yaml");
  REQUIRE(outside);
  CHECK_FALSE(outside->transactional);
  auto bad = parse_revision("revision: \"a3\"\ntransaction: maybe\nupgrade: []\n", "v/0003.yaml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().where.line == 2);
}

TEST_CASE("create_index takes using: and create_foreign_key takes deferrability") {
  const Revision rev = parse_ok(with_upgrade(R"y(  - create_index: {table: t, columns: [tags], using: gin}
  - create_foreign_key:
      table: t
      columns: [r_id]
      references: {table: r, columns: [id]}
      deferrable: true
      initially_deferred: true
  - create_foreign_key:
      {table: t, name: fk_plain, columns: [r_id], references: {table: r, columns: [id]}, deferrable: true}
)y"));
  REQUIRE(rev.upgrade.size() == 3);
  CHECK(std::get<CreateIndex>(rev.upgrade[0]).index ==
        Index{.name = "ix_t_tags", .columns = {"tags"}, .method = "gin"});
  const ForeignKey& deferred = std::get<CreateForeignKey>(rev.upgrade[1]).foreign_key;
  CHECK(deferred.deferrable);
  CHECK(deferred.initially_deferred);
  const ForeignKey& deferrable = std::get<CreateForeignKey>(rev.upgrade[2]).foreign_key;
  CHECK(deferrable.deferrable);
  CHECK_FALSE(deferrable.initially_deferred);
}

TEST_CASE("a stray flow indicator or a second document is a located error, never a hang") {
  // Found by fuzzing (fuzz/revision_fuzz.cpp): yaml-cpp's LoadAll loops forever, allocating,
  // on text starting with ", " (the reader is libyaml's now).
  const Error stray = parse_error(", revision: 0123456789ab\ndown_revision: null\n");
  CHECK(stray.message.find("invalid YAML: did not find expected node content: found \",\"") !=
        std::string::npos);
  CHECK(stray.where.line == 1);
  const Error two = parse_error("revision: 0123456789ab\nupgrade: []\n---\n");
  CHECK(two.message.find("holds one YAML document, found 2") != std::string::npos);
  CHECK(two.where.line == 3);
}

TEST_CASE("content hashes are SHA-256 (FIPS 180-2 test vectors), libcrypto loaded at the first") {
  CHECK(sha256_hex("").value() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc").value() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").value() ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
