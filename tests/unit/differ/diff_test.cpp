// differ::diff() (differ/diff.hpp): every case also checks the differ's promises: the
// upgrade runs on `actual` and gives `desired`, the downgrade runs on `desired` and gives
// `actual`, a schema diffed against itself gives nothing, a downgrade built later
// (add_downgrade) equals the one diff() builds, and `actual_out` receives `actual` as given.
#include "differ/diff.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

using namespace distil::model;
namespace model = distil::model;  // model::apply: plain apply(s, op) finds std::apply via ADL
using distil::differ::canonical_default;
using distil::differ::canonical_expression;
using distil::differ::canonical_type;
using distil::differ::DiffOptions;
using distil::differ::DiffResult;

namespace {

// ---- builders --------------------------------------------------------------------------

Column col(std::string name, std::string type, bool nullable = true,
           std::optional<std::string> default_sql = {}) {
  return Column{.name = std::move(name),
                .type = std::move(type),
                .nullable = nullable,
                .default_sql = std::move(default_sql)};
}

Column renamed(Column column, std::string from) {
  column.renamed_from = std::move(from);
  return column;
}

// A table with an integer primary key "id" and the given extra columns.
Table tbl(std::string name, std::vector<Column> extra = {}) {
  Table table{.name = std::move(name), .columns = {col("id", "integer", false)}, .primary_key = {"id"}};
  for (Column& c : extra) table.columns.push_back(std::move(c));
  return table;
}

ForeignKey fk(std::string name, std::string column, std::string ref_table,
              FkAction on_delete = FkAction::no_action) {
  return ForeignKey{.name = std::move(name),
                    .columns = {std::move(column)},
                    .ref_table = std::move(ref_table),
                    .ref_columns = {"id"},
                    .on_delete = on_delete};
}

Schema schema(std::vector<Table> tables) {
  Schema s;
  for (Table& t : tables) {
    std::string name = t.name;
    s.tables.emplace(std::move(name), std::move(t));
  }
  return s;
}

// ---- the promises ----------------------------------------------------------------------

// The schema as it must come out: hints cleared, constraint lists in name order (create_*
// appends, so a re-created or deferred constraint moves to the end; order carries no meaning).
Schema normalized(Schema s) {
  for (auto& [name, t] : s.tables) {
    t.renamed_from.reset();
    for (Column& c : t.columns) c.renamed_from.reset();
    auto sort = [](auto& v) {
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    };
    sort(t.unique);
    sort(t.indexes);
    sort(t.foreign_keys);
    sort(t.checks);
  }
  return s;
}

Schema run(Schema s, const std::vector<Op>& ops, const char* what) {
  for (const Op& op : ops) {
    auto applied = model::apply(s, op);
    REQUIRE_MESSAGE(applied, what << ": " << op_name(op) << " on " << op_table(op)
                                  << " fails: " << (applied ? "" : format_error(applied.error())));
  }
  return s;
}

enum class Compare { exact, semantic };

// Diffs and checks the promises. `semantic`: the schemas differ only in spelling, so the
// results are compared by diffing (which must find nothing) rather than with ==.
DiffResult diff_checked(const Schema& desired, const Schema& actual,
                        Compare compare = Compare::exact, const DiffOptions& options = {}) {
  DiffResult result = distil::differ::diff(desired, actual, options);
  REQUIRE(result.downgrade.size() == result.upgrade.size());
  const Schema upgraded = run(actual, result.upgrade, "upgrade");
  const Schema downgraded = run(desired, result.downgrade, "downgrade");
  if (compare == Compare::exact) {
    CHECK(normalized(upgraded) == normalized(desired));
    CHECK(normalized(downgraded) == normalized(actual));
  }
  CHECK(distil::differ::diff(desired, upgraded, options).empty());
  CHECK(distil::differ::diff(actual, downgraded, options).empty());
  CHECK(distil::differ::diff(desired, desired, options).empty());
  CHECK(distil::differ::diff(actual, actual, options).empty());
  // The downgrade built later (revision --autogenerate, after lint) is the same.
  DiffOptions later = options;
  later.downgrade = false;
  DiffResult deferred = distil::differ::diff(desired, actual, later);
  CHECK(deferred.downgrade.empty());
  distil::differ::add_downgrade(deferred);
  CHECK(deferred.upgrade == result.upgrade);
  CHECK(deferred.downgrade == result.downgrade);
  CHECK(deferred.warnings == result.warnings);
  // `actual_out` gets `actual` back as given, whether or not ops changed the working copy,
  // and a diff of a schema against itself hands it back too.
  Schema given;
  const DiffResult again = distil::differ::diff(desired, actual, options, &given);
  CHECK(again.upgrade == result.upgrade);
  CHECK(given == actual);
  Schema same;
  CHECK(distil::differ::diff(actual, actual, options, &same).empty());
  CHECK(same == actual);
  return result;
}

std::vector<std::string> names(const std::vector<Op>& ops) {
  std::vector<std::string> out;
  for (const Op& op : ops) out.push_back(op_name(op) + " " + op_table(op));
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

// ---- canonical forms -------------------------------------------------------------------

TEST_CASE("canonical_type folds aliases, case and spacing") {
  CHECK(canonical_type("int") == "integer");
  CHECK(canonical_type("INT4") == "integer");
  CHECK(canonical_type("Integer") == "integer");
  CHECK(canonical_type("int8") == canonical_type("bigint"));
  CHECK(canonical_type("bool") == canonical_type("BOOLEAN"));
  CHECK(canonical_type("varchar(10)") == canonical_type("character varying(10)"));
  CHECK(canonical_type("character varying ( 10 )") == "varchar(10)");
  CHECK(canonical_type("double") == canonical_type("double precision"));
  CHECK(canonical_type("float8") == canonical_type("DOUBLE  PRECISION"));
  CHECK(canonical_type("real") == canonical_type("float4"));
  CHECK(canonical_type("numeric(12, 2)") == "numeric(12,2)");
  CHECK(canonical_type("timestamp") == canonical_type("timestamp without time zone"));
  CHECK(canonical_type("timestamptz") == canonical_type("timestamp with time zone"));
  CHECK(canonical_type("timestamp(3) with time zone") == "timestamptz(3)");
  CHECK(canonical_type("int4[]") == "integer[]");
}

TEST_CASE("canonical_type keeps real differences") {
  CHECK(canonical_type("varchar(10)") != canonical_type("varchar(20)"));
  CHECK(canonical_type("integer") != canonical_type("bigint"));
  CHECK(canonical_type("timestamp") != canonical_type("timestamptz"));
  CHECK(canonical_type("numeric(12,2)") != canonical_type("numeric(12,3)"));
  CHECK(canonical_type("integer") != canonical_type("integer[]"));
  CHECK(canonical_type("\"MyEnum\"") != canonical_type("\"myenum\""));
}

TEST_CASE("canonical_default drops outer parentheses, keyword case and extra spaces") {
  CHECK(canonical_default("(0)") == "0");
  CHECK(canonical_default("((0))") == "0");
  CHECK(canonical_default("current_timestamp") == canonical_default("CURRENT_TIMESTAMP"));
  CHECK(canonical_default("  now ( ) ") == "now()");
  CHECK(canonical_default("(a) + (b)") == "(a)+(b)");
  CHECK(canonical_default("not  a") == "not a");
  CHECK(canonical_expression("total  >=   0") == canonical_expression("(TOTAL >= 0)"));
}

TEST_CASE("canonical_default keeps the text of string literals") {
  CHECK(canonical_default("'NZD'") == "'NZD'");
  CHECK(canonical_default("'NZD'") != canonical_default("'nzd'"));
  CHECK(canonical_default("'a  b'") != canonical_default("'a b'"));
  CHECK(canonical_default("'(x)'") == "'(x)'");
}

// ---- tables ----------------------------------------------------------------------------

TEST_CASE("a new table comes after the new table it references") {
  Table tenants = tbl("tenants", {col("name", "text", false)});
  Table accounts = tbl("accounts", {col("tenant_id", "integer", false)});
  accounts.foreign_keys = {fk("fk_accounts_tenant_id_tenants", "tenant_id", "tenants")};
  const Schema actual;
  const Schema desired = schema({tenants, accounts});
  DiffResult r = diff_checked(desired, actual);
  CHECK(names(r.upgrade) == Names{"create_table tenants", "create_table accounts"});
  CHECK(names(r.downgrade) == Names{"drop_table accounts", "drop_table tenants"});
  CHECK(r.warnings.empty());
}

TEST_CASE("new tables in a foreign-key cycle are created first, then the foreign key added") {
  Table a = tbl("a", {col("b_id", "integer")});
  a.foreign_keys = {fk("fk_a_b", "b_id", "b")};
  Table b = tbl("b", {col("a_id", "integer")});
  b.foreign_keys = {fk("fk_b_a", "a_id", "a")};
  const Schema desired = schema({a, b});
  DiffResult r = diff_checked(desired, Schema{});
  CHECK(names(r.upgrade) ==
        Names{"create_table a", "create_table b", "create_foreign_key a"});
  CHECK(r.warnings.empty());
  // And the other way: the cycle is broken before the tables go.
  DiffResult down = diff_checked(Schema{}, desired);
  CHECK(names(down.upgrade) == Names{"drop_constraint b", "drop_table a", "drop_table b"});
}

TEST_CASE("new tables go first by name among the ready ones, a cycle's first table when none is") {
  // k has two keys into z; c waits for k and b; a and y form a cycle, which comes last
  // although a is first by name.
  Table a = tbl("a", {col("y_id", "integer")});
  a.foreign_keys = {fk("fk_a_y", "y_id", "y")};
  Table b = tbl("b");
  Table c = tbl("c", {col("k_id", "integer"), col("b_id", "integer")});
  c.foreign_keys = {fk("fk_c_k", "k_id", "k"), fk("fk_c_b", "b_id", "b")};
  Table k = tbl("k", {col("z1", "integer"), col("z2", "integer")});
  k.foreign_keys = {fk("fk_k_z1", "z1", "z"), fk("fk_k_z2", "z2", "z")};
  Table y = tbl("y", {col("a_id", "integer")});
  y.foreign_keys = {fk("fk_y_a", "a_id", "a")};
  Table yz = tbl("yz", {col("y_id", "integer")});  // waits for y, after a is taken
  yz.foreign_keys = {fk("fk_yz_y", "y_id", "y")};
  Table z = tbl("z");
  DiffResult r = diff_checked(schema({a, b, c, k, y, yz, z}), Schema{});
  CHECK(names(r.upgrade) == Names{"create_table b", "create_table z", "create_table k",
                                  "create_table c", "create_table a", "create_table y",
                                  "create_table yz", "create_foreign_key a"});
  CHECK(r.warnings.empty());
}

TEST_CASE("a table only in actual is dropped with its full definition, referencing ones first") {
  Table tenants = tbl("tenants");
  Table users = tbl("users", {col("tenant_id", "integer")});
  users.foreign_keys = {fk("fk_users_tenants", "tenant_id", "tenants")};
  users.indexes = {{.name = "ix_users_tenant_id", .columns = {"tenant_id"}}};
  const Table keep = tbl("keep");
  const Schema actual = schema({tenants, users, keep});
  const Schema desired = schema({keep});
  DiffResult r = diff_checked(desired, actual);
  REQUIRE(names(r.upgrade) == Names{"drop_table users", "drop_table tenants"});
  CHECK(std::get<DropTable>(r.upgrade[0]).table == users);
  CHECK(is_destructive(r.upgrade[0]));
}

TEST_CASE("a thousand dropped tables, each referencing the one before, go last one first") {
  // Each table is referenced by the next one by name, so only the last is free at each step:
  // the order is the names reversed. (Finding it by scanning every table's keys at each step
  // took minutes at this size; the planner is linear in the foreign keys now.)
  std::vector<Table> tables;
  Names expected;
  for (int i = 0; i < 1000; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "t%04d", i);
    Table t = tbl(name, {col("prev_id", "integer")});
    if (i > 0) t.foreign_keys = {fk(std::string("fk_") + name, "prev_id", tables.back().name)};
    tables.push_back(t);
    expected.insert(expected.begin(), std::string("drop_table ") + name);
  }
  DiffResult r = diff_checked(Schema{}, schema(tables));
  CHECK(names(r.upgrade) == expected);
}

TEST_CASE("a table hint renames the table instead of drop and create") {
  Table old_table = tbl("orders", {col("total", "numeric(12,2)")});
  Table ref = tbl("lines", {col("order_id", "integer")});
  ref.foreign_keys = {fk("fk_lines_orders", "order_id", "orders")};
  Table new_table = old_table;
  new_table.name = "sales_orders";
  new_table.renamed_from = "orders";
  Table new_ref = ref;
  new_ref.foreign_keys[0].ref_table = "sales_orders";
  DiffResult r = diff_checked(schema({new_table, new_ref}), schema({old_table, ref}));
  REQUIRE(r.upgrade.size() == 1);
  CHECK(std::get<RenameTable>(r.upgrade[0]) == RenameTable{.from = "orders", .to = "sales_orders"});
  CHECK(std::get<RenameTable>(r.downgrade[0]) == RenameTable{.from = "sales_orders", .to = "orders"});
}

TEST_CASE("a table without a hint is dropped and created, never guessed as a rename") {
  Table old_table = tbl("orders", {col("total", "numeric(12,2)")});
  Table new_table = old_table;
  new_table.name = "sales_orders";
  DiffResult r = diff_checked(schema({new_table}), schema({old_table}));
  CHECK(names(r.upgrade) == Names{"create_table sales_orders", "drop_table orders"});
}

TEST_CASE("a hint whose old name is absent is ignored silently") {
  Table table = tbl("sales_orders", {renamed(col("total", "integer"), "amount")});
  table.renamed_from = "orders";
  Table applied = table;
  applied.renamed_from.reset();
  applied.columns[1].renamed_from.reset();
  DiffResult r = diff_checked(schema({table}), schema({applied}));
  CHECK(r.upgrade.empty());
  CHECK(r.warnings.empty());
}

// ---- columns ---------------------------------------------------------------------------

TEST_CASE("a column hint renames the column, and its index follows") {
  Table before = tbl("orders", {col("amount", "integer")});
  before.indexes = {{.name = "ix_orders_total", .columns = {"amount"}}};
  Table after = tbl("orders", {renamed(col("total", "integer"), "amount")});
  after.indexes = {{.name = "ix_orders_total", .columns = {"total"}}};
  DiffResult r = diff_checked(schema({after}), schema({before}));
  REQUIRE(r.upgrade.size() == 1);
  const auto& alter = std::get<AlterColumn>(r.upgrade[0]);
  CHECK(alter.column == "amount");
  CHECK(alter.change.rename_to == "total");
  CHECK(alter.existing.type == "integer");
}

TEST_CASE("a nullable column is added without a warning") {
  const Schema actual = schema({tbl("orders")});
  const Schema desired = schema({tbl("orders", {col("note", "text")})});
  DiffResult r = diff_checked(desired, actual);
  REQUIRE(r.upgrade.size() == 1);
  CHECK(std::get<AddColumn>(r.upgrade[0]).column == col("note", "text"));
  CHECK(names(r.downgrade) == Names{"drop_column orders"});
  CHECK(r.warnings.empty());
}

TEST_CASE("a NOT NULL column without a default added to a table warns, naming it") {
  const Schema actual = schema({tbl("orders")});
  const Schema desired = schema({tbl("orders", {col("currency", "varchar(3)", false)})});
  DiffResult r = diff_checked(desired, actual);
  CHECK(names(r.upgrade) == Names{"add_column orders"});
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("\"orders\"") != std::string::npos);
  CHECK(r.warnings[0].find("\"currency\"") != std::string::npos);
  CHECK(r.warnings[0].find("fails on a table with rows") != std::string::npos);
  // With a default it is safe.
  const Schema safe = schema({tbl("orders", {col("currency", "varchar(3)", false, "'NZD'")})});
  CHECK(diff_checked(safe, actual).warnings.empty());
}

TEST_CASE("a dropped column keeps its full definition so the downgrade restores it") {
  Column total = col("total", "numeric(12,2)", false, "0");
  total.comment = "gross";
  Table before = tbl("orders", {col("note", "text"), total});
  before.indexes = {{.name = "ix_orders_total", .columns = {"total"}, .where = "total > 0"}};
  const Schema actual = schema({before});
  const Schema desired = schema({tbl("orders", {col("note", "text")})});
  DiffResult r = diff_checked(desired, actual);
  REQUIRE(names(r.upgrade) == Names{"drop_index orders", "drop_column orders"});
  CHECK(std::get<DropColumn>(r.upgrade[1]).column == total);
  CHECK(std::get<AddColumn>(r.downgrade[0]).column == total);
  CHECK(std::get<CreateIndex>(r.downgrade[1]).index == before.indexes[0]);
}

TEST_CASE("type, nullability and default changes become one alter_column with existing") {
  const Schema actual = schema({tbl("orders", {col("total", "integer", true, "0")})});
  const Schema desired = schema({tbl("orders", {col("total", "bigint", false, "1")})});
  DiffResult r = diff_checked(desired, actual);
  REQUIRE(r.upgrade.size() == 1);
  const auto& alter = std::get<AlterColumn>(r.upgrade[0]);
  CHECK(alter.change.type == "bigint");
  CHECK(alter.change.nullable == false);
  CHECK(alter.change.default_sql == std::optional<std::optional<std::string>>("1"));
  CHECK(alter.existing.type == "integer");
  CHECK(alter.existing.nullable == true);
  CHECK(alter.existing.default_sql == std::optional<std::optional<std::string>>("0"));
  CHECK(is_destructive(r.upgrade[0]));
}

TEST_CASE("dropping a default alters only the default") {
  const Schema actual = schema({tbl("orders", {col("total", "integer", true, "0")})});
  const Schema desired = schema({tbl("orders", {col("total", "integer")})});
  DiffResult r = diff_checked(desired, actual);
  REQUIRE(r.upgrade.size() == 1);
  const auto& alter = std::get<AlterColumn>(r.upgrade[0]);
  CHECK(alter.change == ColumnPatch{.default_sql = std::optional<std::string>()});
}

TEST_CASE("type aliases and default spellings produce no ops") {
  const Schema actual = schema({tbl("t", {
                                            col("a", "int"),
                                            col("b", "varchar(10)"),
                                            col("c", "numeric(12, 2)", true, "(0)"),
                                            col("d", "timestamp", false, "current_timestamp"),
                                            col("e", "bool"),
                                            col("f", "double"),
                                            col("g", "timestamp with time zone"),
                                        })});
  const Schema desired = schema({tbl("t", {
                                             col("a", "integer"),
                                             col("b", "character varying(10)"),
                                             col("c", "numeric(12,2)", true, "0"),
                                             col("d", "TIMESTAMP", false, "CURRENT_TIMESTAMP"),
                                             col("e", "boolean"),
                                             col("f", "double precision"),
                                             col("g", "timestamptz"),
                                         })});
  DiffResult r = diff_checked(desired, actual, Compare::semantic);
  CHECK(r.upgrade.empty());
  CHECK(r.warnings.empty());
}

TEST_CASE("column comments are compared on postgresql only") {
  Column plain = col("note", "text");
  Column commented = plain;
  commented.comment = "free text";
  const Schema actual = schema({tbl("t", {plain})});
  const Schema desired = schema({tbl("t", {commented})});
  CHECK(diff_checked(desired, actual, Compare::semantic).upgrade.empty());
  DiffResult pg = diff_checked(desired, actual, Compare::exact, {.dialect = "postgresql"});
  REQUIRE(pg.upgrade.size() == 1);
  CHECK(std::get<AlterColumn>(pg.upgrade[0]).change ==
        ColumnPatch{.comment = std::optional<std::string>("free text")});
}

// ---- indexes and constraints -----------------------------------------------------------

TEST_CASE("indexes are added, dropped, and re-created when their definition changes") {
  Table base = tbl("t", {col("a", "integer"), col("b", "integer")});
  Table with_a = base;
  with_a.indexes = {{.name = "ix_t", .columns = {"a"}}};
  Table with_b = base;
  with_b.indexes = {{.name = "ix_t", .columns = {"b"}, .where = "b > 0"}};

  DiffResult add = diff_checked(schema({with_a}), schema({base}));
  CHECK(names(add.upgrade) == Names{"create_index t"});
  DiffResult drop = diff_checked(schema({base}), schema({with_a}));
  CHECK(names(drop.upgrade) == Names{"drop_index t"});
  DiffResult change = diff_checked(schema({with_b}), schema({with_a}));
  CHECK(names(change.upgrade) == Names{"drop_index t", "create_index t"});

  Table unique_b = with_b;
  unique_b.indexes[0].unique = true;
  CHECK(names(diff_checked(schema({unique_b}), schema({with_b})).upgrade) ==
        Names{"drop_index t", "create_index t"});
  Table spelled = with_b;
  spelled.indexes[0].where = "(B  >  0)";
  CHECK(diff_checked(schema({spelled}), schema({with_b}), Compare::semantic).empty());
}

TEST_CASE("unique constraints are added, dropped and re-created by name") {
  Table base = tbl("t", {col("a", "integer"), col("b", "integer")});
  Table ua = base;
  ua.unique = {{.name = "uq_t", .columns = {"a"}}};
  Table uab = base;
  uab.unique = {{.name = "uq_t", .columns = {"a", "b"}}};
  CHECK(names(diff_checked(schema({ua}), schema({base})).upgrade) == Names{"create_unique t"});
  DiffResult drop = diff_checked(schema({base}), schema({ua}));
  REQUIRE(names(drop.upgrade) == Names{"drop_constraint t"});
  CHECK(std::get<DropConstraint>(drop.upgrade[0]).unique == ua.unique[0]);
  CHECK(names(diff_checked(schema({uab}), schema({ua})).upgrade) ==
        Names{"drop_constraint t", "create_unique t"});
}

TEST_CASE("a foreign key whose on_delete changes is dropped and re-created") {
  Table parent = tbl("parent");
  Table child = tbl("child", {col("parent_id", "integer")});
  child.foreign_keys = {fk("fk_child_parent", "parent_id", "parent")};
  Table cascading = child;
  cascading.foreign_keys[0].on_delete = FkAction::cascade;
  DiffResult r = diff_checked(schema({parent, cascading}), schema({parent, child}));
  REQUIRE(names(r.upgrade) == Names{"drop_constraint child", "create_foreign_key child"});
  CHECK(std::get<DropConstraint>(r.upgrade[0]).foreign_key == child.foreign_keys[0]);
  CHECK(std::get<CreateForeignKey>(r.upgrade[1]).foreign_key.on_delete == FkAction::cascade);
  // Adding one to an existing table, and removing it.
  CHECK(names(diff_checked(schema({parent, child}), schema({parent, tbl("child", {col("parent_id", "integer")})})).upgrade) ==
        Names{"create_foreign_key child"});
}

TEST_CASE("a new table referencing a column added to an existing table gets its foreign key last") {
  Table parent_before = tbl("parent");
  Table parent_after = tbl("parent", {col("code", "text")});
  parent_after.unique = {{.name = "uq_parent_code", .columns = {"code"}}};
  Table child = tbl("child", {col("parent_code", "text")});
  child.foreign_keys = {{.name = "fk_child_parent",
                         .columns = {"parent_code"},
                         .ref_table = "parent",
                         .ref_columns = {"code"}}};
  DiffResult r = diff_checked(schema({parent_after, child}), schema({parent_before}));
  CHECK(names(r.upgrade) == Names{"create_table child", "add_column parent", "create_unique parent",
                                  "create_foreign_key child"});
}

TEST_CASE("checks are added and dropped, and a spelling change is no change") {
  Table base = tbl("t", {col("total", "integer")});
  Table checked = base;
  checked.checks = {{.name = "ck_t_1", .expression = "total >= 0"}};
  CHECK(names(diff_checked(schema({checked}), schema({base})).upgrade) == Names{"create_check t"});
  DiffResult drop = diff_checked(schema({base}), schema({checked}));
  REQUIRE(names(drop.upgrade) == Names{"drop_constraint t"});
  CHECK(std::get<DropConstraint>(drop.upgrade[0]).check == checked.checks[0]);
  Table respelled = base;
  respelled.checks = {{.name = "ck_t_1", .expression = "(TOTAL>= 0)"}};
  Table changed = base;
  changed.checks = {{.name = "ck_t_1", .expression = "total > 0"}};
  CHECK(diff_checked(schema({respelled}), schema({checked}), Compare::semantic).empty());
  CHECK(names(diff_checked(schema({changed}), schema({checked})).upgrade) ==
        Names{"drop_constraint t", "create_check t"});
}

TEST_CASE("the upgrade runs in group order: renames, drops, creates, adds, alters, drop tables") {
  // "gone" is last: add_column appends, so the downgrade restores it at the end.
  Table old_keep = tbl("keep", {col("old", "integer"), col("num", "integer"), col("gone", "text")});
  old_keep.indexes = {{.name = "ix_keep_gone", .columns = {"gone"}}};
  Table old_table = tbl("obsolete");
  Table keep = tbl("keep", {renamed(col("renamed", "integer"), "old"), col("num", "bigint"),
                            col("added", "text")});
  keep.indexes = {{.name = "ix_keep_added", .columns = {"added"}}};
  DiffResult r = diff_checked(schema({keep, tbl("fresh")}), schema({old_keep, old_table}));
  CHECK(names(r.upgrade) == Names{"alter_column keep", "drop_index keep", "drop_column keep",
                                  "create_table fresh", "add_column keep", "alter_column keep",
                                  "create_index keep", "drop_table obsolete"});
}

// ---- scale -----------------------------------------------------------------------------

namespace {
// t000..t199; each t_i references t_(i+1), so foreign-key order is the reverse of name order.
std::string numbered(int i) {
  std::string digits = std::to_string(i);
  return "t" + std::string(digits.size() < 3 ? 3 - digits.size() : 0, '0') + digits;
}

Schema generated(int count) {
  std::vector<Table> tables;
  for (int i = 0; i < count; ++i) {
    const std::string name = numbered(i);
    Table t = tbl(name, {col("name", "varchar(100)", false), col("total", "numeric(12,2)", true, "0")});
    t.unique = {{.name = "uq_" + name + "_name", .columns = {"name"}}};
    t.indexes = {{.name = "ix_" + name + "_total", .columns = {"total"}}};
    t.checks = {{.name = "ck_" + name + "_1", .expression = "total >= 0"}};
    if (i + 1 < count) {
      const std::string next = numbered(i + 1);
      t.columns.push_back(col("next_id", "integer"));
      t.foreign_keys = {fk("fk_" + name + "_next", "next_id", next, FkAction::cascade)};
    }
    tables.push_back(std::move(t));
  }
  return schema(std::move(tables));
}
}  // namespace

TEST_CASE("a 200-table schema is created in foreign-key order and dropped in reverse") {
  const Schema big = generated(200);
  DiffResult create = diff_checked(big, Schema{});
  REQUIRE(create.upgrade.size() == 200);
  CHECK(names(create.upgrade).front() == "create_table t199");
  CHECK(names(create.upgrade).back() == "create_table t000");
  CHECK(create.warnings.empty());
  DiffResult drop = diff_checked(Schema{}, big);
  REQUIRE(drop.upgrade.size() == 200);
  CHECK(names(drop.upgrade).front() == "drop_table t000");
  CHECK(names(drop.upgrade).back() == "drop_table t199");
  DiffResult same = distil::differ::diff(big, big);
  CHECK(same.upgrade.empty());
  CHECK(same.downgrade.empty());
  CHECK(same.warnings.empty());
}

// ---- postgresql: libpg_query compares parse trees (model/sql_expr.hpp) -----------------

namespace {
const DiffOptions kPostgres{.dialect = "postgresql"};
}  // namespace

TEST_CASE("postgresql: defaults PostgreSQL stores with casts or spelled differently are no change") {
  const Schema actual = schema({tbl("t", {
                                            col("region", "character varying(2)", true,
                                                "'nz'::character varying"),
                                            col("created", "timestamp without time zone", true,
                                                "now()"),
                                            col("active", "boolean", true, "'f'::boolean"),
                                            col("n", "int4", true, "'-1'::integer"),
                                            col("tags", "_int4"),
                                            col("at", "timestamp with time zone"),
                                        })});
  const Schema desired = schema({tbl("t", {
                                             col("region", "varchar(2)", true, "'nz'"),
                                             col("created", "timestamp", true, "NOW( )"),
                                             col("active", "bool", true, "false"),
                                             col("n", "integer", true, "-1"),
                                             col("tags", "integer[]"),
                                             col("at", "timestamptz"),
                                         })});
  DiffResult r = diff_checked(desired, actual, Compare::semantic, kPostgres);
  CHECK(r.upgrade.empty());
  CHECK(r.warnings.empty());
}

TEST_CASE("postgresql: a real default change still alters the column") {
  const Schema actual =
      schema({tbl("t", {col("region", "varchar(2)", true, "'nz'::character varying")})});
  const Schema desired = schema({tbl("t", {col("region", "varchar(2)", true, "'au'")})});
  DiffResult r = diff_checked(desired, actual, Compare::exact, kPostgres);
  REQUIRE(names(r.upgrade) == Names{"alter_column t"});
  const auto& alter = std::get<AlterColumn>(r.upgrade[0]);
  CHECK(alter.change == ColumnPatch{.default_sql = std::optional<std::string>("'au'")});
}

TEST_CASE("postgresql: a check compares by parse tree, so parentheses and casts are no change") {
  Table actual = tbl("t", {col("ratio", "numeric(5,2)")});
  actual.checks = {{.name = "ck_t_1", .expression = "(ratio >= (0)::numeric)"}};
  Table desired = tbl("t", {col("ratio", "numeric(5,2)")});
  desired.checks = {{.name = "ck_t_1", .expression = "ratio >= 0"}};
  CHECK(diff_checked(schema({desired}), schema({actual}), Compare::semantic, kPostgres).empty());
  desired.checks[0].expression = "ratio > 0";
  CHECK(names(diff_checked(schema({desired}), schema({actual}), Compare::exact, kPostgres)
                  .upgrade) == Names{"drop_constraint t", "create_check t"});
}

TEST_CASE("postgresql: index predicates and index expressions compare by parse tree") {
  Table actual = tbl("t", {col("email", "text"), col("total", "integer")});
  actual.indexes = {
      {.name = "ix_t_email", .columns = {"lower((email)::text)"}, .where = "(total > 0)"}};
  Table desired = tbl("t", {col("email", "text"), col("total", "integer")});
  desired.indexes = {{.name = "ix_t_email", .columns = {"lower(email::text)"}, .where = "total>0"}};
  CHECK(diff_checked(schema({desired}), schema({actual}), Compare::semantic, kPostgres).empty());
  desired.indexes[0].where = "total > 1";
  CHECK(names(diff_checked(schema({desired}), schema({actual}), Compare::exact, kPostgres)
                  .upgrade) == Names{"drop_index t", "create_index t"});
}

TEST_CASE("postgresql: a real type change still alters the column - portable types map") {
  const Schema actual = schema({tbl("t", {col("a", "int4"), col("b", "double precision"),
                                          col("c", "bytea")})});
  const Schema same = schema({tbl("t", {col("a", "integer"), col("b", "double"),
                                        col("c", "binary")})});
  CHECK(diff_checked(same, actual, Compare::semantic, kPostgres).empty());
  const Schema desired = schema({tbl("t", {col("a", "bigint"), col("b", "double precision"),
                                           col("c", "bytea")})});
  DiffResult r = diff_checked(desired, actual, Compare::exact, kPostgres);
  REQUIRE(names(r.upgrade) == Names{"alter_column t"});
  CHECK(std::get<AlterColumn>(r.upgrade[0]).change.type == std::optional<std::string>("bigint"));
}

TEST_CASE("postgresql: an expression libpg_query cannot parse falls back to the textual form") {
  const Schema actual = schema({tbl("t", {col("a", "integer", true, "(0")})});
  const Schema desired = schema({tbl("t", {col("a", "integer", true, "( 0")})});
  CHECK(diff_checked(desired, actual, Compare::semantic, kPostgres).empty());
}

TEST_CASE("sqlite: casts still count as a difference there (behaviour unchanged)") {
  const Schema actual =
      schema({tbl("t", {col("a", "varchar(2)", true, "'nz'::character varying")})});
  const Schema desired = schema({tbl("t", {col("a", "varchar(2)", true, "'nz'")})});
  CHECK(names(diff_checked(desired, actual).upgrade) == Names{"alter_column t"});
}

TEST_CASE("a quoted plain identifier compares as the identifier (SQLite quotes renamed columns)") {
  CHECK(canonical_expression("length(\"ident\") <= 20") == canonical_expression("length(ident) <= 20"));
  CHECK(canonical_expression("\"end\" > start") == canonical_expression("end > \"start\""));
  CHECK(canonical_expression("\"Mixed Case\" > 0") != canonical_expression("mixed case > 0"));
  CHECK(canonical_expression("x = 'Ident'") != canonical_expression("x = 'ident'"));
}

TEST_CASE("a foreign key whose deferrability changes is dropped and re-created") {
  Table parent = tbl("parent");
  Table child = tbl("child", {col("parent_id", "integer")});
  child.foreign_keys = {fk("fk_child_parent", "parent_id", "parent")};
  Table deferrable = child;
  deferrable.foreign_keys[0].deferrable = true;
  Table deferred = deferrable;
  deferred.foreign_keys[0].initially_deferred = true;

  DiffResult r = diff_checked(schema({parent, deferrable}), schema({parent, child}));
  REQUIRE(names(r.upgrade) == Names{"drop_constraint child", "create_foreign_key child"});
  CHECK(std::get<CreateForeignKey>(r.upgrade[1]).foreign_key.deferrable);
  CHECK(std::get<CreateForeignKey>(r.downgrade[1]).foreign_key == child.foreign_keys[0]);
  DiffResult later = diff_checked(schema({parent, deferred}), schema({parent, deferrable}));
  REQUIRE(names(later.upgrade) == Names{"drop_constraint child", "create_foreign_key child"});
  CHECK(std::get<CreateForeignKey>(later.upgrade[1]).foreign_key.initially_deferred);
  CHECK(diff_checked(schema({parent, deferred}), schema({parent, deferred})).empty());
}

TEST_CASE("an index whose method changes is re-created - btree is the default method") {
  Table base = tbl("t", {col("a", "integer")});
  base.indexes = {{.name = "ix_t", .columns = {"a"}}};
  Table gin = base;
  gin.indexes[0].method = "gin";
  CHECK(names(diff_checked(schema({gin}), schema({base})).upgrade) ==
        Names{"drop_index t", "create_index t"});
  CHECK(names(diff_checked(schema({base}), schema({gin})).upgrade) ==
        Names{"drop_index t", "create_index t"});
  Table btree = base;
  btree.indexes[0].method = "btree";
  CHECK(distil::differ::diff(schema({btree}), schema({base})).empty());
  Table upper = gin;
  upper.indexes[0].method = "GIN";
  CHECK(distil::differ::diff(schema({upper}), schema({gin})).empty());
}
