// Faults on SQLite (docs/reliability.md, "Faults"): a full disk (a file-size limit, so writes
// fail with EFBIG), a read-only database file or folder, and a revision file deleted after it
// was applied. Each gives exit 1 and a clear error, leaves the database at a known revision,
// and a rerun (or the repair the error names) completes.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/reliability/concurrency_harness.hpp"
#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::Project;
namespace cc = distil::testing::concurrency;
namespace fs = std::filesystem;

namespace {

std::string id(int i) { return "eeee0000000" + std::to_string(i); }

// Revision 1 creates `big`; revisions 2..5 each insert 2000 rows of ~220 bytes tagged with
// their number (about 0.5 MB each).
void write_big_history(const Project& p) {
  p.add_revision("0001_big.yaml",
                 distil::testing::rev(id(1), "", "  - create_table: {name: big, columns: [{name: "
                                                 "id, type: integer, primary_key: true}, {name: "
                                                 "rev, type: integer}, {name: v, type: text}]}\n",
                                      "  - drop_table: {name: big}\n"));
  for (int i = 2; i <= 5; ++i) {
    const std::string n = std::to_string(i);
    p.add_revision(
        "000" + n + "_rows.yaml",
        distil::testing::rev(
            id(i), "\"" + id(i - 1) + "\"",
            "  - sql: \"INSERT INTO big (rev, v) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
            "SELECT x + 1 FROM c WHERE x < 2000) SELECT " +
                n + ", hex(randomblob(110)) FROM c\"\n",
            "  - sql: \"DELETE FROM big WHERE rev = " + n + "\"\n"));
  }
}

// Rows of `big` per revision tag, "rev|count".
std::vector<std::string> rows_per_revision(const Project& p) {
  return p.query("SELECT rev, count(*) FROM big GROUP BY rev ORDER BY rev");
}

std::vector<std::string> expected_rows(int last) {
  std::vector<std::string> out;
  for (int i = 2; i <= last; ++i) out.push_back(std::to_string(i) + "|2000");
  return out;
}

}  // namespace

TEST_CASE("SQLite disk full mid-upgrade (file-size limit): exit 1 naming the revision and the "
          "database intact at the last revision and a rerun completes") {
  Project p("full");
  write_big_history(p);
  REQUIRE(cc::run(p.dir(), {"upgrade", id(2)}).status == 0);
  const auto size = static_cast<long>(fs::file_size(p.db_path()));
  // Room for about half of revision 3's rows: it must fail, and nothing after it may run.
  const cc::ChildSetup limited{.file_size_limit = size + 256 * 1024, .ignore_sigxfsz = true};
  const cc::Finished f = cc::run(p.dir(), {"upgrade", "head"}, limited);
  INFO("exit " << f.status << " signal " << f.signal << ", stderr:\n" << f.err);
  CHECK(f.status == 1);
  CHECK(cc::contains(f.err, "revision " + id(3)));
  CHECK(cc::contains(f.err, "0003_rows.yaml"));
  CHECK((cc::contains(f.err, "SQLITE_IOERR_WRITE") || cc::contains(f.err, "SQLITE_FULL")));
  MESSAGE("file-size limit: " << f.err.substr(f.err.find("ERROR")));
  CHECK_FALSE(fs::exists(p.dir() / "test.db-journal"));
  CHECK(p.query("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  CHECK(p.versions() == std::vector<std::string>{id(2)});
  CHECK(rows_per_revision(p) == expected_rows(2));
  const cc::Finished rerun = cc::run(p.dir(), {"upgrade", "head"});
  INFO(rerun.err);
  CHECK(rerun.status == 0);
  CHECK(p.versions() == std::vector<std::string>{id(5)});
  CHECK(rows_per_revision(p) == expected_rows(5));
  CHECK(p.query("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}

TEST_CASE("SQLite read-only database file or folder: exit 1 with a clear error and nothing "
          "changed") {
  // root ignores file modes: the runs drop to nobody (65534) then.
  const bool root = ::geteuid() == 0;
  const cc::ChildSetup as_user = root ? cc::ChildSetup{.uid = 65534, .gid = 65534}
                                      : cc::ChildSetup{};
  Project p("readonly");
  write_big_history(p);
  REQUIRE(cc::run(p.dir(), {"upgrade", id(2)}).status == 0);
  const std::string before = distil::testing::read_text(p.db_path());
  SUBCASE("a read-only file") {
    fs::permissions(p.db_path(), fs::perms::owner_read | fs::perms::group_read |
                                     fs::perms::others_read);
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"upgrade", "head"}, {"downgrade", "base"}, {"stamp", id(4)}}) {
      const cc::Finished f = cc::run(p.dir(), command, as_user);
      INFO("`" << f.what << "`: exit " << f.status << ", stderr:\n" << f.err);
      CHECK(f.status == 1);
      CHECK(cc::contains(f.err, "is read-only"));
      CHECK(cc::contains(f.err, "nothing was changed"));
    }
    // Reading still works.
    const cc::Finished current = cc::run(p.dir(), {"current"}, as_user);
    INFO(current.err);
    CHECK(current.status == 0);
    CHECK(cc::contains(current.out, id(2)));
  }
  SUBCASE("a read-only folder (no journal can be created)") {
    fs::permissions(p.db_path(), fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::group_write |
                                     fs::perms::others_read | fs::perms::others_write);
    fs::permissions(p.dir(), fs::perms::owner_read | fs::perms::owner_exec |
                                 fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    cc::ChildSetup setup = as_user;
    setup.output_dir = fs::temp_directory_path();
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"upgrade", "head"}, {"downgrade", "base"}, {"stamp", id(4)}}) {
      const cc::Finished f = cc::run(p.dir(), command, setup);
      INFO("`" << f.what << "`: exit " << f.status << ", stderr:\n" << f.err);
      CHECK(f.status == 1);
      CHECK(cc::contains(f.err, "test.db"));
      CHECK(cc::contains(f.err, "is not writable"));
      CHECK(cc::contains(f.err, "nothing was changed"));
      MESSAGE("read-only folder, `" << f.what << "`: " << f.err.substr(f.err.find("ERROR")));
    }
  }
  CHECK(distil::testing::read_text(p.db_path()) == before);
  fs::permissions(p.dir(), fs::perms::all);
  fs::permissions(p.db_path(), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_CASE("a revision file deleted after it was applied: a clear error naming it and the "
          "repair and stamp --purge repairs and upgrade works after") {
  Project p("deleted");
  distil::testing::linear(p);
  REQUIRE(cc::run(p.dir(), {"upgrade", "head"}).status == 0);
  fs::remove(p.dir() / "versions" / "0003_c.yaml");
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"upgrade", "head"}, {"downgrade", "base"}, {"current"}}) {
    const cc::Finished f = cc::run(p.dir(), command);
    INFO("`" << f.what << "`: exit " << f.status << ", stderr:\n" << f.err);
    CHECK(f.status == 1);
    CHECK(cc::contains(f.err, "cccc33330003"));
    CHECK(cc::contains(f.err, "no revision file defines"));
    CHECK(cc::contains(f.err, "stamp"));
  }
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
  SUBCASE("stamp --purge REV") {
    const cc::Finished s = cc::run(p.dir(), {"stamp", "--purge", "bbbb22220002"});
    INFO(s.err);
    CHECK(s.status == 0);
  }
  SUBCASE("stamp REV refuses (the unknown row cannot be placed) and names --purge, which repairs") {
    const cc::Finished refused = cc::run(p.dir(), {"stamp", "bbbb22220002"});
    INFO(refused.err);
    CHECK(refused.status == 1);
    CHECK(cc::contains(refused.err, "cccc33330003"));
    CHECK(cc::contains(refused.err, "stamp --purge"));
    CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
    CHECK(cc::run(p.dir(), {"stamp", "--purge", "bbbb22220002"}).status == 0);
  }
  CHECK(p.versions() == std::vector<std::string>{"bbbb22220002"});
  // Upgrade works again: a new revision on top applies.
  p.add_revision("0004_d.yaml", distil::testing::rev("dddd44440004", "\"bbbb22220002\"",
                                                     distil::testing::create("t4"),
                                                     distil::testing::drop("t4")));
  const cc::Finished up = cc::run(p.dir(), {"upgrade", "head"});
  INFO(up.err);
  CHECK(up.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"dddd44440004"});
  CHECK(p.query("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
}
