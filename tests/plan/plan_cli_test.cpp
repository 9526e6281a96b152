// `--plan` and `--rehearse` end to end on SQLite files: flags, colour, a plan of a database
// that does not exist yet, and rehearsals (clean, drifting, failing) that leave the real
// database byte for byte unchanged and delete their copy.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/case_file.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

namespace fs = std::filesystem;
using distil::testing::contains;
using distil::testing::create;
using distil::testing::drop;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::rev;
using distil::testing::write_text;

namespace {

// Models matching the linear() history (t1, t2, t3 with id integer primary key, v text).
void models(const Project& p, const std::vector<std::string>& tables) {
  std::string text = "tables:\n";
  for (const auto& t : tables)
    text += "  " + t + ":\n    columns:\n      - {name: id, type: integer, primary_key: true}\n"
            "      - {name: v, type: text}\n";
  write_text(p.dir() / "models" / "tables.yaml", text);
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
}

// Points TMPDIR at a folder of the project for the duration, so a test can see that the
// rehearsal's copy is gone.
struct TempDir {
  fs::path dir;
  std::string old;
  bool had = false;
  explicit TempDir(const Project& p) : dir(p.dir() / "tmp") {
    fs::create_directories(dir);
    if (const char* v = std::getenv("TMPDIR")) {
      had = true;
      old = v;
    }
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~TempDir() {
    if (had) ::setenv("TMPDIR", old.c_str(), 1);
    else ::unsetenv("TMPDIR");
  }
  bool empty() const { return fs::is_empty(dir); }
};

}  // namespace

TEST_CASE("--plan on a database that does not exist yet plans from base and creates nothing") {
  Project p("plan-nofile");
  distil::testing::linear(p);
  auto r = p.run("upgrade head --plan");
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.out, "From: <base>"));
  CHECK(contains(r.out, "To:   cccc33330003"));
  CHECK(contains(r.out, "does not exist yet"));
  CHECK(contains(r.out, "Summary: 3 revisions, 3 ops"));
  CHECK_FALSE(fs::exists(p.db_path()));
}

TEST_CASE("--plan flag combinations that make no sense are usage errors (exit 2)") {
  Project p("plan-usage");
  distil::testing::linear(p);
  CHECK(p.run("upgrade head --plan --sql").status == 2);
  CHECK(p.run("upgrade head --plan --format xml").status == 2);
  CHECK(p.run("upgrade head --format json").status == 2);
  CHECK(p.run("upgrade head --from base").status == 2);
  CHECK(p.run("upgrade head --rehearse --plan").status == 2);
  CHECK(p.run("downgrade base --rehearse").status == 2);  // upgrade only
  auto unknown = p.run("upgrade head --plan --from ffff");
  CHECK(unknown.status != 0);
  CHECK(contains(unknown.err, "--from ffff"));
}

TEST_CASE("--plan --color always paints destructive ops red - piped output is plain") {
  Project p("plan-colour");
  distil::testing::linear(p);
  REQUIRE(p.run("upgrade head").status == 0);
  auto plain = p.run("downgrade base --plan");
  REQUIRE_MESSAGE(plain.status == 0, plain.err);
  CHECK(contains(plain.out, "[DESTRUCTIVE]"));
  CHECK_FALSE(contains(plain.out, "\x1b["));
  auto coloured = p.run("--color always downgrade base --plan");
  REQUIRE_MESSAGE(coloured.status == 0, coloured.err);
  CHECK(contains(coloured.out, "\x1b[31m[DESTRUCTIVE]"));
}

TEST_CASE("--plan --delta and -N targets plan the same steps as the runner would take") {
  Project p("plan-delta");
  distil::testing::linear(p);
  REQUIRE(p.run("upgrade head").status == 0);
  auto r = p.run("downgrade -2 --plan --format json");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.out, "\"result\": [\"aaaa11110001\"]"));
  CHECK(contains(r.out, "\"revisions\": 2"));
  auto d = p.run("upgrade --delta 1 --plan --from aaaa11110001 --format json");
  REQUIRE_MESSAGE(d.status == 0, d.err);
  CHECK(contains(d.out, "\"target\": \"--delta 1\""));
  CHECK(contains(d.out, "\"result\": [\"bbbb22220002\"]"));
  CHECK(contains(d.out, "\"database\": null"));
}

TEST_CASE("--rehearse upgrades a copy, finds check clean, and leaves the real database alone") {
  Project p("rehearse-clean");
  distil::testing::linear(p);
  models(p, {"t1", "t2", "t3"});
  REQUIRE(p.run("upgrade aaaa11110001").status == 0);
  REQUIRE(p.exec("INSERT INTO t1 (id, v) VALUES (1, 'keep')"));
  const std::string before = read_text(p.db_path());
  TempDir tmp(p);
  auto r = p.run("upgrade head --rehearse");
  CHECK_MESSAGE(r.status == 0, (r.out + r.err));
  CHECK(contains(r.out, "applied 2 revision(s)"));
  CHECK(contains(r.out, "check: clean"));
  CHECK(contains(r.out, "the copy was deleted"));
  CHECK(read_text(p.db_path()) == before);
  CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
  CHECK(tmp.empty());
}

TEST_CASE("--rehearse exits 1 and shows the differences when the upgraded copy drifts") {
  Project p("rehearse-drift");
  distil::testing::linear(p);
  models(p, {"t1", "t2"});  // the models lack t3, which the revisions create
  const std::string before = fs::exists(p.db_path()) ? read_text(p.db_path()) : "";
  TempDir tmp(p);
  auto r = p.run("upgrade head --rehearse");
  CHECK(r.status == 1);
  CHECK(contains(r.out, "check: 1 difference(s)"));
  CHECK(contains(r.out, "drop_table"));
  CHECK(contains(r.out, "t3"));
  CHECK(tmp.empty());
  CHECK_FALSE(fs::exists(p.db_path()));  // there was no database, and there still is none
  (void)before;
}

TEST_CASE("--rehearse of a failing revision reports it, rolls nothing into the real database") {
  Project p("rehearse-fail");
  distil::testing::linear(p);
  p.add_revision("0004_bad.yaml", rev("dddd44440004", "\"cccc33330003\"",
                                      "  - sql: \"INSERT INTO no_such_table VALUES (1)\"\n",
                                      "  - sql: \"SELECT 1\"\n"));
  models(p, {"t1", "t2", "t3"});
  REQUIRE(p.run("upgrade bbbb22220002").status == 0);
  const std::string before = read_text(p.db_path());
  TempDir tmp(p);
  auto r = p.run("upgrade head --rehearse");
  CHECK(r.status == 1);
  CHECK(contains(r.err, "rehearsal failed on the copy (the real database was not touched)"));
  CHECK(contains(r.err, "no_such_table"));
  CHECK(read_text(p.db_path()) == before);
  CHECK(tmp.empty());
}

namespace {

// The SQL lines of a text plan (indented six spaces), unindented.
std::string plan_sql(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("      ", 0) == 0) out += line.substr(6) + "\n";
  }
  return out;
}

// The op statements of an offline script: no comments, transaction control, foreign-key
// pragmas, version-table or revision-hash statements (the runner's bookkeeping).
std::string script_ops(const std::string& script) {
  std::string out;
  size_t at = 0;
  while (at < script.size()) {
    size_t end = script.find('\n', at);
    std::string line = script.substr(at, end - at);
    at = end == std::string::npos ? script.size() : end + 1;
    if (line.empty() || line.rfind("--", 0) == 0 || line == "BEGIN;" || line == "COMMIT;" ||
        line.rfind("PRAGMA foreign_keys=", 0) == 0 || contains(line, "alembic_version") ||
        contains(line, "_distil_revision_hashes"))
      continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("an offline plan shows exactly the statements of `upgrade --sql`") {
  Project p("plan-vs-sql");
  const auto c = distil::testing::read_case(fs::path(DISTIL_SOURCE_DIR) / "tests" / "plan" /
                                            "sqlite" / "upgrade_counts_rows.case");
  for (const auto& s : c.sections)
    if (s.name.ends_with(".yaml")) p.add_revision(s.name, s.body);
  auto planned = p.run("upgrade head --plan --from base");
  REQUIRE_MESSAGE(planned.status == 0, planned.err);
  auto script = p.run("upgrade head --sql");
  REQUIRE_MESSAGE(script.status == 0, script.err);
  const std::string a = plan_sql(planned.out), b = script_ops(script.out);
  CHECK(a.size() > 1000);  // the rebuilds are in it
  CHECK(a == b);
}
