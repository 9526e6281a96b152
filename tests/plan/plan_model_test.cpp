// Unit tests of the pure plan model (cli/commands/plan_model): hazard classification, the
// offline plan of a revision history, and the JSON rendering. No database.
#include <doctest/doctest.h>

#include <string>

#include "cli/commands/plan_model.hpp"
#include "model/yaml/revision_io.hpp"

namespace plan = distil::cli::plan;
namespace model = distil::model;
using distil::emitters::Dialect;

namespace {

model::Table orders() {
  return model::Table{.name = "orders",
                      .columns = {{.name = "id", .type = "integer", .nullable = false},
                                  {.name = "code", .type = "varchar(10)"},
                                  {.name = "total", .type = "numeric(10,2)"}},
                      .primary_key = {"id"}};
}

model::Revision revision(std::string id, std::vector<std::string> down,
                         std::vector<model::Op> up) {
  model::Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.message = "rev " + r.id;
  r.upgrade = std::move(up);
  r.path = "versions/" + r.id + ".yaml";
  return r;
}

}  // namespace

TEST_CASE("PostgreSQL ALTER COLUMN TYPE rewrites except binary-compatible widenings") {
  CHECK_FALSE(plan::pg_type_change_rewrites("varchar(10)", "varchar(20)"));
  CHECK_FALSE(plan::pg_type_change_rewrites("varchar(10)", "character varying(10)"));
  CHECK_FALSE(plan::pg_type_change_rewrites("varchar(10)", "text"));
  CHECK_FALSE(plan::pg_type_change_rewrites("text", "varchar"));
  CHECK_FALSE(plan::pg_type_change_rewrites("numeric(10,2)", "numeric(12,2)"));
  CHECK_FALSE(plan::pg_type_change_rewrites("numeric(10,2)", "numeric"));
  CHECK(plan::pg_type_change_rewrites("varchar(20)", "varchar(10)"));
  CHECK(plan::pg_type_change_rewrites("text", "varchar(10)"));
  CHECK(plan::pg_type_change_rewrites("numeric(10,2)", "numeric(12,3)"));
  CHECK(plan::pg_type_change_rewrites("integer", "bigint"));
  CHECK(plan::pg_type_change_rewrites("text", "integer"));
  CHECK(plan::pg_type_change_rewrites("timestamp", "timestamptz"));
}

TEST_CASE("volatile defaults are told from stable ones") {
  CHECK(plan::is_volatile_default("gen_random_uuid()"));
  CHECK(plan::is_volatile_default("(RANDOM () * 10)::int"));
  CHECK(plan::is_volatile_default("nextval('s'::regclass)"));
  CHECK_FALSE(plan::is_volatile_default("now()"));
  CHECK_FALSE(plan::is_volatile_default("CURRENT_TIMESTAMP"));
}

TEST_CASE("hazards: PostgreSQL locks and rewrites, SQLite rebuilds") {
  const model::Table t = orders();
  auto pg = [&](const model::Op& op) { return plan::analyse(Dialect::postgresql, op, &t, false); };

  auto widen = pg(model::AlterColumn{.table = "orders", .column = "code",
                                     .change = {.type = "varchar(20)"}});
  CHECK_FALSE(widen.rewrites_table);
  CHECK_FALSE(widen.locks_table);

  auto narrow = pg(model::AlterColumn{.table = "orders", .column = "code",
                                      .change = {.type = "varchar(5)"}});
  CHECK(narrow.rewrites_table);
  CHECK(narrow.locks_table);

  auto not_null = pg(model::AlterColumn{.table = "orders", .column = "code",
                                        .change = {.nullable = false}});
  CHECK_FALSE(not_null.rewrites_table);
  CHECK(not_null.locks_table);

  auto volatile_default =
      pg(model::AddColumn{.table = "orders",
                          .column = {.name = "token", .type = "uuid",
                                     .default_sql = "gen_random_uuid()"}});
  CHECK(volatile_default.rewrites_table);
  auto stable_default = pg(model::AddColumn{
      .table = "orders", .column = {.name = "at", .type = "timestamptz", .default_sql = "now()"}});
  CHECK_FALSE(stable_default.rewrites_table);
  CHECK_FALSE(stable_default.locks_table);

  CHECK(pg(model::CreateIndex{.table = "orders", .index = {.name = "ix", .columns = {"code"}}})
            .locks_table);
  CHECK(pg(model::CreateCheck{.table = "orders", .check = {.name = "ck", .expression = "id > 0"}})
            .locks_table);
  CHECK_FALSE(pg(model::DropColumn{.table = "orders", .column = {.name = "code"}}).locks_table);

  auto rebuild = plan::analyse(Dialect::sqlite,
                               model::AlterColumn{.table = "orders", .column = "code",
                                                  .change = {.type = "text"}},
                               &t, true);
  CHECK(rebuild.rewrites_table);
  CHECK(rebuild.locks_table);
  CHECK_FALSE(plan::analyse(Dialect::sqlite,
                            model::AddColumn{.table = "orders", .column = {.name = "x", .type = "text"}},
                            &t, false)
                  .locks_table);
}

TEST_CASE("an offline plan renders every step against the schema as it will be then") {
  std::vector<model::Revision> revs;
  revs.push_back(revision("a1", {}, {model::CreateTable{orders()}}));
  revs.push_back(revision(
      "b2", {"a1"},
      {model::DropColumn{.table = "orders", .column = {.name = "code"}},
       model::AlterColumn{.table = "orders", .column = "total", .change = {.type = "text"},
                          .existing = {.type = "numeric(10,2)"}}}));
  auto graph = model::RevisionGraph::build(std::move(revs));
  REQUIRE(graph);
  auto steps = graph->plan_upgrade({}, "head");
  REQUIRE(steps);
  plan::PlanInput input{.dialect = Dialect::sqlite};
  auto p = plan::build_plan(*graph, {}, *steps, input);
  REQUIRE(p);
  REQUIRE(p->steps.size() == 2);
  CHECK(p->result == model::Heads{"b2"});
  CHECK(p->steps[0].ops[0].kind == "create_table");
  const auto& drop = p->steps[1].ops[0];
  CHECK(drop.destructive);
  CHECK(drop.counts.empty());  // offline: nothing to count
  const auto& alter = p->steps[1].ops[1];
  CHECK(alter.rewrites_table);  // a rebuild of a table that, by then, has no "code" column
  CHECK(p->steps[1].foreign_keys_off);
  bool mentions_code = false;
  for (const auto& sql : alter.sql) mentions_code |= sql.find("\"code\"") != std::string::npos;
  CHECK_FALSE(mentions_code);
  auto s = plan::summarise(*p);
  CHECK(s.destructive == 2);
  CHECK(s.rewrites >= 1);
}

TEST_CASE("live plans count only tables that exist in the database, through renames") {
  std::vector<model::Revision> revs;
  revs.push_back(revision("a1", {}, {model::CreateTable{orders()}}));
  revs.push_back(revision(
      "b2", {"a1"},
      {model::CreateTable{model::Table{.name = "fresh",
                                       .columns = {{.name = "id", .type = "integer"},
                                                   {.name = "v", .type = "text"}}}},
       model::DropColumn{.table = "fresh", .column = {.name = "v"}},
       model::RenameTable{.from = "orders", .to = "sales"},
       model::DropColumn{.table = "sales", .column = {.name = "code"}},
       model::DropTable{.table = {.name = "sales"}}}));
  auto graph = model::RevisionGraph::build(std::move(revs));
  REQUIRE(graph);
  auto steps = graph->plan_upgrade({"a1"}, "head");
  REQUIRE(steps);
  model::Schema live;
  live.tables.emplace("orders", orders());
  auto p = plan::build_plan(*graph, {"a1"}, *steps,
                            plan::PlanInput{.dialect = Dialect::postgresql, .schema = live,
                                            .live = true});
  REQUIRE(p);
  const auto& ops = p->steps.at(0).ops;
  CHECK(ops[1].counts.empty());  // "fresh" is created by the plan: nothing to count
  REQUIRE(ops[3].counts.size() == 2);
  CHECK(ops[3].counts[1].sql == "SELECT count(\"code\") FROM \"orders\"");  // the live name
  REQUIRE_FALSE(ops[4].counts.empty());
  CHECK(ops[4].counts.back().sql == "SELECT count(*) FROM \"orders\"");
}

TEST_CASE("JSON escapes text and writes nulls for unknown counts") {
  plan::Plan p{.command = "upgrade", .target = "head"};
  plan::StepPlan s{.revision = "a1", .message = "say \"hi\"\n\tand\x01", .file = "f.yaml"};
  s.ops.push_back(plan::OpPlan{.index = 1, .kind = "sql", .sql = {"SELECT '\\'"},
                               .rows = {.table = 3}});
  p.steps.push_back(s);
  const std::string json = plan::render_json(p);
  CHECK(json.find(R"("message": "say \"hi\"\n\tand\u0001")") != std::string::npos);
  CHECK(json.find(R"("sql": ["SELECT '\\'"])") != std::string::npos);
  CHECK(json.find(R"("rows": {"table": 3, "lost": null, "failing": null})") != std::string::npos);
  CHECK(json.find(R"("table": null)") != std::string::npos);
  CHECK(json.find(R"("database": null)") != std::string::npos);
  CHECK(json.find("\"format_version\": 1") != std::string::npos);
}

TEST_CASE("text plans are plain without colour and coloured with it") {
  plan::Plan p{.command = "upgrade", .target = "head"};
  plan::StepPlan s{.revision = "a1", .message = "m", .file = "f.yaml"};
  s.ops.push_back(plan::OpPlan{.index = 1, .kind = "drop_table", .table = "t",
                               .destructive = true, .rewrites_table = false});
  s.ops.push_back(plan::OpPlan{.index = 2, .kind = "alter_column", .table = "u",
                               .rewrites_table = true, .locks_table = true});
  p.steps.push_back(s);
  const std::string plain = plan::render_text(p, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(plain.find("[DESTRUCTIVE]") != std::string::npos);
  CHECK(plain.find("[REWRITES TABLE]") != std::string::npos);
  const std::string coloured = plan::render_text(p, true);
  CHECK(coloured.find("\x1b[31m[DESTRUCTIVE]") != std::string::npos);
  CHECK(coloured.find("\x1b[33m[REWRITES TABLE]") != std::string::npos);
}

TEST_CASE("an earlier type change does not stop counting - an added column is never counted") {
  std::vector<model::Revision> revs;
  revs.push_back(revision("a1", {}, {model::CreateTable{orders()}}));
  revs.push_back(revision(
      "b2", {"a1"},
      {model::AlterColumn{.table = "orders", .column = "code", .change = {.type = "varchar(20)"}},
       model::AlterColumn{.table = "orders", .column = "code", .change = {.nullable = false}},
       model::DropColumn{.table = "orders", .column = {.name = "total"}},
       model::AddColumn{.table = "orders", .column = {.name = "total", .type = "text"}},
       model::DropColumn{.table = "orders", .column = {.name = "total"}}}));
  auto graph = model::RevisionGraph::build(std::move(revs));
  REQUIRE(graph);
  auto steps = graph->plan_upgrade({"a1"}, "head");
  REQUIRE(steps);
  model::Schema live;
  live.tables.emplace("orders", orders());
  auto p = plan::build_plan(*graph, {"a1"}, *steps,
                            plan::PlanInput{.dialect = Dialect::postgresql, .schema = live,
                                            .live = true});
  REQUIRE(p);
  const auto& ops = p->steps.at(0).ops;
  bool counts_nulls = false;
  for (const auto& q : ops[1].counts)
    counts_nulls |= q.sql == "SELECT count(*) FROM \"orders\" WHERE \"code\" IS NULL";
  CHECK(counts_nulls);
  bool lost_first = false, lost_second = false;
  for (const auto& q : ops[2].counts) lost_first |= q.kind == plan::CountQuery::Kind::lost;
  for (const auto& q : ops[4].counts) lost_second |= q.kind == plan::CountQuery::Kind::lost;
  CHECK(lost_first);
  CHECK_FALSE(lost_second);  // the re-added "total" is not the live column
}
