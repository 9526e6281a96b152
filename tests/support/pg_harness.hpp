// Helpers for end-to-end tests on PostgreSQL: run the built binary in a scratch project
// folder whose distil.conf points at a fresh database on the server DISTIL_TEST_PG_URL names
// (`scripts/pg-cluster start DIR` prints one), and look at that database through libpq.
// Unset DISTIL_TEST_PG_URL is a failure, never a skip: a PG test that cannot run must not
// look green.
#pragma once

#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace distil::testing::pg {

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

// The server under test: DISTIL_TEST_PG_URL, a postgresql:// URL (FAILs when unset).
inline std::string server_url() {
  const char* url = std::getenv("DISTIL_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    FAIL(
        "DISTIL_TEST_PG_URL is not set: start a server with `scripts/pg-cluster start DIR` and "
        "export the URL it prints (e.g. postgresql://postgres@/postgres?host=DIR)");
  }
  const std::string text = url;
  if (text.rfind("postgresql://", 0) != 0 && text.rfind("postgres://", 0) != 0) {
    FAIL("DISTIL_TEST_PG_URL must be a postgresql:// URL, got \"" << text << "\"");
  }
  return text;
}

// `url` with its database name replaced, keeping the rest (user, ?host=/dir, port...):
//   postgresql://postgres@/postgres?host=/tmp/x -> postgresql://postgres@/DB?host=/tmp/x
inline std::string url_with_database(const std::string& url, const std::string& database) {
  const std::size_t scheme_end = url.find("://") + 3;
  std::size_t path = url.find_first_of("/?", scheme_end);
  if (path == std::string::npos) return url + "/" + database;
  std::string authority = url.substr(0, path);
  std::string query;
  if (url[path] == '?') {
    query = url.substr(path);
  } else if (std::size_t q = url.find('?', path); q != std::string::npos) {
    query = url.substr(q);
  }
  return authority + "/" + database + query;
}

// `url` with one more query parameter (e.g. port=1).
inline std::string url_with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// One libpq connection; rows of a query come back with columns joined by '|', NULL as "NULL".
class PgSession {
 public:
  explicit PgSession(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    // Quiet: "NOTICE: database ... does not exist, skipping" and the like are not test output.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~PgSession() { PQfinish(conn_); }
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  std::string error() const { return PQerrorMessage(conn_); }

  std::vector<std::string> query(const std::string& sql) {
    std::vector<std::string> rows;
    if (!ok()) return {"<cannot connect: " + error() + ">"};
    PGresult* r = PQexec(conn_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      rows.push_back("<error: " + std::string(PQresultErrorMessage(r)) + ">");
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        std::string row;
        for (int j = 0; j < PQnfields(r); ++j) {
          row += (j ? "|" : "") +
                 (PQgetisnull(r, i, j) ? std::string("NULL") : std::string(PQgetvalue(r, i, j)));
        }
        rows.push_back(row);
      }
    }
    PQclear(r);
    return rows;
  }

  // Runs SQL (several statements allowed); the error text goes to last_error.
  bool exec(const std::string& sql) {
    if (!ok()) {
      last_error = error();
      return false;
    }
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    const bool good = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
                      status == PGRES_EMPTY_QUERY;
    last_error = good ? "" : PQresultErrorMessage(r);
    PQclear(r);
    return good;
  }

  std::string last_error;

 private:
  PGconn* conn_;
};

// A scratch folder with distil.conf (connection = a fresh database distil_e2e_<pid>_<n> on
// the server) and an empty versions folder. The destructor drops the database.
class PgProject {
 public:
  explicit PgProject(const std::string& name) : server_(server_url()) {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    database_ = "distil_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(n);
    url_ = url_with_database(server_, database_);
    dir_ = std::filesystem::temp_directory_path() /
           ("distil-pg-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(n));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "versions");
    write_config(false);
    PgSession admin(server_);
    REQUIRE_MESSAGE(admin.ok(), "cannot connect to DISTIL_TEST_PG_URL " << server_ << ": "
                                                                         << admin.error());
    REQUIRE_MESSAGE(admin.exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)"),
                    admin.last_error);
    REQUIRE_MESSAGE(admin.exec("CREATE DATABASE " + database_), admin.last_error);
    created_ = true;
  }
  ~PgProject() {
    if (created_) {
      PgSession admin(server_);
      // FORCE ends connections that are still open (a killed run, a session of ours).
      (void)admin.exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgProject(const PgProject&) = delete;
  PgProject& operator=(const PgProject&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& url() const { return url_; }
  const std::string& server() const { return server_; }
  const std::string& database() const { return database_; }

  // distil.conf: the database, versions = versions and, if `models`, models = models.
  void write_config(bool models) const {
    write_text(dir_ / "distil.conf", "[database]\nconnection = " + url_ +
                                         "\n\n[migration]\nversions = versions\n" +
                                         (models ? "models = models\n" : ""));
  }

  void add_revision(const std::string& file, const std::string& text) const {
    write_text(dir_ / "versions" / file, text);
  }

  // Runs `distil-db-manage --config-file distil.conf ARGS` in the project folder.
  RunResult run(const std::string& args, bool with_config = true) const {
    const std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
    const std::string tag = std::to_string(runs_++);
    const std::string out = "out" + tag + ".txt", err = "err" + tag + ".txt";
    const std::string cmd = "cd '" + dir_.string() + "' && '" + bin + "' " +
                            (with_config ? "--config-file distil.conf " : "") + args + " >" + out +
                            " 2>" + err;
    const int raw = std::system(cmd.c_str());
    RunResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_text(dir_ / out);
    r.err = read_text(dir_ / err);
    std::filesystem::remove(dir_ / out);
    std::filesystem::remove(dir_ / err);
    return r;
  }

  // Rows of a query on the project's database, each row's columns joined with '|'.
  std::vector<std::string> query(const std::string& sql) const {
    PgSession s(url_);
    return s.query(sql);
  }

  // Runs SQL on the project's database (to seed rows or tamper with it); last_error() says why
  // it failed.
  bool exec(const std::string& sql) const {
    PgSession s(url_);
    const bool ok = s.exec(sql);
    last_error_ = s.ok() ? s.last_error : s.error();
    return ok;
  }
  const std::string& last_error() const { return last_error_; }

  std::vector<std::string> versions() const {
    return query("SELECT version_num FROM alembic_version ORDER BY version_num");
  }
  // The user's tables and the version table (not the tool's _distil_* side tables).
  std::vector<std::string> tables() const {
    return query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND "
        "table_name NOT LIKE '\\_distil\\_%' ORDER BY table_name");
  }
  // information_schema.columns of every public table: the facts a schema comparison needs.
  std::vector<std::string> columns() const {
    return query(
        "SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, "
        "character_maximum_length, numeric_precision, numeric_scale, is_identity, "
        "identity_generation FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name NOT LIKE '\\_distil\\_%' ORDER BY table_name, ordinal_position");
  }
  // Constraints, indexes and comments, by name: the rest of a schema comparison.
  std::vector<std::string> constraints() const {
    return query(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2");
  }
  std::vector<std::string> indexes() const {
    return query(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "ORDER BY 1, 2");
  }
  std::vector<std::string> comments() const {
    return query(
        "SELECT c.relname, a.attname, d.description FROM pg_description d "
        "JOIN pg_class c ON c.oid = d.objoid "
        "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND "
        "d.objsubid > 0 "
        "WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 2 NULLS FIRST");
  }

 private:
  std::string server_, database_, url_;
  std::filesystem::path dir_;
  bool created_ = false;
  mutable std::atomic<int> runs_{0};  // run() may be called from two threads at once
  mutable std::string last_error_;
};

}  // namespace distil::testing::pg
