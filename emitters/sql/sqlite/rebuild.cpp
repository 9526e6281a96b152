// The SQLite table rebuild for what ALTER TABLE cannot do ("Making Other Kinds Of Table
// Schema Changes", https://www.sqlite.org/lang_altertable.html#otheralter): create the new
// table, copy every row, verify, drop, rename, re-create indexes and triggers, verify again.
#include "emitters/sql/sqlite/rebuild.hpp"

#include <algorithm>
#include <map>
#include <variant>

namespace distil::emitters::sqlite::detail {
namespace {

constexpr std::string_view kNewPrefix = "_distil_new_";
constexpr std::string_view kCheckTable = "_distil_check";

// A statement that fails the transaction ("CHECK constraint failed") unless `condition`
// holds; `what` says which check, for the person reading the failing statement.
std::string check_sql(const std::string& condition, const std::string& what) {
  return "INSERT INTO temp." + quote_identifier(kCheckTable) + " (\"ok\", \"what\") SELECT " +
         condition + ", " + quote_literal(what);
}

}  // namespace

model::Result<RenderedOp> rebuild(const model::Op& op, const std::string& table,
                                  const SchemaSource& source) {
  DISTIL_TRY(model::Table before, fetch_table(source, table));
  model::Schema schema;
  schema.tables.emplace(table, before);
  if (const auto* fk = std::get_if<model::CreateForeignKey>(&op)) {
    // apply() checks the referenced table too; an unknown one stays out and is reported.
    const std::string& ref = fk->foreign_key.ref_table;
    if (ref != table && source.table) {
      if (auto ref_table = source.table(ref)) schema.tables.emplace(ref, std::move(*ref_table));
    }
  }
  DISTIL_CHECK(model::apply(schema, op));
  const model::Table& after = *schema.find_table(table);

  // Where each column of the new table takes its rows from.
  std::map<std::string, std::string> renamed;  // new name -> old name
  if (const auto* alter = std::get_if<model::AlterColumn>(&op); alter && alter->change.rename_to) {
    renamed[*alter->change.rename_to] = alter->column;
  }
  std::string targets, sources;
  for (const model::Column& column : after.columns) {
    auto it = renamed.find(column.name);
    const std::string& from = it == renamed.end() ? column.name : it->second;
    if (!before.find_column(from)) {
      // A new column: each copied row takes its default, so NOT NULL needs one.
      if (!column.nullable && is_null_default(column.default_sql)) {
        return model::fail(model::Error{
            .code = model::ErrorCode::model,
            .message = "a new NOT NULL column needs a default, or the existing rows would have "
                       "no value; add a default or add the column as nullable first",
            .where = {.table = table, .column = column.name}});
      }
      continue;
    }
    if (!targets.empty()) {
      targets += ", ";
      sources += ", ";
    }
    targets += quote_identifier(column.name);
    sources += quote_identifier(from);
  }

  const std::string name = quote_identifier(table);
  const std::string new_table(std::string(kNewPrefix) + table);
  const std::string new_name = quote_identifier(new_table);
  RenderedOp out{.rebuild = true};
  auto emit = [&](std::string sql) { out.statements.push_back(std::move(sql)); };

  emit("CREATE TEMP TABLE IF NOT EXISTS " + quote_identifier(kCheckTable) +
       " (\"ok\" INTEGER NOT NULL CHECK (\"ok\" = 1), \"what\" TEXT)");
  // Inside a transaction SQLite ignores PRAGMA foreign_keys, and with foreign keys on,
  // DROP TABLE deletes child rows through ON DELETE CASCADE. Refuse rather than lose them.
  emit(check_sql(
      "NOT (SELECT \"foreign_keys\" FROM pragma_foreign_keys)",
      "PRAGMA foreign_keys=OFF (set outside the transaction) for the rebuild of " + table));
  // Views that name the table must survive the DROP/RENAME below unchanged.
  emit("PRAGMA legacy_alter_table=ON");
  emit(create_table_sql(after, new_table));
  if (!targets.empty()) {
    emit("INSERT INTO " + new_name + " (" + targets + ") SELECT " + sources + " FROM " + name);
  }
  const bool autoincrement = std::any_of(
      after.columns.begin(), after.columns.end(),
      [&](const model::Column& c) { return c.autoincrement && after.is_primary_key(c.name); });
  if (autoincrement) {
    // Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
    emit("DELETE FROM sqlite_sequence WHERE name = " + quote_literal(new_table));
    emit("INSERT INTO sqlite_sequence (name, seq) SELECT " + quote_literal(new_table) +
         ", seq FROM sqlite_sequence WHERE name = " + quote_literal(table));
  }
  emit(check_sql("(SELECT count(*) FROM " + name + ") = (SELECT count(*) FROM " + new_name + ")",
                 "row count of " + table));
  emit("DROP TABLE " + name);
  emit("ALTER TABLE " + new_name + " RENAME TO " + name);
  emit("PRAGMA legacy_alter_table=OFF");
  for (std::string& sql : create_index_sql(after)) emit(std::move(sql));
  if (source.triggers) {
    for (const std::string& trigger : source.triggers(table)) {
      std::string sql = trim_statement(trigger);
      if (!sql.empty()) emit(std::move(sql));
    }
  }
  emit(check_sql("NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check)",
                 "foreign keys after rebuild of " + table));
  return out;
}

}  // namespace distil::emitters::sqlite::detail
