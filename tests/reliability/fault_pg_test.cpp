// The PostgreSQL server going away mid-run (docs/reliability.md, "Faults"): on a throwaway
// cluster of its own (scripts/pg-cluster; the shared server other tests use is never
// stopped), an `upgrade head` is caught inside revision 3 and the server is stopped with a
// fast, then an immediate, shutdown. The tool exits 1 at once naming the revision; after a
// restart the version table names revision 2, the schema is revision 2's, and `upgrade head`
// completes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/reliability/concurrency_harness.hpp"
#include "tests/support/pg_harness.hpp"

using distil::testing::pg::PgSession;
using distil::testing::pg::url_with_database;
using distil::testing::pg::write_text;
namespace cc = distil::testing::concurrency;
namespace fs = std::filesystem;

namespace {

const std::string kScript = std::string(DISTIL_SOURCE_DIR) + "/scripts/pg-cluster";

// A cluster of this test's own under /tmp, stopped and removed at the end.
struct Cluster {
  fs::path dir;
  std::string url;
  Cluster() : dir(fs::temp_directory_path() / ("distil-fault-pg-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    start();
  }
  ~Cluster() {
    stop("immediate");
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void start() {
    const std::string cmd = "'" + kScript + "' start '" + dir.string() + "' >/dev/null";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "scripts/pg-cluster start failed; see "
                                                       << dir.string() << "/server.log");
    url = "postgresql://postgres@/postgres?host=" + dir.string();
  }
  void stop(const std::string& mode) {
    const std::string cmd = "'" + kScript + "' stop '" + dir.string() + "' " + mode;
    (void)std::system(cmd.c_str());
  }
};

std::string id(int i) { return "dddd0000000" + std::to_string(i); }

// Five revisions, each creating table t<i>; revision 3 then writes to `gate`, where it waits
// while a session of ours holds the table's lock.
void write_revisions(const fs::path& dir) {
  for (int i = 1; i <= 5; ++i) {
    const std::string table = "t" + std::to_string(i);
    std::string text = "revision: \"" + id(i) + "\"\ndown_revision: " +
                       (i == 1 ? std::string("null") : "\"" + id(i - 1) + "\"") +
                       "\nmessage: create " + table +
                       "\ncreate_date: 2026-11-26T00:00:00Z\nupgrade:\n  - create_table: {name: " +
                       table + ", columns: [{name: id, type: integer, primary_key: true}]}\n" +
                       (i == 3 ? "  - sql: \"INSERT INTO gate (id) VALUES (3)\"\n" : "") +
                       "downgrade:\n  - drop_table: {name: " + table + "}\n";
    write_text(dir / "versions" / ("000" + std::to_string(i) + "_" + table + ".yaml"), text);
  }
}

std::vector<std::string> tables(PgSession& s) {
  return s.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND "
      "table_name LIKE 't_' ORDER BY 1");
}

}  // namespace

TEST_CASE("PostgreSQL stopped mid-upgrade (fast and immediate shutdown): exit 1 naming the "
          "revision without a hang and after a restart the database is at the last revision "
          "and upgrade completes") {
  Cluster cluster;
  for (const std::string mode : {"fast", "immediate"}) {
    CAPTURE(mode);
    const std::string database = "fault_" + mode;
    const std::string url = url_with_database(cluster.url, database);
    {
      PgSession admin(cluster.url);
      REQUIRE_MESSAGE(admin.exec("CREATE DATABASE " + database), admin.last_error);
      // pg-cluster turns synchronous_commit off for speed, and an immediate shutdown then
      // loses the last commits (the database at an earlier, consistent, revision); here the
      // promise is about the tool, so commits are durable as on a production server.
      REQUIRE_MESSAGE(
          admin.exec("ALTER DATABASE " + database + " SET synchronous_commit = on"),
          admin.last_error);
    }
    const fs::path project = cluster.dir.parent_path() / (cluster.dir.filename().string() + "-" + mode);
    fs::remove_all(project);
    write_text(project / "distil.conf",
               "[database]\nconnection = " + url + "\n\n[migration]\nversions = versions\n");
    write_revisions(project);
    {
      PgSession setup(url);
      REQUIRE_MESSAGE(setup.exec("CREATE TABLE gate (id integer)"), setup.last_error);
    }
    {
      PgSession gate(url);
      REQUIRE(gate.exec("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE"));
      cc::Started run = cc::start(project, {"upgrade", "head"}, "upgrade");
      PgSession probe(url);
      REQUIRE(cc::eventually([&] {
        return probe.query("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE "
                           "wait_event_type = 'Lock' AND query LIKE '%INSERT INTO gate%'") ==
               std::vector<std::string>{"1"};
      }));
      cluster.stop(mode);
      const cc::Finished f = cc::finish(run, 60);
      INFO("exit " << f.status << ", " << f.seconds << " s, stderr:\n" << f.err);
      CHECK_FALSE(f.hung);
      CHECK(f.status == 1);
      CHECK(cc::contains(f.err, "ERROR [distil]"));
      CHECK(cc::contains(f.err, "revision " + id(3)));
      CHECK(cc::contains(f.err, "0003_t3.yaml"));
      // One error, not a cascade (the statement it was running follows on its own line).
      CHECK(f.err.find("ERROR [distil]") == f.err.rfind("ERROR [distil]"));
      MESSAGE(mode << " shutdown: the tool exited " << f.status << " after " << f.seconds
                   << " s in all: "
                   << f.err.substr(f.err.find("ERROR [distil]"),
                                   f.err.find('\n', f.err.find("ERROR [distil]")) -
                                       f.err.find("ERROR [distil]")));
    }
    cluster.start();
    PgSession after(url);
    const std::string state = after.query("SELECT count(*) FROM alembic_version")[0] +
                              " version row(s), " + std::to_string(tables(after).size()) +
                              " tables";
    INFO("after the restart: " << state);
    CHECK(after.query("SELECT version_num FROM alembic_version") ==
          std::vector<std::string>{id(2)});
    CHECK(tables(after) == std::vector<std::string>{"t1", "t2"});
    const cc::Finished rerun = cc::run(project, {"upgrade", "head"});
    INFO(rerun.err);
    CHECK(rerun.status == 0);
    CHECK(after.query("SELECT version_num FROM alembic_version") ==
          std::vector<std::string>{id(5)});
    CHECK(tables(after) == std::vector<std::string>{"t1", "t2", "t3", "t4", "t5"});
    std::error_code ec;
    fs::remove_all(project, ec);
  }
}
