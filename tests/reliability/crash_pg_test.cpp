// Crash safety on PostgreSQL: SIGKILL `upgrade head` at many points of a long history (with
// one `transaction: false` revision); after every kill, once the server has ended the dead
// client's session, the database is at a revision whose schema and rows match a clean
// upgrade to it, no advisory lock or invalid index is left, and `upgrade head` from there
// completes. DISTIL_TEST_PG_URL names the server; DISTIL_CRASH_POINTS the number of kill
// points (docs/reliability.md).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "db/postgres/connection.hpp"
#include "tests/reliability/crash_harness.hpp"
#include "tests/support/pg_harness.hpp"

namespace {

using namespace distil;
using namespace distil::testing::crash;
using distil::testing::pg::PgProject;
using distil::testing::pg::PgSession;

std::unique_ptr<db::Connection> open_pg(const std::string& url) {
  auto conn = db::postgres::PgConnection::open(url);
  REQUIRE_MESSAGE(conn.has_value(), (conn ? "" : conn.error().message));
  return std::move(*conn);
}

class PgBackend final : public Backend {
 public:
  PgBackend()
      : project_("crash"),
        reference_(project_.database() + "_ref"),
        walker_(project_.database() + "_walk"),
        rerun_(project_.database() + "_rerun") {
    PgSession admin(project_.server());
    for (const auto& db : {reference_, walker_}) {
      REQUIRE_MESSAGE(admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"),
                      admin.last_error);
      REQUIRE_MESSAGE(admin.exec("CREATE DATABASE " + db), admin.last_error);
    }
  }
  ~PgBackend() override {
    PgSession admin(project_.server());
    (void)admin.exec("DROP DATABASE IF EXISTS " + reference_ + " WITH (FORCE)");
    (void)admin.exec("DROP DATABASE IF EXISTS " + walker_ + " WITH (FORCE)");
    (void)admin.exec("DROP DATABASE IF EXISTS " + rerun_ + " WITH (FORCE)");
  }
  PgBackend(const PgBackend&) = delete;
  PgBackend& operator=(const PgBackend&) = delete;

  std::filesystem::path dir() const override { return project_.dir(); }
  std::unique_ptr<db::Connection> open_main() override { return open_pg(project_.url()); }
  std::unique_ptr<db::Connection> open_reference() override {
    return open_pg(testing::pg::url_with_database(project_.server(), reference_));
  }
  std::unique_ptr<db::Connection> open_walker() override {
    return open_pg(testing::pg::url_with_database(project_.server(), walker_));
  }

  // The server ends a killed client's session when it next reads from or writes to the
  // socket; until then that session may still COMMIT. Wait until no session is left on the
  // database, so the checks see the final state.
  void settle() override { wait_idle(project_.database()); }

  std::vector<std::string> problems(db::Connection& conn, bool allow_invalid_index) override {
    std::vector<std::string> out;
    if (!allow_invalid_index) {
      auto invalid = conn.query(
          "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = "
          "i.indexrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid");
      if (!invalid) return {"invalid-index query failed: " + invalid.error().message};
      for (const auto& row : *invalid) out.push_back("invalid index " + row[0].value_or(""));
    }
    // The migration lock died with the session: nobody holds an advisory lock any more.
    auto locks = conn.query(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid "
        "FROM pg_database WHERE datname = current_database()) AND pid <> pg_backend_pid()");
    if (!locks) return {"pg_locks query failed: " + locks.error().message};
    if ((*locks)[0][0].value_or("") != "0")
      out.push_back("an advisory lock is still held: " + (*locks)[0][0].value_or(""));
    return out;
  }

  void make_rerun_copy() override {
    drop_rerun();
    PgSession admin(project_.server());
    // CREATE DATABASE ... TEMPLATE needs the source free of sessions (ours just closed).
    wait_idle(project_.database());
    REQUIRE_MESSAGE(admin.exec("CREATE DATABASE " + rerun_ + " TEMPLATE " + project_.database()),
                    admin.last_error);
    testing::pg::write_text(
        project_.dir() / "rerun" / "distil.conf",
        "[database]\nconnection = " + testing::pg::url_with_database(project_.server(), rerun_) +
            "\n\n[migration]\nversions = ../versions\n");
  }
  std::unique_ptr<db::Connection> open_rerun() override {
    return open_pg(testing::pg::url_with_database(project_.server(), rerun_));
  }
  void drop_rerun() override {
    PgSession admin(project_.server());
    REQUIRE_MESSAGE(admin.exec("DROP DATABASE IF EXISTS " + rerun_ + " WITH (FORCE)"),
                    admin.last_error);
    std::error_code ec;
    std::filesystem::remove_all(project_.dir() / "rerun", ec);
  }

 private:
  void wait_idle(const std::string& database) {
    PgSession admin(project_.server());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto rows = admin.query("SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                              database + "' AND pid <> pg_backend_pid()");
      REQUIRE(rows.size() == 1);
      if (rows[0] == "0") return;
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                      "a killed client's session is still open after 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  PgProject project_;
  std::string reference_, walker_, rerun_;
};

}  // namespace

TEST_CASE("pg: SIGKILL at any point of a long upgrade leaves a revision's exact state") {
  PgBackend backend;
  const History history = generate_history(24, Dialect::postgresql);
  REQUIRE_FALSE(history.no_transaction_id.empty());
  for (const auto& [name, text] : history.files)
    testing::pg::write_text(backend.dir() / "versions" / name, text);
  CampaignOptions options;
  options.kill_points = env_int("DISTIL_CRASH_POINTS", 24);
  // Inside the transaction: false revision, at its DROP and its CREATE INDEX CONCURRENTLY (its
  // version update is not logged, so no target marks the window after its ops), then a type
  // change rewriting a parent with rows, and an index build.
  options.targets = {"DROP INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY", "TYPE bigint",
                     "CREATE INDEX \"ix_"};
  options.rerun_every = env_int("DISTIL_CRASH_RERUN_EVERY", options.rerun_every);
  const CampaignStats stats = run_campaign(backend, history, options);
  report("postgresql", history, stats);
  CHECK(stats.landed >= options.kill_points / 2);  // the campaign really killed runs
}
