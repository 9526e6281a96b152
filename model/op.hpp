// Migration operations (DESIGN §5) as plain data, and the pure algorithms on them:
// reverse() for downgrades, apply() to simulate a schema without a database.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/result.hpp"
#include "model/schema.hpp"

namespace distil::model {

struct CreateTable {
  Table table;
  friend bool operator==(const CreateTable&, const CreateTable&) = default;
};
// `table` holds the full definition when known (differ output), so reverse() restores it;
// a drop_table parsed from a revision file only has the name.
struct DropTable {
  Table table;
  friend bool operator==(const DropTable&, const DropTable&) = default;
};
struct RenameTable {
  std::string from, to;
  friend bool operator==(const RenameTable&, const RenameTable&) = default;
};
struct AddColumn {
  std::string table;
  Column column;
  friend bool operator==(const AddColumn&, const AddColumn&) = default;
};
// The full column when known, so reverse() restores it; parsed files carry only the name.
struct DropColumn {
  std::string table;
  Column column;
  friend bool operator==(const DropColumn&, const DropColumn&) = default;
};
// What alter_column changes; unset members stay as they are. `default_sql` and `comment`
// hold nullopt inside to drop the default / comment.
struct ColumnPatch {
  std::optional<std::string> type;
  std::optional<bool> nullable;
  std::optional<std::optional<std::string>> default_sql;
  std::optional<std::optional<std::string>> comment;
  std::optional<std::string> rename_to;
  friend bool operator==(const ColumnPatch&, const ColumnPatch&) = default;
};
// The column before the change (revision files' `existing:`), needed for SQLite rebuilds
// and exact downgrades.
struct ColumnState {
  std::optional<std::string> type;
  std::optional<bool> nullable;
  std::optional<std::optional<std::string>> default_sql;
  std::optional<std::optional<std::string>> comment;
  friend bool operator==(const ColumnState&, const ColumnState&) = default;
};
struct AlterColumn {
  std::string table, column;
  ColumnPatch change;
  ColumnState existing;
  friend bool operator==(const AlterColumn&, const AlterColumn&) = default;
};
struct CreateIndex {
  std::string table;
  Index index;
  friend bool operator==(const CreateIndex&, const CreateIndex&) = default;
};
// `index` holds the full definition when known; parsed files carry only the name.
struct DropIndex {
  std::string table;
  Index index;
  friend bool operator==(const DropIndex&, const DropIndex&) = default;
};
struct CreateUnique {
  std::string table;
  Unique unique;
  friend bool operator==(const CreateUnique&, const CreateUnique&) = default;
};
struct CreateForeignKey {
  std::string table;
  ForeignKey foreign_key;
  friend bool operator==(const CreateForeignKey&, const CreateForeignKey&) = default;
};
struct CreateCheck {
  std::string table;
  Check check;
  friend bool operator==(const CreateCheck&, const CreateCheck&) = default;
};
// Drops a unique, foreign key or check constraint by name. When the differ emits it, the
// dropped constraint is kept (at most one of the three set) so reverse() can restore it.
struct DropConstraint {
  std::string table, name;
  std::optional<Unique> unique;
  std::optional<ForeignKey> foreign_key;
  std::optional<Check> check;
  friend bool operator==(const DropConstraint&, const DropConstraint&) = default;
};
// Raw SQL: `any` for every dialect, or per dialect ("sqlite", "postgresql").
struct RawSql {
  std::optional<std::string> any;
  std::map<std::string, std::string> by_dialect;
  friend bool operator==(const RawSql&, const RawSql&) = default;
};

using Op = std::variant<CreateTable, DropTable, RenameTable, AddColumn, DropColumn, AlterColumn,
                        CreateIndex, DropIndex, CreateUnique, CreateForeignKey, CreateCheck,
                        DropConstraint, RawSql>;

// The YAML key of an op: "create_table", "add_column", ...
std::string op_name(const Op& op);

// The table an op works on ("" for raw SQL).
std::string op_table(const Op& op);

// True when the op loses data (drop table/column, narrowing type change, ...).
bool is_destructive(const Op& op);

// The exact inverse of `op`. REQUIRES: the op carries its full "before" state (differ output).
// Returns an error for ops that cannot be reversed (raw SQL, a drop without definition).
Result<Op> reverse(const Op& op);

// Applies `op` to `schema`: the DB-free simulator. Errors name the table/column at fault.
// Raw SQL cannot be simulated and is an error.
Result<void> apply(Schema& schema, const Op& op);

// Overload helper for std::visit.
template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace distil::model
