// Concurrent operators on one PostgreSQL database (docs/reliability.md, "Concurrency"): the
// SQLite scenarios of concurrency_sqlite_test.cpp against the server DISTIL_TEST_PG_URL names
// (unset FAILS): 8 runs at once, round after round, the event log replays with every revision
// applied exactly once; and --lock-timeout fires for upgrade, downgrade and stamp while
// another operator holds the advisory lock.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/reliability/concurrency_harness.hpp"
#include "tests/support/pg_harness.hpp"

using distil::testing::pg::PgProject;
using distil::testing::pg::PgSession;
namespace cc = distil::testing::concurrency;

namespace {

// The event log: revision markers ('up'/'down', from the revisions' sql: ops) and every
// version-table change ('ins'/'del', from a trigger), in commit order (the runs are
// serialised by the migration lock, so bigserial order is commit order).
constexpr const char* kEventsDdl =
    "CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL, rev text NOT NULL);"
    "CREATE TABLE gate (id integer);"
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
    "CREATE FUNCTION log_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('DELETE', 'UPDATE') THEN "
    "INSERT INTO events (kind, rev) VALUES ('del', OLD.version_num); END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
    "INSERT INTO events (kind, rev) VALUES ('ins', NEW.version_num); END IF; "
    "RETURN NULL; END $$;"
    "CREATE TRIGGER log_version AFTER INSERT OR UPDATE OR DELETE ON alembic_version "
    "FOR EACH ROW EXECUTE FUNCTION log_version();";

// `gated`: revision 2 also writes to table `gate`, so it waits while a session of ours holds
// an ACCESS EXCLUSIVE lock on it (an operator that holds the migration lock for as long as
// the test wants).
cc::History setup(const PgProject& p, int revisions, bool gated = false) {
  REQUIRE_MESSAGE(p.exec(kEventsDdl), p.last_error());
  return cc::write_history(
      revisions, [&](const std::string& f, const std::string& t) { p.add_revision(f, t); },
      [&](int i) {
        return gated && i == 2 ? std::string("  - sql: \"INSERT INTO gate (id) VALUES (2)\"\n")
                               : std::string();
      });
}

void check_database(const PgProject& p, const cc::History& h) {
  const auto events = p.query("SELECT kind || '|' || rev FROM events ORDER BY id");
  const auto rows = p.versions();
  CHECK(rows.size() <= 1);
  const std::string problem = cc::replay(h, events, rows);
  INFO("events: " << events.size());
  CHECK_MESSAGE(problem.empty(), problem);
}

}  // namespace

TEST_CASE("8 operators at once on PostgreSQL: each revision applies exactly once and no run "
          "corrupts the version table") {
  PgProject p("concurrency");
  const cc::History h = setup(p, 6);
  constexpr int kRounds = 4, kOperators = 8;
  cc::Tally tally;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    cc::run_round(p.dir(), cc::round_commands(h, round, kOperators), tally);
    check_database(p, h);
  }
  cc::Finished last = cc::run(p.dir(), {"upgrade", "head"});
  INFO(last.err);
  CHECK(last.status == 0);
  CHECK(p.versions() == std::vector<std::string>{h.ids.back()});
  check_database(p, h);
  MESSAGE("PostgreSQL: " << tally.runs << " concurrent runs: " << tally.succeeded
                         << " succeeded, " << tally.lock_timeouts << " gave up on the lock, "
                         << tally.refused << " refused a step past head/base; "
                         << p.query("SELECT count(*) FROM events WHERE kind IN ('up', 'down')")[0]
                         << " revision steps applied; longest run " << tally.longest_s << " s");
}

TEST_CASE("PostgreSQL: a short --lock-timeout fires for upgrade and downgrade and stamp while "
          "another operator holds the lock") {
  PgProject p("lock-timeout");
  const cc::History h = setup(p, 3, true);
  REQUIRE(cc::run(p.dir(), {"upgrade", h.ids[0]}).status == 0);
  PgSession gate(p.url());
  REQUIRE(gate.exec("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE"));
  cc::Started holder = cc::start(p.dir(), {"upgrade", "head", "--lock-timeout", "60"}, "holder");
  // The holder has the advisory lock and waits in revision 2 for the gate.
  PgSession probe(p.url());
  REQUIRE(cc::eventually([&] {
    return probe.query("SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
                       "AND granted AND database = (SELECT oid FROM pg_catalog.pg_database "
                       "WHERE datname = current_database())") == std::vector<std::string>{"1"} &&
           probe.query("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE "
                       "wait_event_type = 'Lock' AND query LIKE '%INSERT INTO gate%'") ==
               std::vector<std::string>{"1"};
  }));
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"upgrade", "head"}, {"downgrade", "base"}, {"stamp", "base"}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--lock-timeout", "1"});
    cc::Finished f = cc::run(p.dir(), args);
    INFO("`" << f.what << "`: exit " << f.status << ", " << f.seconds << " s, stderr:\n" << f.err);
    CHECK(f.status == 1);
    CHECK(cc::contains(f.err, cc::kLockMessage));
    CHECK(cc::contains(f.err, "waited 1 s"));
    CHECK(f.seconds >= 1.0);
    CHECK(f.seconds < 30.0);
    MESSAGE("`" << f.what << "` gave up after " << f.seconds << " s");
  }
  REQUIRE(gate.exec("COMMIT"));
  cc::Finished done = cc::finish(holder);
  INFO(done.err);
  CHECK(done.status == 0);
  CHECK(p.versions() == std::vector<std::string>{h.ids.back()});
  check_database(p, h);
}
