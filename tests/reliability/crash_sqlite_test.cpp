// Crash safety on SQLite: SIGKILL `upgrade head` at many points of a long history full of
// table rebuilds of parents with ON DELETE CASCADE children; after every kill the database is
// at a revision whose schema and rows match a clean upgrade to it, integrity_check and
// foreign_key_check are clean, and `upgrade head` from there completes. DISTIL_CRASH_POINTS
// sets the number of kill points (docs/reliability.md).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "db/sqlite/connection.hpp"
#include "tests/reliability/crash_harness.hpp"

namespace {

using namespace distil;
using namespace distil::testing::crash;

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::unique_ptr<db::Connection> open_sqlite(const std::filesystem::path& path) {
  auto conn = db::sqlite::SqliteConnection::open(path.string());
  REQUIRE_MESSAGE(conn.has_value(), (conn ? "" : conn.error().message));
  return std::move(*conn);
}

class SqliteBackend final : public Backend {
 public:
  SqliteBackend() {
    // A process kill (unlike a power cut) keeps the page cache, so tmpfs changes nothing the
    // test looks at, and it spares the disk ~1000 fsyncs per full run.
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    dir_ = base / ("distil-crash-sqlite-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "versions");
    write_file(dir_ / "distil.conf",
               "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n");
  }
  ~SqliteBackend() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SqliteBackend(const SqliteBackend&) = delete;
  SqliteBackend& operator=(const SqliteBackend&) = delete;

  std::filesystem::path dir() const override { return dir_; }
  std::unique_ptr<db::Connection> open_main() override { return open_sqlite(dir_ / "test.db"); }
  std::unique_ptr<db::Connection> open_reference() override {
    return open_sqlite(dir_ / "reference.db");
  }
  std::unique_ptr<db::Connection> open_walker() override { return open_sqlite(dir_ / "walker.db"); }
  // The killed process is gone (waitpid) and SQLite keeps no server: nothing to wait for. A
  // hot journal it left is rolled back by the next connection, as for any reader.
  void settle() override {}

  std::vector<std::string> problems(db::Connection& conn, bool) override {
    std::vector<std::string> out;
    auto integrity = conn.query("PRAGMA integrity_check");
    if (!integrity) return {"integrity_check failed: " + integrity.error().message};
    if (integrity->size() != 1 || (*integrity)[0][0].value_or("") != "ok") {
      std::string text;
      for (const auto& row : *integrity) text += row[0].value_or("NULL") + "; ";
      out.push_back("PRAGMA integrity_check: " + text);
    }
    auto fk = conn.query("PRAGMA foreign_key_check");
    if (!fk) return {"foreign_key_check failed: " + fk.error().message};
    if (!fk->empty())
      out.push_back("PRAGMA foreign_key_check: " + std::to_string(fk->size()) + " violations");
    auto leftovers = conn.query(
        "SELECT name FROM sqlite_schema WHERE name LIKE '\\_distil\\_new\\_%' ESCAPE '\\'");
    if (leftovers && !leftovers->empty())
      out.push_back("a rebuild table is left over: " + (*leftovers)[0][0].value_or(""));
    return out;
  }

  void make_rerun_copy() override {
    drop_rerun();
    std::filesystem::create_directories(dir_ / "rerun");
    write_file(dir_ / "rerun" / "distil.conf",
               "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = "
               "../versions\n");
    // The database with its rollback journal, if one is left (the rerun must cope with it).
    for (const char* file : {"test.db", "test.db-journal"})
      if (std::filesystem::exists(dir_ / file))
        std::filesystem::copy_file(dir_ / file, dir_ / "rerun" / file);
  }
  std::unique_ptr<db::Connection> open_rerun() override {
    return open_sqlite(dir_ / "rerun" / "test.db");
  }
  void drop_rerun() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_ / "rerun", ec);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

TEST_CASE("sqlite: SIGKILL at any point of a long upgrade leaves a revision's exact state") {
  SqliteBackend backend;
  const History history = generate_history(24, Dialect::sqlite);
  for (const auto& [name, text] : history.files) write_file(backend.dir() / "versions" / name, text);
  CampaignOptions options;
  options.kill_points = env_int("DISTIL_CRASH_POINTS", 24);
  // Each step of a table rebuild of a parent whose ON DELETE CASCADE children hold rows.
  options.targets = {"CREATE TABLE \"_distil_new_", "INSERT INTO \"_distil_new_",
                     "DROP TABLE \"p", "ALTER TABLE \"_distil_new_", "pragma_foreign_key_check"};
  options.rerun_every = env_int("DISTIL_CRASH_RERUN_EVERY", options.rerun_every);
  const CampaignStats stats = run_campaign(backend, history, options);
  report("sqlite", history, stats);
  CHECK(stats.landed >= options.kill_points / 2);  // the campaign really killed runs
}
