// Integrity of history on SQLite: each applied revision's file hash is recorded beside the
// (unchanged, Alembic-compatible) version table; an edit after applying makes `upgrade` warn
// and `check_migration` fail; `stamp` records the current contents again.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "model/content_hash.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::contains;
using distil::testing::linear;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::write_text;

namespace {

std::string file_hash(const Project& p, const std::string& file) {
  return distil::model::sha256_hex(read_text(p.dir() / "versions" / file)).value();
}

std::vector<std::string> recorded(const Project& p) {
  return p.query(
      "SELECT revision || '=' || sha256 FROM _distil_revision_hashes "
      "WHERE version_table = 'alembic_version' ORDER BY revision");
}

// Appends a comment: the ops stay the same, the bytes do not.
void edit(const Project& p, const std::string& file) {
  auto path = p.dir() / "versions" / file;
  write_text(path, read_text(path) + "# edited after it was applied\n");
}

}  // namespace

TEST_CASE("upgrade records the sha256 of every applied revision file - downgrade forgets it") {
  Project p("hash-record");
  linear(p);
  auto up = p.run("upgrade head");
  REQUIRE_MESSAGE(up.status == 0, up.err);
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml"),
                                                "bbbb22220002=" + file_hash(p, "0002_b.yaml"),
                                                "cccc33330003=" + file_hash(p, "0003_c.yaml")});
  // The version table is still Alembic's: one column, version_num.
  CHECK(p.query("SELECT name FROM pragma_table_info('alembic_version')") ==
        std::vector<std::string>{"version_num"});
  auto down = p.run("downgrade aaaa11110001");
  REQUIRE_MESSAGE(down.status == 0, down.err);
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml")});
}

TEST_CASE("a revision file edited after it was applied: upgrade warns, check_migration fails, stamp repairs") {
  Project p("hash-edit");
  linear(p);
  REQUIRE(p.run("upgrade bbbb22220002").status == 0);
  auto clean = p.run("check_migration");
  CHECK_MESSAGE(clean.status == 0, clean.err);

  edit(p, "0001_a.yaml");
  auto check = p.run("check_migration");
  CHECK(check.status == 1);
  CHECK_MESSAGE(contains(check.err, "versions/0001_a.yaml) was edited after "
                                    "it was applied"),
                check.err);
  CHECK_FALSE(contains(check.err, "bbbb22220002"));

  // upgrade goes on (the database is consistent with its own history) but says so.
  auto up = p.run("upgrade head");
  REQUIRE_MESSAGE(up.status == 0, up.err);
  CHECK_MESSAGE(contains(up.err, "WARNING [distil] revision aaaa11110001"), up.err);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});

  // An edit to a revision that is not applied yet is no finding.
  REQUIRE(p.run("downgrade bbbb22220002").status == 0);
  edit(p, "0003_c.yaml");
  auto still = p.run("check_migration");
  CHECK(still.status == 1);
  CHECK_FALSE(contains(still.err, "cccc33330003"));

  // The operator confirms the database matches the files: stamp records them afresh.
  auto stamp = p.run("stamp bbbb22220002");
  REQUIRE_MESSAGE(stamp.status == 0, stamp.err);
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml"),
                                                "bbbb22220002=" + file_hash(p, "0002_b.yaml")});
  auto repaired = p.run("check_migration");
  CHECK_MESSAGE(repaired.status == 0, repaired.err);
}

TEST_CASE("revisions applied before hashes were kept (or by Alembic) are not reported") {
  Project p("hash-legacy");
  linear(p);
  REQUIRE(p.run("upgrade head").status == 0);
  REQUIRE(p.exec("DROP TABLE _distil_revision_hashes"));
  edit(p, "0002_b.yaml");
  auto check = p.run("check_migration");
  CHECK_MESSAGE(check.status == 0, check.err);
  // The next run creates the table again; only what it applies is recorded.
  REQUIRE(p.run("downgrade bbbb22220002").status == 0);
  REQUIRE(p.run("upgrade head").status == 0);
  CHECK(recorded(p) == std::vector<std::string>{"cccc33330003=" + file_hash(p, "0003_c.yaml")});
}

TEST_CASE("the offline script records the same hashes as the runner") {
  Project p("hash-offline");
  linear(p);
  auto sql = p.run("upgrade head --sql");
  REQUIRE_MESSAGE(sql.status == 0, sql.err);
  REQUIRE(p.exec(sql.out));
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml"),
                                                "bbbb22220002=" + file_hash(p, "0002_b.yaml"),
                                                "cccc33330003=" + file_hash(p, "0003_c.yaml")});
  auto check = p.run("check_migration");
  CHECK_MESSAGE(check.status == 0, check.err);
  edit(p, "0003_c.yaml");
  CHECK(p.run("check_migration").status == 1);
}

TEST_CASE("the hash table is the tool's own: introspection and check do not see it") {
  Project p("hash-check");
  write_text(p.dir() / "models" / "t.yaml",
             "tables:\n  t1:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n");
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
  p.add_revision("0001_a.yaml",
                 distil::testing::rev("aaaa11110001", "",
                                      "  - create_table: {name: t1, columns: [{name: id, type: "
                                      "integer, primary_key: true}]}\n",
                                      distil::testing::drop("t1")));
  REQUIRE(p.run("upgrade head").status == 0);
  auto check = p.run("check");
  CHECK_MESSAGE(check.status == 0, (check.out + check.err));
}
