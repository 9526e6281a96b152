// Golden tests of `upgrade/downgrade --plan` end to end: tests/plan/<dialect>/*.case, each
// run by the built binary against a real database (SQLite file, or a fresh PostgreSQL
// database when built with DISTIL_PLAN_PG). The text and JSON plans must equal the expected
// sections exactly, and the database must be unchanged afterwards (SQLite: the same bytes;
// PostgreSQL: the same version rows, columns, constraints and indexes).
// DISTIL_UPDATE_GOLDEN=1 rewrites the expected sections.
//
// Case sections (`-- name --` lines; a header of `# key: value` lines first):
//   NNNN_*.yaml  revision files, written to versions/
//   seed.sql     run on the database after `# setup:` (rows for the counts); optional
//   plan.txt     the expected text plan (`# args:` plus --color never), paths normalised
//   plan.json    the expected JSON plan (`# args:` plus --format json)
// Header: `# setup: ARGS` (a command run first, e.g. `upgrade aaaa00000001`; optional),
//         `# args: ARGS` (the plan command).
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/case_file.hpp"
#ifdef DISTIL_PLAN_PG
#include "tests/support/pg_harness.hpp"
#else
#include "tests/support/cli_harness.hpp"
#endif

namespace fs = std::filesystem;
using distil::testing::case_paths;
using distil::testing::CaseFile;
using distil::testing::read_case;
using distil::testing::update_golden;
using distil::testing::write_case;

namespace {

#ifdef DISTIL_PLAN_PG
using Project = distil::testing::pg::PgProject;
const char* const kDialect = "postgresql";
// What the database looks like, for "unchanged".
std::vector<std::string> snapshot(const Project& p) {
  std::vector<std::string> out = p.query(
      "SELECT version_num FROM alembic_version ORDER BY 1");
  for (const auto& v : {p.columns(), p.constraints(), p.indexes(), p.tables()})
    out.insert(out.end(), v.begin(), v.end());
  return out;
}
#else
using Project = distil::testing::Project;
const char* const kDialect = "sqlite";
std::vector<std::string> snapshot(const Project& p) {
  return {fs::exists(p.db_path()) ? distil::testing::read_text(p.db_path()) : "<no file>"};
}
#endif

// Output with the machine-specific parts replaced: the project folder, the database URL.
std::string normalise(std::string text, const Project& p) {
  const std::string dir = p.dir().string();
  for (size_t at; (at = text.find(dir)) != std::string::npos;) text.replace(at, dir.size(), "$PROJECT");
  static const std::regex pg_url(R"re(postgresql://[^ )"]+)re");
  return std::regex_replace(text, pg_url, "$$DATABASE");
}

void run_case(const fs::path& path) {
  CaseFile c = read_case(path);
  CAPTURE(path.string());
  Project p(c.path.stem().string());
  for (const auto& s : c.sections)
    if (s.name.ends_with(".yaml")) p.add_revision(s.name, s.body);
  if (auto setup = c.header_value("setup"); !setup.empty()) {
    auto r = p.run(setup);
    REQUIRE_MESSAGE(r.status == 0, r.err);
  }
  if (const auto* seed = c.find("seed.sql")) REQUIRE(p.exec(seed->body));
  const auto before = snapshot(p);
  const std::string args = c.header_value("args");
  REQUIRE_FALSE(args.empty());

  auto text = p.run(args + " --color never");
  CHECK_MESSAGE(text.status == 0, text.err);
  auto json = p.run(args + " --format json");
  CHECK_MESSAGE(json.status == 0, json.err);
  CHECK_MESSAGE(snapshot(p) == before, "--plan changed the database");

  const std::string got_text = normalise(text.out, p), got_json = normalise(json.out, p);
  if (update_golden()) {
    c.set("plan.txt", got_text);
    c.set("plan.json", got_json);
    write_case(c);
    return;
  }
  const auto* want_text = c.find("plan.txt");
  const auto* want_json = c.find("plan.json");
  REQUIRE_MESSAGE(want_text, "no plan.txt section; run with DISTIL_UPDATE_GOLDEN=1");
  REQUIRE_MESSAGE(want_json, "no plan.json section; run with DISTIL_UPDATE_GOLDEN=1");
  CHECK(got_text == want_text->body);
  CHECK(got_json == want_json->body);
}

}  // namespace

TEST_CASE("plan golden cases: text and JSON plans are exact and the database is untouched") {
  const fs::path dir = fs::path(DISTIL_SOURCE_DIR) / "tests" / "plan" / kDialect;
  const auto paths = case_paths(dir);
  REQUIRE_FALSE(paths.empty());
  for (const auto& path : paths) {
    SUBCASE(path.filename().string().c_str()) { run_case(path); }
  }
}
