// Concurrent operators on one SQLite file (docs/reliability.md, "Concurrency"): 8 runs of
// upgrade / downgrade / stamp started at once, round after round; every revision applies
// exactly once (the event log replays), every run succeeds or gives up with the lock message,
// the version table stays a valid set of heads and PRAGMA integrity_check stays ok. And the
// --lock-timeout is honoured by upgrade, downgrade and stamp while another operator holds
// the lock, or another program holds SQLite's write lock.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/reliability/concurrency_harness.hpp"
#include "tests/support/cli_harness.hpp"

using distil::testing::Project;
namespace cc = distil::testing::concurrency;

namespace {

// The event log: revision markers ('up'/'down', from the revisions' sql: ops) and every
// version-table change ('ins'/'del', from triggers), in commit order.
constexpr const char* kEventsDdl =
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
    "rev TEXT NOT NULL);"
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
    "CREATE TRIGGER version_ins AFTER INSERT ON alembic_version BEGIN "
    "INSERT INTO events (kind, rev) VALUES ('ins', NEW.version_num); END;"
    "CREATE TRIGGER version_del AFTER DELETE ON alembic_version BEGIN "
    "INSERT INTO events (kind, rev) VALUES ('del', OLD.version_num); END;"
    "CREATE TRIGGER version_upd AFTER UPDATE ON alembic_version BEGIN "
    "INSERT INTO events (kind, rev) VALUES ('del', OLD.version_num); "
    "INSERT INTO events (kind, rev) VALUES ('ins', NEW.version_num); END;";

cc::History setup(const Project& p, int revisions) {
  REQUIRE(p.exec(kEventsDdl));
  return cc::write_history(
      revisions, [&](const std::string& f, const std::string& t) { p.add_revision(f, t); },
      [](int) { return std::string(); });
}

void check_database(const Project& p, const cc::History& h) {
  CHECK(p.query("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  CHECK(p.query("PRAGMA foreign_key_check").empty());
  const auto events = p.query("SELECT kind || '|' || rev FROM events ORDER BY id");
  const auto rows = p.versions();
  CHECK(rows.size() <= 1);
  const std::string problem = cc::replay(h, events, rows);
  INFO("events: " << events.size());
  CHECK_MESSAGE(problem.empty(), problem);
}

// Whether some process holds the migration lock (flock) on `db`: probed from a child process,
// because closing a descriptor of the file here would drop this process's SQLite locks.
bool migration_lock_held(const std::filesystem::path& db) {
  const std::string cmd = "flock -n '" + db.string() + "' true";
  return std::system(cmd.c_str()) != 0;
}

// Another program's write transaction (not a migration): SQLite's RESERVED lock.
struct Writer {
  sqlite3* db = nullptr;
  explicit Writer(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  void commit() {
    if (db) REQUIRE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    db = nullptr;
  }
  ~Writer() { sqlite3_close(db); }
};

}  // namespace

TEST_CASE("8 operators at once on SQLite: each revision applies exactly once and no run "
          "corrupts the version table") {
  Project p("concurrency");
  const cc::History h = setup(p, 6);
  constexpr int kRounds = 4, kOperators = 8;
  cc::Tally tally;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    cc::run_round(p.dir(), cc::round_commands(h, round, kOperators), tally);
    check_database(p, h);
  }
  // Finally everything applies from wherever the rounds left the database.
  cc::Finished last = cc::run(p.dir(), {"upgrade", "head"});
  INFO(last.err);
  CHECK(last.status == 0);
  CHECK(p.versions() == std::vector<std::string>{h.ids.back()});
  check_database(p, h);
  MESSAGE("SQLite: " << tally.runs << " concurrent runs: " << tally.succeeded << " succeeded, "
                     << tally.lock_timeouts << " gave up on the lock, " << tally.refused
                     << " refused a step past head/base; "
                     << p.query("SELECT count(*) FROM events WHERE kind IN ('up', 'down')")[0]
                     << " revision steps applied; longest run " << tally.longest_s << " s");
}

TEST_CASE("SQLite: a short --lock-timeout fires for upgrade and downgrade and stamp while "
          "another operator holds the lock") {
  Project p("lock-timeout");
  const cc::History h = setup(p, 3);
  REQUIRE(cc::run(p.dir(), {"upgrade", h.ids[0]}).status == 0);
  // The holder: an operator that took the migration lock and now waits for SQLite's write
  // lock, which another program holds until we let it go.
  Writer writer(p.db_path());
  cc::Started holder = cc::start(p.dir(), {"upgrade", "head", "--lock-timeout", "60"}, "holder");
  REQUIRE(cc::eventually([&] { return migration_lock_held(p.db_path()); }));
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"upgrade", "head"}, {"downgrade", "base"}, {"stamp", "base"}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--lock-timeout", "1"});
    cc::Finished f = cc::run(p.dir(), args);
    INFO("`" << f.what << "`: exit " << f.status << ", " << f.seconds << " s, stderr:\n" << f.err);
    CHECK(f.status == 1);
    CHECK(cc::contains(f.err, cc::kLockMessage));
    CHECK(cc::contains(f.err, "waited 1 s"));
    // It really waited for the lock, and gave up (bounded, not a speed figure).
    CHECK(f.seconds >= 1.0);
    CHECK(f.seconds < 30.0);
    MESSAGE("`" << f.what << "` gave up after " << f.seconds << " s");
  }
  writer.commit();
  cc::Finished done = cc::finish(holder);
  INFO(done.err);
  CHECK(done.status == 0);
  CHECK(p.versions() == std::vector<std::string>{h.ids.back()});
  check_database(p, h);
}

TEST_CASE("SQLite: another program's write lock gives the lock message within --lock-timeout "
          "and never a raw database-is-locked error") {
  Project p("busy");
  const cc::History h = setup(p, 2);
  SUBCASE("on a fresh database (the first CREATE TABLE waits)") {}
  SUBCASE("on a database at a revision (BEGIN IMMEDIATE waits)") {
    REQUIRE(cc::run(p.dir(), {"upgrade", h.ids[0]}).status == 0);
  }
  Writer writer(p.db_path());
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"upgrade", "head"}, {"downgrade", "base"}, {"stamp", h.ids[0]}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--lock-timeout", "1"});
    const auto before = p.versions();
    cc::Finished f = cc::run(p.dir(), args);
    INFO("`" << f.what << "`: exit " << f.status << ", " << f.seconds << " s, stderr:\n" << f.err);
    CHECK(f.status == 1);
    CHECK(cc::contains(f.err, cc::kLockMessage));
    CHECK(cc::contains(f.err, "1 s"));
    CHECK(f.seconds >= 1.0);
    CHECK(f.seconds < 30.0);
    CHECK(p.versions() == before);
  }
  writer.commit();
  CHECK(cc::run(p.dir(), {"upgrade", "head"}).status == 0);
  check_database(p, h);
}
