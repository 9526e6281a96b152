// Fuzzes SQLite introspection's reading of the stored CREATE TABLE text
// (db/sqlite/introspect, db/sqlite/create_table_parser) against SQLite's own pragmas. The
// input's first statement runs in a fresh in-memory database that already holds a parent
// table `p` for foreign keys to name; only table creation is allowed (an authorizer refuses
// SELECT, functions, ATTACH, pragmas), so the input cannot read or write files. When SQLite
// accepts it, the database is introspected twice: reading each table from its text where the
// parser settles it, and with the pragmas only. Invariants: no crash, sanitizer report or
// hang; both readings succeed or fail alike, with the same error; and give the same schema.
#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "db/sqlite/introspect.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

using namespace distil;

int only_table_creation(void*, int action, const char*, const char*, const char*, const char*) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_PRAGMA:
    case SQLITE_CREATE_VTABLE:
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

std::string describe(const model::Schema& schema) {
  std::string out;
  for (const auto& [name, table] : schema.tables) {
    out += name + ":";
    for (const auto& c : table.columns) {
      out += " [" + c.name + " " + c.type + (c.nullable ? "" : " not null") +
             (c.default_sql ? " default " + *c.default_sql : "") +
             (c.autoincrement ? " autoincrement" : "") + "]";
    }
    out += " pk(";
    for (const auto& k : table.primary_key) out += k + ",";
    out += ") uniques " + std::to_string(table.unique.size()) + " fks " +
           std::to_string(table.foreign_keys.size()) + "\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sql(fuzz::as_text(data, size));
  sqlite3* db = nullptr;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) fuzz::broken("cannot open :memory:");
  sqlite3_exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY, a TEXT, b TEXT, UNIQUE (a, b))",
               nullptr, nullptr, nullptr);
  sqlite3_set_authorizer(db, only_table_creation, nullptr);
  sqlite3_stmt* stmt = nullptr;
  const bool created = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size() + 1),
                                          &stmt, nullptr) == SQLITE_OK &&
                       stmt != nullptr && sqlite3_step(stmt) == SQLITE_DONE;
  sqlite3_finalize(stmt);
  sqlite3_set_authorizer(db, nullptr, nullptr);
  if (created) {
    auto from_text = db::sqlite::introspect(db, "alembic_version", {.use_text = true});
    auto from_pragmas = db::sqlite::introspect(db, "alembic_version", {.use_text = false});
    if (from_text.has_value() != from_pragmas.has_value()) {
      fuzz::broken("one reading failed and the other did not", sql);
    }
    if (!from_text) {
      if (from_text.error().message != from_pragmas.error().message) {
        fuzz::broken("the two readings failed differently", sql);
      }
      fuzz::check_rejection(from_text.error(), sql);
    } else if (!(*from_text == *from_pragmas)) {
      fuzz::broken("the text and the pragmas read different schemas",
                   sql + "\n-- text:\n" + describe(*from_text) + "-- pragmas:\n" +
                       describe(*from_pragmas));
    }
  }
  sqlite3_close(db);
  return 0;
}
