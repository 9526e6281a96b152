// Integrity of history on PostgreSQL: the same promises as hashes_sqlite_test.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "model/content_hash.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::contains;
using distil::testing::linear;
using distil::testing::pg::PgProject;
using distil::testing::pg::read_text;
using distil::testing::pg::write_text;

namespace {

std::string file_hash(const PgProject& p, const std::string& file) {
  return distil::model::sha256_hex(read_text(p.dir() / "versions" / file)).value();
}

std::vector<std::string> recorded(const PgProject& p) {
  return p.query(
      "SELECT revision || '=' || sha256 FROM _distil_revision_hashes "
      "WHERE version_table = 'alembic_version' ORDER BY revision");
}

}  // namespace

TEST_CASE("postgresql: hashes recorded with each revision, an edit fails check_migration, stamp repairs") {
  PgProject p("hashes");
  linear(p);
  auto up = p.run("upgrade head");
  REQUIRE_MESSAGE(up.status == 0, up.err);
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml"),
                                                "bbbb22220002=" + file_hash(p, "0002_b.yaml"),
                                                "cccc33330003=" + file_hash(p, "0003_c.yaml")});
  CHECK(p.query("SELECT column_name FROM information_schema.columns WHERE table_name = "
                "'alembic_version'") == std::vector<std::string>{"version_num"});

  auto path = p.dir() / "versions" / "0002_b.yaml";
  write_text(path, read_text(path) + "# edited\n");
  auto check = p.run("check_migration");
  CHECK(check.status == 1);
  CHECK_MESSAGE(contains(check.err, "versions/0002_b.yaml) was edited"),
                check.err);
  auto down = p.run("downgrade aaaa11110001");
  REQUIRE_MESSAGE(down.status == 0, down.err);
  CHECK_MESSAGE(contains(down.err, "WARNING [distil] revision bbbb22220002"), down.err);
  CHECK(recorded(p) == std::vector<std::string>{"aaaa11110001=" + file_hash(p, "0001_a.yaml")});
  CHECK(p.run("check_migration").status == 0);

  REQUIRE(p.run("upgrade head").status == 0);
  write_text(path, read_text(path) + "# edited again\n");
  CHECK(p.run("check_migration").status == 1);
  REQUIRE(p.run("stamp head").status == 0);
  CHECK(p.run("check_migration").status == 0);
  CHECK(recorded(p).at(1) == "bbbb22220002=" + file_hash(p, "0002_b.yaml"));
}
