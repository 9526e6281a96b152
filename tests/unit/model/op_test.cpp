// model::apply() and reverse() (model/op.hpp): the simulator's rules and the downgrade promise
// that model::apply(op) then model::apply(reverse(op)) gives the schema back exactly.
#include "model/op.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace distil::model;
namespace model = distil::model;  // model::apply: plain apply(s, op) finds std::apply via ADL

namespace {

Column col(std::string name, std::string type, bool nullable = true) {
  return Column{.name = std::move(name), .type = std::move(type), .nullable = nullable};
}

// tenants(id PK, name) <- orders(id PK autoincrement, tenant_id FK cascade, total, note, memo)
Schema base_schema() {
  Schema s;
  Table tenants{.name = "tenants",
                .columns = {col("id", "integer", false), col("name", "varchar(100)", false)},
                .primary_key = {"id"}};
  Column id = col("id", "integer", false);
  id.autoincrement = true;
  Column total = col("total", "numeric(12,2)");
  total.default_sql = "0";
  Table orders{.name = "orders",
               .columns = {id, col("tenant_id", "integer", false), total, col("note", "text"),
                           col("memo", "text")},
               .primary_key = {"id"},
               .unique = {{.name = "uq_orders_tenant_id_note", .columns = {"tenant_id", "note"}}},
               .indexes = {{.name = "ix_orders_total", .columns = {"total"}, .where = "total > 0"}},
               .foreign_keys = {{.name = "fk_orders_tenant_id_tenants",
                                 .columns = {"tenant_id"},
                                 .ref_table = "tenants",
                                 .ref_columns = {"id"},
                                 .on_delete = FkAction::cascade}},
               .checks = {{.name = "ck_orders_1", .expression = "total >= 0"}}};
  s.tables.emplace("tenants", tenants);
  s.tables.emplace("orders", orders);
  return s;
}

const Table& table(const Schema& s, const std::string& name) {
  const Table* t = s.find_table(name);
  REQUIRE_MESSAGE(t, "no table " << name);
  return *t;
}

Error apply_error(Schema s, const Op& op) {
  auto result = model::apply(s, op);
  REQUIRE_MESSAGE(!result, op_name(op) << " should fail");
  CHECK(result.error().code == ErrorCode::model);
  return result.error();
}

// Ops with their full before-state, each valid on base_schema().
std::vector<Op> reversible_ops() {
  const Schema s = base_schema();
  const Table& orders = table(s, "orders");
  Table invoices{.name = "invoices",
                 .columns = {col("id", "integer", false), col("order_id", "integer", false)},
                 .primary_key = {"id"},
                 .indexes = {{.name = "ix_invoices_order_id", .columns = {"order_id"}}},
                 .foreign_keys = {{.name = "fk_invoices_order_id_orders",
                                   .columns = {"order_id"},
                                   .ref_table = "orders",
                                   .ref_columns = {"id"}}}};
  Column currency = col("currency", "varchar(3)", false);
  currency.default_sql = "'NZD'";
  return {
      CreateTable{invoices},
      DropTable{orders},
      RenameTable{.from = "tenants", .to = "accounts"},
      RenameTable{.from = "orders", .to = "sales_orders"},
      AddColumn{.table = "orders", .column = currency},
      DropColumn{.table = "orders", .column = col("memo", "text")},
      AlterColumn{.table = "orders",
                  .column = "memo",
                  .change = {.type = "varchar(200)",
                             .nullable = false,
                             .default_sql = std::optional<std::string>("''"),
                             .comment = std::optional<std::string>("free text")},
                  .existing = {.type = "text",
                               .nullable = true,
                               .default_sql = std::optional<std::string>(),
                               .comment = std::optional<std::string>()}},
      AlterColumn{.table = "orders", .column = "total", .change = {.rename_to = "amount"}},
      AlterColumn{.table = "tenants", .column = "id", .change = {.rename_to = "tenant_key"}},
      AlterColumn{
          .table = "orders",
          .column = "note",
          .change = {.default_sql = std::optional<std::string>("'none'"), .rename_to = "remark"},
          .existing = {.default_sql = std::optional<std::string>()}},
      CreateIndex{
          .table = "orders",
          .index = {.name = "ix_orders_lower_note", .columns = {"lower(note)"}, .unique = true}},
      DropIndex{.table = "orders", .index = orders.indexes.front()},
      CreateUnique{.table = "orders", .unique = {.name = "uq_orders_memo", .columns = {"memo"}}},
      CreateForeignKey{.table = "orders",
                       .foreign_key = {.name = "fk_orders_memo_tenants",
                                       .columns = {"memo"},
                                       .ref_table = "tenants",
                                       .ref_columns = {"name"},
                                       .on_update = FkAction::set_null}},
      CreateCheck{.table = "orders", .check = {.name = "ck_orders_2", .expression = "memo <> ''"}},
      DropConstraint{
          .table = "orders", .name = "uq_orders_tenant_id_note", .unique = orders.unique.front()},
      DropConstraint{.table = "orders",
                     .name = "fk_orders_tenant_id_tenants",
                     .foreign_key = orders.foreign_keys.front()},
      DropConstraint{.table = "orders", .name = "ck_orders_1", .check = orders.checks.front()},
  };
}

}  // namespace

TEST_CASE("apply then model::apply(reverse) restores the schema exactly, for every op kind") {
  std::vector<std::string> kinds;
  for (const Op& op : reversible_ops()) {
    kinds.push_back(op_name(op));
    INFO("op ", kinds.size(), ": ", op_name(op), " on ", op_table(op));
    Schema s = base_schema();
    auto forward = model::apply(s, op);
    REQUIRE_MESSAGE(forward, format_error(forward.error()));
    CHECK(s != base_schema());  // the op did something
    auto back = reverse(op);
    REQUIRE_MESSAGE(back, format_error(back.error()));
    auto undone = model::apply(s, *back);
    REQUIRE_MESSAGE(undone, format_error(undone.error()));
    CHECK(s == base_schema());
    auto twice = reverse(*back);
    REQUIRE(twice);
    CHECK(*twice == op);
  }
  // Every op kind but raw SQL is covered.
  for (const char* kind :
       {"create_table", "drop_table", "rename_table", "add_column", "drop_column", "alter_column",
        "create_index", "drop_index", "create_unique", "create_foreign_key", "create_check",
        "drop_constraint"}) {
    CHECK_MESSAGE(std::find(kinds.begin(), kinds.end(), kind) != kinds.end(), kind);
  }
}

TEST_CASE("rename_table rewrites the foreign keys of other tables that reference it") {
  Schema s = base_schema();
  REQUIRE(model::apply(s, RenameTable{.from = "tenants", .to = "accounts"}));
  CHECK(s.find_table("tenants") == nullptr);
  CHECK(table(s, "accounts").name == "accounts");
  CHECK(table(s, "orders").foreign_keys.front().ref_table == "accounts");
}

TEST_CASE("rename_table of a self-referencing table rewrites its own foreign key") {
  Schema s;
  Table nodes{.name = "nodes",
              .columns = {col("id", "integer", false), col("parent_id", "integer")},
              .primary_key = {"id"},
              .foreign_keys = {{.name = "fk_nodes_parent",
                                .columns = {"parent_id"},
                                .ref_table = "nodes",
                                .ref_columns = {"id"}}}};
  REQUIRE(model::apply(s, CreateTable{nodes}));
  REQUIRE(model::apply(s, RenameTable{.from = "nodes", .to = "tree"}));
  CHECK(table(s, "tree").foreign_keys.front().ref_table == "tree");
}

TEST_CASE(
    "alter_column rename_to renames the column in pk, unique, index, fk, check and referencing "
    "fks") {
  Schema s = base_schema();
  REQUIRE(model::apply(
      s, AlterColumn{.table = "tenants", .column = "id", .change = {.rename_to = "key"}}));
  CHECK(table(s, "tenants").primary_key == std::vector<std::string>{"key"});
  CHECK(table(s, "orders").foreign_keys.front().ref_columns == std::vector<std::string>{"key"});

  REQUIRE(model::apply(
      s,
      AlterColumn{.table = "orders", .column = "tenant_id", .change = {.rename_to = "owner_id"}}));
  const Table& orders = table(s, "orders");
  CHECK(orders.unique.front().columns == std::vector<std::string>{"owner_id", "note"});
  CHECK(orders.foreign_keys.front().columns == std::vector<std::string>{"owner_id"});

  REQUIRE(model::apply(
      s, AlterColumn{.table = "orders", .column = "total", .change = {.rename_to = "amount"}}));
  CHECK(table(s, "orders").indexes.front().columns == std::vector<std::string>{"amount"});
  CHECK(table(s, "orders").indexes.front().where == "amount > 0");
  CHECK(table(s, "orders").checks.front().expression == "amount >= 0");
  CHECK(table(s, "orders").find_column("total") == nullptr);
  CHECK(table(s, "orders").find_column("amount") != nullptr);
}

TEST_CASE("renaming a column rewrites references in expressions but not literals or functions") {
  Schema s = base_schema();
  REQUIRE(model::apply(
      s, CreateCheck{.table = "orders",
                     .check = {.name = "ck_x",
                               .expression = "\"total\" < 10 AND note <> 'total' AND "
                                             "total(memo) IS NULL AND o.total::text <> ''"}}));
  REQUIRE(model::apply(
      s, AlterColumn{.table = "orders", .column = "total", .change = {.rename_to = "amount"}}));
  CHECK(table(s, "orders").checks.back().expression ==
        "\"amount\" < 10 AND note <> 'total' AND total(memo) IS NULL AND o.amount::text <> ''");
}

TEST_CASE("alter_column sets type, nullability, default and comment") {
  Schema s = base_schema();
  REQUIRE(model::apply(s, AlterColumn{.table = "orders",
                                      .column = "memo",
                                      .change = {.type = "varchar(10)",
                                                 .nullable = false,
                                                 .default_sql = std::optional<std::string>("'x'"),
                                                 .comment = std::optional<std::string>("c")}}));
  const Column* memo = table(s, "orders").find_column("memo");
  REQUIRE(memo);
  CHECK(memo->type == "varchar(10)");
  CHECK_FALSE(memo->nullable);
  CHECK(memo->default_sql == "'x'");
  CHECK(memo->comment == "c");
  REQUIRE(model::apply(s, AlterColumn{.table = "orders",
                                      .column = "memo",
                                      .change = {.default_sql = std::optional<std::string>()}}));
  CHECK_FALSE(table(s, "orders").find_column("memo")->default_sql.has_value());
}

TEST_CASE("drop_column refuses a column a constraint uses and names the constraint") {
  struct Case {
    std::string table, column, names;
  };
  for (const Case& c : std::vector<Case>{
           {"orders", "id", "primary key"},
           {"orders", "note", "uq_orders_tenant_id_note"},
           {"orders", "tenant_id", "uq_orders_tenant_id_note"},
           {"orders", "total", "ck_orders_1"},
           {"tenants", "id", "primary key"},
       }) {
    INFO(c.table, ".", c.column);
    Error e =
        apply_error(base_schema(), DropColumn{.table = c.table, .column = {.name = c.column}});
    CHECK(e.where.table == c.table);
    CHECK(e.where.column == c.column);
    CHECK(e.message.find(c.names) != std::string::npos);
  }
  Schema s = base_schema();
  REQUIRE(model::apply(s, DropConstraint{.table = "orders", .name = "uq_orders_tenant_id_note"}));
  Error fk = apply_error(s, DropColumn{.table = "orders", .column = {.name = "tenant_id"}});
  CHECK(fk.message.find("fk_orders_tenant_id_tenants") != std::string::npos);
}

TEST_CASE("drop_column refuses a column that another table's foreign key references") {
  Schema s = base_schema();
  REQUIRE(model::apply(s, CreateForeignKey{.table = "orders",
                                           .foreign_key = {.name = "fk_memo",
                                                           .columns = {"memo"},
                                                           .ref_table = "tenants",
                                                           .ref_columns = {"name"}}}));
  Error e = apply_error(s, DropColumn{.table = "tenants", .column = {.name = "name"}});
  CHECK(e.where.table == "tenants");
  CHECK(e.where.column == "name");
  CHECK(e.message.find("fk_memo") != std::string::npos);
  CHECK(e.message.find("orders") != std::string::npos);
}

TEST_CASE("drop_column takes the indexes that use the column with it") {
  Schema s = base_schema();
  REQUIRE(
      model::apply(s, CreateIndex{.table = "orders",
                                  .index = {.name = "ix_memo_lower", .columns = {"lower(memo)"}}}));
  REQUIRE(model::apply(
      s,
      CreateIndex{.table = "orders",
                  .index = {.name = "ix_note", .columns = {"note"}, .where = "memo IS NOT NULL"}}));
  REQUIRE(model::apply(
      s, CreateIndex{.table = "orders", .index = {.name = "ix_note2", .columns = {"note"}}}));
  REQUIRE(model::apply(s, DropColumn{.table = "orders", .column = {.name = "memo"}}));
  const Table& orders = table(s, "orders");
  CHECK(orders.find_column("memo") == nullptr);
  std::vector<std::string> left;
  for (const Index& ix : orders.indexes) left.push_back(ix.name);
  CHECK(left == std::vector<std::string>{"ix_orders_total", "ix_note2"});
}

TEST_CASE("apply errors name the table and column at fault") {
  const Schema s = base_schema();
  struct Case {
    Op op;
    std::string table, column, message;
  };
  const std::vector<Case> cases{
      {CreateTable{table(s, "orders")}, "orders", "", "already exists"},
      {DropTable{Table{.name = "nope"}}, "nope", "", "does not exist"},
      {DropTable{Table{.name = "tenants"}}, "tenants", "", "fk_orders_tenant_id_tenants"},
      {RenameTable{.from = "nope", .to = "x"}, "nope", "", "does not exist"},
      {RenameTable{.from = "orders", .to = "tenants"}, "orders", "", "already exists"},
      {AddColumn{.table = "orders", .column = col("note", "text")}, "orders", "note",
       "already exists"},
      {AddColumn{.table = "nope", .column = col("x", "text")}, "nope", "", "does not exist"},
      {AddColumn{.table = "orders", .column = col("x", "")}, "orders", "x", "no type"},
      {DropColumn{.table = "orders", .column = {.name = "nope"}}, "orders", "nope",
       "does not exist"},
      {AlterColumn{.table = "orders", .column = "nope", .change = {.type = "text"}}, "orders",
       "nope", "does not exist"},
      {AlterColumn{.table = "orders", .column = "memo", .change = {.rename_to = "note"}}, "orders",
       "memo", "already exists"},
      {AlterColumn{.table = "orders", .column = "id", .change = {.nullable = true}}, "orders", "id",
       "primary key"},
      {CreateIndex{.table = "orders", .index = {.name = "ix_x", .columns = {"nope"}}}, "orders",
       "nope", "does not exist"},
      {CreateIndex{.table = "tenants", .index = {.name = "ix_orders_total", .columns = {"name"}}},
       "tenants", "", "already exists on table \"orders\""},
      {DropIndex{.table = "orders", .index = {.name = "ix_nope"}}, "orders", "", "ix_nope"},
      {CreateUnique{.table = "orders", .unique = {.name = "ck_orders_1", .columns = {"memo"}}},
       "orders", "", "already exists"},
      {CreateUnique{.table = "orders", .unique = {.name = "uq_x", .columns = {"nope"}}}, "orders",
       "nope", "does not exist"},
      {CreateForeignKey{.table = "orders",
                        .foreign_key = {.name = "fk_x",
                                        .columns = {"memo"},
                                        .ref_table = "nope",
                                        .ref_columns = {"id"}}},
       "orders", "", "\"nope\""},
      {CreateForeignKey{.table = "orders",
                        .foreign_key = {.name = "fk_x",
                                        .columns = {"memo"},
                                        .ref_table = "tenants",
                                        .ref_columns = {"nope"}}},
       "orders", "", "\"nope\""},
      {CreateCheck{.table = "orders", .check = {.name = "ck_x"}}, "orders", "", "no expression"},
      {DropConstraint{.table = "orders", .name = "ix_orders_total"}, "orders", "", "drop_index"},
      {DropConstraint{.table = "orders", .name = "nope"}, "orders", "", "\"nope\""},
      {RawSql{.any = "SELECT 1"}, "", "", "raw SQL cannot be simulated"},
  };
  for (const Case& c : cases) {
    INFO(op_name(c.op), " expecting ", c.message);
    Error e = apply_error(s, c.op);
    CHECK(e.where.table == c.table);
    CHECK(e.where.column == c.column);
    CHECK_MESSAGE(e.message.find(c.message) != std::string::npos, e.message);
  }
}

TEST_CASE("a failed apply leaves the schema unchanged") {
  Schema s = base_schema();
  CHECK_FALSE(model::apply(s, DropColumn{.table = "orders", .column = {.name = "total"}}));
  CHECK_FALSE(model::apply(
      s, CreateTable{Table{.name = "t", .columns = {col("a", "int"), col("a", "int")}}}));
  CHECK(s == base_schema());
}

TEST_CASE("drop_table of a table referenced only by itself succeeds") {
  Schema s;
  Table nodes{.name = "nodes",
              .columns = {col("id", "integer", false), col("parent_id", "integer")},
              .primary_key = {"id"},
              .foreign_keys = {{.name = "fk_parent",
                                .columns = {"parent_id"},
                                .ref_table = "nodes",
                                .ref_columns = {"id"}}}};
  REQUIRE(model::apply(s, CreateTable{nodes}));
  REQUIRE(model::apply(s, DropTable{Table{.name = "nodes"}}));
  CHECK(s.tables.empty());
}

TEST_CASE("reverse refuses ops that lack their before-state, naming what is missing") {
  struct Case {
    Op op;
    std::string table, column, message;
  };
  const std::vector<Case> cases{
      {DropTable{Table{.name = "orders"}}, "orders", "", "definition"},
      {DropColumn{.table = "orders", .column = {.name = "memo"}}, "orders", "memo", "definition"},
      {AlterColumn{.table = "orders", .column = "memo", .change = {.type = "text"}}, "orders",
       "memo", "existing.type"},
      {AlterColumn{.table = "orders",
                   .column = "memo",
                   .change = {.nullable = false},
                   .existing = {.type = "text"}},
       "orders", "memo", "existing.nullable"},
      {AlterColumn{.table = "orders",
                   .column = "memo",
                   .change = {.default_sql = std::optional<std::string>("1")}},
       "orders", "memo", "existing.default"},
      {DropIndex{.table = "orders", .index = {.name = "ix"}}, "orders", "", "\"ix\""},
      {DropConstraint{.table = "orders", .name = "ck"}, "orders", "", "\"ck\""},
      {RawSql{.any = "SELECT 1"}, "", "", "raw SQL"},
  };
  for (const Case& c : cases) {
    INFO(op_name(c.op));
    auto r = reverse(c.op);
    REQUIRE(!r);
    CHECK(r.error().where.table == c.table);
    CHECK(r.error().where.column == c.column);
    CHECK_MESSAGE(r.error().message.find(c.message) != std::string::npos, r.error().message);
  }
}

TEST_CASE("reverse of a rename-only alter_column needs no existing state") {
  auto r = reverse(AlterColumn{.table = "t", .column = "a", .change = {.rename_to = "b"}});
  REQUIRE(r);
  CHECK(*r == Op{AlterColumn{.table = "t", .column = "b", .change = {.rename_to = "a"}}});
}

TEST_CASE("is_destructive flags drops and type changes only") {
  CHECK(is_destructive(DropTable{Table{.name = "t"}}));
  CHECK(is_destructive(DropColumn{.table = "t", .column = {.name = "c"}}));
  CHECK(is_destructive(AlterColumn{.table = "t", .column = "c", .change = {.type = "int"}}));
  CHECK(is_destructive(AlterColumn{
      .table = "t", .column = "c", .change = {.type = "int"}, .existing = {.type = "text"}}));
  CHECK_FALSE(is_destructive(AlterColumn{
      .table = "t", .column = "c", .change = {.type = "int"}, .existing = {.type = "int"}}));
  CHECK_FALSE(
      is_destructive(AlterColumn{.table = "t", .column = "c", .change = {.nullable = false}}));
  CHECK_FALSE(
      is_destructive(AlterColumn{.table = "t", .column = "c", .change = {.rename_to = "d"}}));
  CHECK_FALSE(is_destructive(AddColumn{.table = "t", .column = col("c", "int")}));
  CHECK_FALSE(is_destructive(DropIndex{.table = "t", .index = {.name = "ix"}}));
  CHECK_FALSE(is_destructive(DropConstraint{.table = "t", .name = "ck"}));
  CHECK_FALSE(is_destructive(RawSql{.any = "DELETE FROM t"}));
}

TEST_CASE("op_name is the YAML key and op_table the table worked on") {
  CHECK(op_name(CreateForeignKey{}) == "create_foreign_key");
  CHECK(op_name(RawSql{}) == "sql");
  CHECK(op_name(DropConstraint{}) == "drop_constraint");
  CHECK(op_table(CreateTable{Table{.name = "a"}}) == "a");
  CHECK(op_table(RenameTable{.from = "a", .to = "b"}) == "a");
  CHECK(op_table(AlterColumn{.table = "t", .column = "c"}) == "t");
  CHECK(op_table(RawSql{.any = "x"}).empty());
}

TEST_CASE("fk actions round-trip through YAML and SQL spellings") {
  for (FkAction a : {FkAction::no_action, FkAction::restrict, FkAction::cascade, FkAction::set_null,
                     FkAction::set_default}) {
    CHECK(parse_fk_action(to_string(a)) == a);
    CHECK(parse_fk_action(to_sql(a)) == a);
  }
  CHECK(to_string(FkAction::set_null) == "set null");
  CHECK(to_sql(FkAction::set_default) == "SET DEFAULT");
  CHECK(parse_fk_action("set_null") == FkAction::set_null);
  CHECK_FALSE(parse_fk_action("explode").has_value());
  CHECK_FALSE(parse_fk_action("").has_value());
}

TEST_CASE("find_column, is_primary_key and find_table look up by exact name") {
  Schema s = base_schema();
  CHECK(s.find_table("orders") != nullptr);
  CHECK(s.find_table("Orders") == nullptr);
  Table& orders = *s.find_table("orders");
  CHECK(orders.find_column("memo") != nullptr);
  CHECK(orders.find_column("MEMO") == nullptr);
  CHECK(orders.is_primary_key("id"));
  CHECK_FALSE(orders.is_primary_key("memo"));
}

namespace {
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("index names stay schema-wide through drops, renames and tables added by other code") {
  // apply() keeps the index names in a lookup (a scan of every table per index made N
  // create_tables O(N^2)); each way a schema changes must leave it right.
  auto with_index = [](std::string table, std::string index) {
    return CreateTable{.table = {.name = std::move(table),
                                 .columns = {col("id", "integer", false)},
                                 .primary_key = {"id"},
                                 .indexes = {{.name = std::move(index), .columns = {"id"}}}}};
  };
  Schema s = base_schema();
  REQUIRE(model::apply(s, with_index("a", "ix_shared")));
  CHECK(contains(apply_error(s, with_index("b", "ix_shared")).message,
                 "already exists on table \"a\""));
  // Renamed: the index goes with its table.
  REQUIRE(model::apply(s, RenameTable{.from = "a", .to = "a2"}));
  CHECK(contains(apply_error(s, with_index("b", "ix_shared")).message,
                 "already exists on table \"a2\""));
  // Dropped: the name is free again.
  REQUIRE(model::apply(s, DropTable{.table = table(s, "a2")}));
  REQUIRE(model::apply(s, with_index("b", "ix_shared")));
  // Added to an existing table by create_index, then seen by create_table.
  REQUIRE(model::apply(s, CreateIndex{.table = "tenants",
                                      .index = {.name = "ix_tenant_name", .columns = {"name"}}}));
  CHECK(contains(apply_error(s, with_index("c", "ix_tenant_name")).message,
                 "already exists on table \"tenants\""));
  // A table put into `tables` directly (as introspection and the renderers do).
  Table direct = std::get<CreateTable>(Op(with_index("d", "ix_direct"))).table;
  s.tables.emplace("d", direct);
  CHECK(contains(apply_error(s, with_index("e", "ix_direct")).message,
                 "already exists on table \"d\""));
  // A table replaced by another version: the caller says so.
  direct.indexes[0].name = "ix_direct2";
  s.tables.erase("d");
  s.tables.emplace("d", direct);
  s.forget_lookups();
  CHECK(contains(apply_error(s, with_index("e", "ix_direct2")).message,
                 "already exists on table \"d\""));
  REQUIRE(model::apply(s, with_index("e", "ix_direct")));
  // A copy keeps working on its own.
  Schema copy = s;
  REQUIRE(model::apply(copy, DropTable{.table = table(copy, "e")}));
  REQUIRE(model::apply(copy, with_index("f", "ix_direct")));
  CHECK(contains(apply_error(s, with_index("f", "ix_direct")).message,
                 "already exists on table \"e\""));
}

TEST_CASE("foreign keys into a table stay known through creates, renames, drops and other code") {
  // t(id PK, ref_id, code): with `ref` non-empty, ref_id references ref(id).
  auto make = [](std::string name, std::string ref) {
    Table t{.name = std::move(name),
            .columns = {col("id", "integer", false), col("ref_id", "integer"),
                        col("code", "integer")},
            .primary_key = {"id"}};
    if (!ref.empty()) {
      t.foreign_keys.push_back({.name = "fk_" + t.name + "_" + ref,
                                .columns = {"ref_id"},
                                .ref_table = ref,
                                .ref_columns = {"id"}});
    }
    return t;
  };
  // Applied to `s` itself (apply_error takes a copy), so the lookups it builds are kept.
  auto refused = [](Schema& s, const Op& op) {
    auto result = model::apply(s, op);
    REQUIRE_MESSAGE(!result, op_name(op) << " should fail");
    return result.error().message;
  };
  auto drop_refused_for = [&](Schema& s, const std::string& name) {
    return refused(s, DropTable{.table = table(s, name)});
  };
  Schema s = base_schema();
  CHECK(contains(drop_refused_for(s, "tenants"), "of table \"orders\""));  // looked up once
  // Added by create_table.
  REQUIRE(model::apply(s, CreateTable{make("a", "orders")}));
  CHECK(contains(drop_refused_for(s, "orders"), "of table \"a\""));
  // Added by create_foreign_key to a table that had none.
  REQUIRE(model::apply(s, CreateTable{make("b", "")}));
  REQUIRE(model::apply(s, CreateForeignKey{.table = "b",
                                           .foreign_key = {.name = "fk_b_code",
                                                           .columns = {"code"},
                                                           .ref_table = "a",
                                                           .ref_columns = {"code"}}}));
  CHECK(contains(drop_refused_for(s, "a"), "of table \"b\""));
  CHECK(contains(refused(s, DropColumn{.table = "a", .column = {.name = "code"}}), "fk_b_code"));
  // The referenced table renamed: the reference follows it, and so does a column rename.
  REQUIRE(model::apply(s, RenameTable{.from = "a", .to = "a2"}));
  CHECK(table(s, "b").foreign_keys.front().ref_table == "a2");
  CHECK(contains(drop_refused_for(s, "a2"), "of table \"b\""));
  REQUIRE(model::apply(
      s, AlterColumn{.table = "a2", .column = "code", .change = {.rename_to = "c2"}}));
  CHECK(table(s, "b").foreign_keys.front().ref_columns == std::vector<std::string>{"c2"});
  // The referring table renamed.
  REQUIRE(model::apply(s, RenameTable{.from = "b", .to = "b2"}));
  CHECK(contains(drop_refused_for(s, "a2"), "of table \"b2\""));
  // A self-reference renamed with its table, then referenced by another table.
  REQUIRE(model::apply(s, CreateTable{make("n", "n")}));
  REQUIRE(model::apply(s, RenameTable{.from = "n", .to = "n2"}));
  CHECK(table(s, "n2").foreign_keys.front().ref_table == "n2");
  REQUIRE(model::apply(s, CreateTable{make("m", "n2")}));
  CHECK(contains(drop_refused_for(s, "n2"), "of table \"m\""));
  // Referrers dropped first: then the referenced tables can go.
  REQUIRE(model::apply(s, DropTable{.table = table(s, "m")}));
  REQUIRE(model::apply(s, DropTable{.table = table(s, "n2")}));
  REQUIRE(model::apply(s, DropTable{.table = table(s, "b2")}));
  REQUIRE(model::apply(s, DropTable{.table = table(s, "a2")}));
  // A table put into `tables` directly (as introspection and the renderers do); the first
  // referrer in name order is named.
  s.tables.emplace("d", make("d", "tenants"));
  CHECK(contains(drop_refused_for(s, "tenants"), "of table \"d\""));
  // A table replaced by another version: the caller says so.
  REQUIRE(model::apply(s, CreateTable{make("c", "")}));
  s.tables.erase("d");
  s.tables.emplace("d", make("d", "c"));
  s.forget_lookups();
  CHECK(contains(drop_refused_for(s, "c"), "of table \"d\""));
  // A copy keeps working on its own.
  Schema copy = s;
  REQUIRE(model::apply(copy, DropTable{.table = table(copy, "d")}));
  REQUIRE(model::apply(copy, DropTable{.table = table(copy, "c")}));
  CHECK(contains(drop_refused_for(s, "c"), "of table \"d\""));
}
