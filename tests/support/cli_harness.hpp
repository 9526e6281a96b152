// Helpers for end-to-end tests: run the built binary in a scratch project folder and look
// at the SQLite database it changed.
#pragma once

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace distil::testing {

struct RunResult {
  int status = -1;
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A scratch folder with distil.conf (sqlite:///test.db) and an empty versions folder.
class Project {
 public:
  explicit Project(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() /
           ("distil-cli-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "versions");
    write_text(dir_ / "distil.conf",
               "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n");
  }
  ~Project() { std::filesystem::remove_all(dir_); }
  Project(const Project&) = delete;
  Project& operator=(const Project&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path db_path() const { return dir_ / "test.db"; }

  void add_revision(const std::string& file, const std::string& text) const {
    write_text(dir_ / "versions" / file, text);
  }

  // Runs `distil-db-manage --config-file distil.conf ARGS` in the project folder; `env`
  // (shell assignments, "NAME=value ...") is set for the binary alone.
  RunResult run(const std::string& args, bool with_config = true,
                const std::string& env = "") const {
    std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
    std::string cmd = "cd '" + dir_.string() + "' && " + env + " '" + bin + "' " +
                      (with_config ? "--config-file distil.conf " : "") + args + " >out.txt 2>err.txt";
    int raw = std::system(cmd.c_str());
    RunResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_text(dir_ / "out.txt");
    r.err = read_text(dir_ / "err.txt");
    return r;
  }

  // Rows of a query on the project's database, each row's columns joined with '|'.
  std::vector<std::string> query(const std::string& sql) const {
    sqlite3* db = nullptr;
    std::vector<std::string> rows;
    if (sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return {"<cannot open database>"};
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      rows.push_back(std::string("<error: ") + sqlite3_errmsg(db) + ">");
    } else {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
          const auto* t = sqlite3_column_text(stmt, i);
          row += (i ? "|" : "") + (t ? std::string(reinterpret_cast<const char*>(t)) : "NULL");
        }
        rows.push_back(row);
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }

  // Runs SQL on the project's database (to seed rows or tamper with it).
  bool exec(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open(db_path().c_str(), &db);
    bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }

  std::vector<std::string> versions() const {
    return query("SELECT version_num FROM alembic_version ORDER BY version_num");
  }
  // The user's tables and the version table (not the tool's _distil_* side tables).
  std::vector<std::string> tables() const {
    return query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "AND name NOT LIKE '\\_distil\\_%' ESCAPE '\\' ORDER BY name");
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace distil::testing
