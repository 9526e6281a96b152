// Golden tests of the PostgreSQL emitter: tests/golden/postgresql/*.case (one scenario each,
// format below) render to exactly the expected SQL, and every statement emitted reparses
// with libpg_query (PostgreSQL's own parser) as exactly one statement.
// DISTIL_UPDATE_GOLDEN=1 rewrites the expected sections.
//
// Case sections (`-- name --` lines; a header of `# name:` / `# why:` lines first):
//   setup.yaml       ops (usually create_table) that build the starting schema; optional
//   ops.yaml         the ops to render
//   postgresql.sql   the expected SQL, each statement followed by ";\n"   } exactly one
//   error            a substring of the expected render error               }
#include <doctest/doctest.h>
#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "emitters/sql/dialect.hpp"
#include "emitters/sql/postgres/render.hpp"
#include "emitters/sql/script.hpp"
#include "model/op.hpp"
#include "model/yaml/revision_io.hpp"
#include "tests/support/case_file.hpp"

namespace fs = std::filesystem;
namespace model = distil::model;
namespace emitters = distil::emitters;

namespace {

const fs::path kCaseDir = fs::path(DISTIL_SOURCE_DIR) / "tests" / "golden" / "postgresql";

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

// ---------------------------------------------------------------------------------------
// Rendering a case

struct Statement {
  std::string sql;
  bool raw = false;  // from a `sql:` op: may hold several statements
};

struct Outcome {
  std::string setup_error;           // a broken case file, not a finding
  std::vector<Statement> statements;  // setup and ops, as rendered
  std::string sql;                   // the rendered ops, each statement followed by ";\n"
  std::string error;                 // format_error of the op that failed to render
  bool rebuild = false;
};

// A SchemaSource over a simulated schema (as the offline --sql mode has it).
emitters::SchemaSource simulated_source(const model::Schema& schema) {
  return emitters::SchemaSource{
      .table = [&schema](std::string_view name) -> model::Result<model::Table> {
        if (const model::Table* t = schema.find_table(name)) return *t;
        return model::fail(model::Error{.code = model::ErrorCode::model,
                                        .message = "the table does not exist",
                                        .where = {.table = std::string(name)}});
      },
      .triggers = [](std::string_view) { return std::vector<std::string>{}; },
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
  model::Schema schema;
  const emitters::SchemaSource source = simulated_source(schema);
  auto keep = [&out](const model::Op& op, const emitters::RenderedOp& rendered) {
    const bool raw = std::holds_alternative<model::RawSql>(op);
    for (const std::string& s : rendered.statements) out.statements.push_back({s, raw});
    out.rebuild = out.rebuild || rendered.rebuild;
  };
  if (const Section* setup = file.find("setup.yaml")) {
    auto ops = model::yaml::parse_ops(setup->body, path, setup->line);
    if (!ops) {
      out.setup_error = model::format_error(ops.error());
      return out;
    }
    for (const model::Op& op : *ops) {
      auto sql = emitters::postgres::render(op, source);
      auto applied = model::apply(schema, op);
      if (!sql || !applied) {
        out.setup_error = model::format_error(sql ? applied.error() : sql.error());
        return out;
      }
      keep(op, *sql);
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
    auto rendered = emitters::postgres::render(op, source);
    if (!rendered) {
      out.error = model::format_error(rendered.error());
      return out;
    }
    out.sql += join_statements(rendered->statements);
    keep(op, *rendered);
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
// libpg_query

struct Parsed {
  std::string error;  // "" when it parsed
  std::string tree;   // the parse tree as JSON
  int statements = 0;
};

Parsed parse(const std::string& sql) {
  Parsed out;
  PgQueryParseResult result = pg_query_parse(sql.c_str());
  if (result.error) {
    out.error = std::string(result.error->message) + " at position " +
                std::to_string(result.error->cursorpos);
  } else if (result.parse_tree) {
    out.tree = result.parse_tree;
    // Each statement is one {"stmt": ...} entry; inside a JSON string the quotes would be
    // escaped, so a name cannot fake one.
    for (size_t at = out.tree.find("{\"stmt\":"); at != std::string::npos;
         at = out.tree.find("{\"stmt\":", at + 1)) {
      ++out.statements;
    }
  }
  pg_query_free_parse_result(result);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------

TEST_CASE("every PostgreSQL golden case renders exactly its expected SQL or error") {
  const auto paths = case_paths(kCaseDir);
  REQUIRE_MESSAGE(!paths.empty(), "no case files in " << kCaseDir);
  for (const fs::path& path : paths) {
    INFO("case file: ", path.string());
    CaseFile file = read_case(path);
    const Outcome outcome = run_case(file);
    CHECK_MESSAGE(outcome.setup_error.empty(), outcome.setup_error);
    if (!outcome.setup_error.empty()) continue;
    CHECK_FALSE(outcome.rebuild);  // PostgreSQL alters in place
    const Section* expected_sql = file.find("postgresql.sql");
    const Section* expected_error = file.find("error");
    CHECK_MESSAGE((expected_sql != nullptr) != (expected_error != nullptr),
                  "a case needs exactly one of -- postgresql.sql -- and -- error --");
    CHECK_MESSAGE(file.header.find("# name:") != std::string::npos, "header needs # name:");
    CHECK_MESSAGE(file.header.find("# why:") != std::string::npos, "header needs # why:");
    if (update_golden()) {
      if (outcome.error.empty()) {
        file.erase("error");
        file.set("postgresql.sql", outcome.sql);
      } else {
        file.erase("postgresql.sql");
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

TEST_CASE("every statement of every PostgreSQL golden case reparses with libpg_query") {
  int parsed = 0;
  for (const fs::path& path : case_paths(kCaseDir)) {
    INFO("case file: ", path.string());
    const Outcome outcome = run_case(read_case(path));
    if (!outcome.setup_error.empty()) continue;  // reported by the test above
    for (const Statement& statement : outcome.statements) {
      INFO("statement: ", statement.sql);
      const Parsed result = parse(statement.sql);
      CHECK_MESSAGE(result.error.empty(), result.error);
      // One op statement is one PostgreSQL statement: no name or clause split it in two.
      if (result.error.empty() && !statement.raw) CHECK(result.statements == 1);
      ++parsed;
    }
  }
  CHECK(parsed > 0);
}

namespace {

model::Op parse_one(const std::string& yaml) {
  auto ops = model::yaml::parse_ops(yaml, "test", 1);
  REQUIRE_MESSAGE(ops, model::format_error(ops.error()));
  REQUIRE(ops->size() == 1);
  return ops->front();
}

// A schema of one table whose names are keywords, mixed case and hostile text.
struct HostileFixture {
  model::Schema schema;

  HostileFixture() {
    const model::Op op = parse_one(R"(
- create_table:
    name: select
    comment: "it's the \"select\" table"
    columns:
      - {name: id, type: integer, primary_key: true, autoincrement: true}
      - {name: end, type: timestamp, comment: "when; it ends"}
      - {name: Mixed Case, type: text}
      - {name: a"b, type: text}
      - {name: "semi;colon", type: text}
    indexes: [{name: "ix;drop table x", columns: [end, Mixed Case]}]
)");
    REQUIRE(model::apply(schema, op));
  }
};

}  // namespace

TEST_CASE("hostile identifiers reach PostgreSQL's parser as exactly the names written") {
  HostileFixture f;
  const auto statements = emitters::postgres::render_create_table(f.schema.tables.at("select"));
  REQUIRE(statements.size() == 4);  // table, index, table comment, one column comment
  std::string trees;
  for (const std::string& sql : statements) {
    INFO("statement: ", sql);
    const Parsed result = parse(sql);
    REQUIRE_MESSAGE(result.error.empty(), result.error);
    CHECK(result.statements == 1);
    trees += result.tree;
  }
  // The parse tree (JSON, so a quote is \") names exactly the model's identifiers.
  CHECK(trees.find(R"("relname":"select")") != std::string::npos);
  CHECK(trees.find(R"("colname":"end")") != std::string::npos);
  CHECK(trees.find(R"("colname":"Mixed Case")") != std::string::npos);
  CHECK(trees.find(R"("colname":"a\"b")") != std::string::npos);
  CHECK(trees.find(R"("colname":"semi;colon")") != std::string::npos);
  CHECK(trees.find(R"("idxname":"ix;drop table x")") != std::string::npos);
  CHECK(trees.find(R"("conname":"pk_select")") != std::string::npos);
  CHECK(trees.find(R"(it's the \"select\" table)") != std::string::npos);

  const auto source = simulated_source(f.schema);
  const std::vector<std::string> ops = {
      R"(- add_column: {table: select, column: {name: "x\"); DROP TABLE t; --", type: text}})",
      R"(- alter_column: {table: select, column: a"b, rename_to: "b'c", type: varchar(3),)"
      R"( nullable: false, default: "'x'", comment: "o'k"})",
      R"(- create_check: {table: select, name: "ck \"odd\"", expression: "\"end\" IS NOT NULL"})",
      R"(- create_unique: {table: select, name: "uq;x", columns: [Mixed Case, a"b]})",
      R"(- drop_column: {table: select, column: "semi;colon"})",
      R"(- drop_index: {table: select, name: "ix;drop table x"})",
      R"(- rename_table: {from: select, to: Order})",
  };
  for (const std::string& yaml : ops) {
    INFO("op: ", yaml);
    auto rendered = emitters::postgres::render(parse_one(yaml), source);
    REQUIRE_MESSAGE(rendered, model::format_error(rendered.error()));
    CHECK_FALSE(rendered->rebuild);
    for (const std::string& sql : rendered->statements) {
      INFO("statement: ", sql);
      const Parsed result = parse(sql);
      CHECK_MESSAGE(result.error.empty(), result.error);
      CHECK(result.statements == 1);
    }
  }
}

TEST_CASE("PostgreSQL render names the table and column at fault") {
  HostileFixture f;
  const auto source = simulated_source(f.schema);
  auto missing_column =
      emitters::postgres::render(parse_one("- alter_column: {table: select, column: nope, "
                                           "type: text}"),
                                 source);
  REQUIRE(!missing_column);
  CHECK(missing_column.error().where.table == "select");
  CHECK(missing_column.error().where.column == "nope");
  auto missing_table =
      emitters::postgres::render(parse_one("- drop_column: {table: nope, column: x}"), source);
  REQUIRE(!missing_table);
  CHECK(missing_table.error().where.table == "nope");
  auto identity = emitters::postgres::render(
      parse_one("- add_column: {table: select, column: {name: n, type: text, "
                "autoincrement: true}}"),
      source);
  REQUIRE(!identity);
  CHECK(identity.error().where.table == "select");
  CHECK(identity.error().where.column == "n");
  CHECK(identity.error().message.find("IDENTITY") != std::string::npos);
}

TEST_CASE("render(Dialect::postgresql) is the PostgreSQL renderer") {
  HostileFixture f;
  const auto source = simulated_source(f.schema);
  const model::Op op = parse_one("- drop_index: {table: select, name: \"ix;drop table x\"}");
  auto via_script = emitters::render(emitters::Dialect::postgresql, op, source);
  REQUIRE_MESSAGE(via_script, model::format_error(via_script.error()));
  CHECK(via_script->statements == std::vector<std::string>{"DROP INDEX \"ix;drop table x\""});
  CHECK_FALSE(via_script->rebuild);
}
