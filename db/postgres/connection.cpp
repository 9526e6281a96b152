// PostgreSQL connection through libpq: statements, text-parameter queries, transactions,
// introspection and the whole-run migration lock (a session advisory lock).
// See: https://www.postgresql.org/docs/15/libpq.html
#include "db/postgres/connection.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "db/postgres/introspect.hpp"
#include "db/postgres/libpq.hpp"

namespace distil::db::postgres {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

namespace {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// FNV-1a, 64 bits: the advisory lock key every distil-db-manage process agrees on.
constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}
constexpr std::int64_t kMigrationLockKey = static_cast<std::int64_t>(fnv1a("distil-db-manage"));

// SQLSTATE 53200: the shared lock table is full (one transaction took too many locks).
constexpr std::string_view kOutOfSharedMemory = "53200";
constexpr std::string_view kLocksHint =
    "the revision takes more locks than max_locks_per_transaction allows (default 64): raise "
    "max_locks_per_transaction in postgresql.conf, or split the revision; nothing was applied";

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// The first non-empty line of a libpq message, without the severity libpq repeats from
// the server ("FATAL:  ", "ERROR:  "); later lines are hints ("Is the server running...").
std::string first_line(std::string_view message) {
  std::string line;
  while (!message.empty()) {
    const std::size_t end = message.find('\n');
    line = trim(message.substr(0, end));
    if (!line.empty() || end == std::string_view::npos) break;
    message.remove_prefix(end + 1);
  }
  for (std::string_view severity : {"FATAL:  ", "ERROR:  "}) {
    if (const std::size_t at = line.find(severity); at != std::string::npos)
      line.erase(at, severity.size());
  }
  return line.empty() ? "unknown libpq error" : line;
}

// A failed statement as one message: PostgreSQL's primary message, its detail and hint;
// "out of shared memory" gets the hint that names the setting.
Error statement_error(PGconn* conn, const PGresult* result) {
  auto field = [&](int code) -> std::string {
    const char* value = result ? PQresultErrorField(result, code) : nullptr;
    return value ? value : "";
  };
  std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty())
    return Error{.code = ErrorCode::database, .message = first_line(PQerrorMessage(conn))};
  if (field(PG_DIAG_SQLSTATE) == kOutOfSharedMemory) {
    message += ": " + std::string(kLocksHint);
  } else {
    if (std::string detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
      message += " (" + detail + ")";
    if (std::string hint = field(PG_DIAG_MESSAGE_HINT); !hint.empty()) message += "; hint: " + hint;
  }
  return Error{.code = ErrorCode::database, .message = std::move(message)};
}

// postgresql://user@host:port/db, or postgresql://user@/db?host=/socket/dir: never the password.
std::string url_of(PGconn* conn) {
  auto get = [](const char* value) { return std::string(value ? value : ""); };
  const std::string user = get(PQuser(conn));
  const std::string host = get(PQhost(conn));
  const std::string port = get(PQport(conn));
  std::string url = "postgresql://" + (user.empty() ? "" : user + "@");
  const bool socket = host.empty() || host.front() == '/';
  if (!socket) url += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!socket && !port.empty() && port != "5432") url += ":" + port;
  url += "/" + get(PQdb(conn));
  if (socket && !host.empty()) {
    url += "?host=" + host;
    if (!port.empty() && port != "5432") url += "&port=" + port;
  }
  return url;
}

// libpq prints NOTICEs (e.g. "table does not exist, skipping") to stderr by default;
// warnings still come through client_min_messages.
void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& conninfo,
                                                         const std::string& schema) {
  DISTIL_CHECK(load_libpq());
  PGconn* raw = PQconnectdb(conninfo.c_str());
  if (!raw) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "cannot connect to PostgreSQL: libpq is out of memory"});
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    const std::string_view libpq_message = PQerrorMessage(raw);
    std::string message = "cannot connect to " + url_of(raw) + ": " + first_line(libpq_message);
    // libpq's second line ("\tIs the server running locally and accepting connections on
    // that socket?") is the useful part when nothing listens; keep its gist on the line.
    if (libpq_message.find("Is the server running") != std::string_view::npos)
      message += " (is the server running?)";
    PQfinish(raw);
    return fail(Error{.code = ErrorCode::database, .message = std::move(message)});
  }
  std::unique_ptr<PgConnection> conn(new PgConnection(raw, schema));
  PQsetNoticeProcessor(raw, ignore_notice, nullptr);
  if (PQsetClientEncoding(raw, "UTF8") != 0) {
    return fail(
        Error{.code = ErrorCode::database,
              .message = "cannot set client_encoding to UTF8: " + first_line(PQerrorMessage(raw))});
  }
  DISTIL_CHECK(conn->execute("SET client_min_messages = warning"));
  if (!schema.empty()) {
    DISTIL_TRY(auto rows,
               conn->query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema}));
    if (rows.empty()) {
      return fail(Error{.code = ErrorCode::database,
                        .message = "schema \"" + schema + "\" does not exist in " +
                                   conn->describe() +
                                   "; create it (CREATE SCHEMA) or change [migration] schema"});
    }
    DISTIL_TRY(auto set, conn->query("SELECT pg_catalog.set_config('search_path', "
                                     "pg_catalog.quote_ident($1), false)",
                                     {schema}));
    (void)set;
  }
  return conn;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<void> PgConnection::execute(std::string_view sql) {
  // PQexec runs several ';'-separated statements (as one implicit transaction when none is
  // open); PQexecParams would accept only one.
  const std::string text(sql);
  PgResult result(PQexec(conn_, text.c_str()));
  switch (PQresultStatus(result.get())) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return {};
    default:
      return fail(statement_error(conn_, result.get()));
  }
}

namespace {

// Every row of a query result, as text (nullopt for NULL).
std::vector<Row> rows_of(const PGresult* result) {
  std::vector<Row> rows;
  const int n_rows = PQntuples(result);
  const int n_columns = PQnfields(result);
  rows.reserve(static_cast<std::size_t>(n_rows));
  for (int r = 0; r < n_rows; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(n_columns));
    for (int c = 0; c < n_columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Result<std::vector<Row>> PgConnection::query(std::string_view sql,
                                             const std::vector<std::string>& params) {
  const std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    return fail(statement_error(conn_, result.get()));
  return rows_of(result.get());
}

// The runner's BEGIN and version re-read of every revision: one round trip instead of two
// (a migration run on PostgreSQL is bound by round trips). PQexec returns the last result;
// the transaction BEGIN opened stays open after it.
Result<std::vector<Row>> PgConnection::begin_and_query(std::string_view sql) {
  const std::string text = "BEGIN; " + std::string(sql);
  PgResult result(PQexec(conn_, text.c_str()));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK)
    return fail(statement_error(conn_, result.get()));
  return rows_of(result.get());
}

Result<std::vector<std::string>> PgConnection::table_names() {
  DISTIL_TRY(auto rows,
             query("SELECT c.relname FROM pg_catalog.pg_class c"
                   " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
                   {schema_.empty() ? std::string("public") : schema_}));
  std::vector<std::string> names;
  for (const auto& row : rows)
    if (!row.empty() && row[0]) names.push_back(*row[0]);
  return names;
}

model::Error PgConnection::missing_table(std::string_view table) const {
  return missing_table_error(schema_, table);
}

Result<bool> PgConnection::table_exists(std::string_view table) {
  DISTIL_TRY(auto rows,
             query("SELECT 1 FROM pg_catalog.pg_class c"
                   " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                   {schema_.empty() ? std::string("public") : schema_, std::string(table)}));
  return !rows.empty();
}

Result<void> PgConnection::begin() { return execute("BEGIN"); }

Result<void> PgConnection::commit() {
  // COMMIT of a failed transaction "succeeds" with the command tag ROLLBACK.
  PgResult result(PQexec(conn_, "COMMIT"));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
    return fail(statement_error(conn_, result.get()));
  if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "the transaction was rolled back (an earlier statement failed); "
                                 "nothing was applied"});
  }
  return {};
}

Result<void> PgConnection::execute_batch(const std::vector<std::string>& statements,
                                         bool commit) {
  // One simple-query message: the server runs its statements in order inside the open
  // transaction and stops at the first error. Each statement ends on a line of its own, so
  // a trailing "--" comment cannot swallow the next one.
  std::string text;
  for (const auto& sql : statements) {
    text += sql;
    text += "\n;\n";
  }
  if (commit) text += "COMMIT";
  if (text.empty()) return {};
  // PQexec returns the last result: the error that stopped the message, or COMMIT's.
  PgResult result(PQexec(conn_, text.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
    return fail(statement_error(conn_, result.get()));
  if (commit && std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0) {
    return fail(Error{.code = ErrorCode::database,
                      .message = "the transaction was rolled back (an earlier statement failed); "
                                 "nothing was applied"});
  }
  return {};
}

void PgConnection::rollback() {
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
}

emitters::SchemaSource PgConnection::schema_source() {
  emitters::SchemaSource source;
  source.table = [this](std::string_view table) { return introspect_table(conn_, schema_, table); };
  source.triggers = [](std::string_view) { return std::vector<std::string>{}; };
  return source;
}

Result<model::Schema> PgConnection::introspect(std::string_view version_table) {
  return postgres::introspect(conn_, schema_, version_table);
}

Result<void> PgConnection::lock_migrations(int timeout_ms) {
  if (locked_) return {};
  // A session lock: it outlives each revision's transaction and ends with the connection.
  // See: https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
  const std::vector<std::string> key = {std::to_string(kMigrationLockKey)};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    DISTIL_TRY(auto rows, query("SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", key));
    if (!rows.empty() && !rows[0].empty() && rows[0][0] == "t") {
      locked_ = true;
      return {};
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      const std::string waited = timeout_ms % 1000 == 0 ? std::to_string(timeout_ms / 1000) + " s"
                                                        : std::to_string(timeout_ms) + " ms";
      return fail(Error{.code = ErrorCode::database,
                        .message = "database is locked by another migration (waited " + waited +
                                   " for the advisory lock on " + describe() +
                                   ", the --lock-timeout); try again later"});
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), deadline - now));
  }
}

std::string PgConnection::describe() const { return url_of(conn_); }

Result<std::string> conninfo_with_database(const std::string& conninfo,
                                           const std::string& dbname) {
  DISTIL_CHECK(load_libpq());
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    std::string message = err ? err : "out of memory";
    PQfreemem(err);
    return fail(Error{.code = ErrorCode::config,
                      .message = "cannot parse the PostgreSQL connection: " + message});
  }
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    std::string key = o->keyword;
    if (key == "dbname") continue;
    if (o->val && *o->val) out += key + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(options);
  return out + "dbname=" + quote(dbname);
}

}  // namespace distil::db::postgres
