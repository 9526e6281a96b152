// The schema model: tables as the YAML models (DESIGN §4) and introspection both describe
// them, in one canonical form so the differ compares with ==. Pure values.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace distil::model {

// The name of the file a value was read from, shared by every value read from that file:
// one allocation per file rather than one per column, index and constraint (at 5000 tables
// a std::string each was 3 MB of every copy of the schema).
class FileName {
 public:
  FileName() = default;
  FileName(std::string name)  // NOLINT: implicit, as the std::string it replaces
      : name_(name.empty() ? nullptr : std::make_shared<const std::string>(std::move(name))) {}
  FileName(const char* name) : FileName(std::string(name)) {}  // NOLINT

  const std::string& str() const { return name_ ? *name_ : empty_name(); }
  operator const std::string&() const { return str(); }  // NOLINT
  bool empty() const { return name_ == nullptr; }
  friend bool operator==(const FileName& a, const FileName& b) { return a.str() == b.str(); }
  friend bool operator==(const FileName& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const FileName& a, const char* b) { return a.str() == b; }

 private:
  static const std::string& empty_name() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> name_;
};

// Where a value came from (a model or revision file); never part of equality.
struct Origin {
  FileName file;
  int line = 0;
  friend bool operator==(const Origin&, const Origin&) { return true; }
};

enum class FkAction { no_action, restrict, cascade, set_null, set_default };

// "cascade" <-> FkAction::cascade, "set null" <-> set_null, ...; nullopt for unknown text.
std::optional<FkAction> parse_fk_action(std::string_view text);
std::string to_string(FkAction action);  // "no action", "restrict", "cascade", "set null", ...
std::string to_sql(FkAction action);     // "NO ACTION", "RESTRICT", "CASCADE", "SET NULL", ...

struct Column {
  std::string name;
  std::string type;  // as written in the model / declared in the database
  bool nullable = true;
  std::optional<std::string> default_sql;  // a server-side SQL expression
  bool autoincrement = false;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // a hint for the differ, not part of the schema
  Origin origin;
  friend bool operator==(const Column&, const Column&) = default;
};

struct Unique {
  std::string name;
  std::vector<std::string> columns;
  Origin origin;
  friend bool operator==(const Unique&, const Unique&) = default;
};

struct Index {
  std::string name;
  std::vector<std::string> columns;  // column names, or SQL expressions for expression indexes
  bool unique = false;
  std::optional<std::string> where;  // partial index predicate
  std::string method;                // access method (PostgreSQL USING); "" = the default, btree
  Origin origin;
  friend bool operator==(const Index&, const Index&) = default;
};

struct ForeignKey {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  FkAction on_delete = FkAction::no_action;
  FkAction on_update = FkAction::no_action;
  bool deferrable = false;
  bool initially_deferred = false;  // implies deferrable
  Origin origin;
  friend bool operator==(const ForeignKey&, const ForeignKey&) = default;
};

struct Check {
  std::string name;
  std::string expression;
  Origin origin;
  friend bool operator==(const Check&, const Check&) = default;
};

struct Table {
  std::string name;
  std::vector<Column> columns;           // ordered
  std::vector<std::string> primary_key;  // column names in key order; empty = none
  std::vector<Unique> unique;
  std::vector<Index> indexes;
  std::vector<ForeignKey> foreign_keys;
  std::vector<Check> checks;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // differ hint
  Origin origin;
  friend bool operator==(const Table&, const Table&) = default;

  const Column* find_column(std::string_view column) const;
  Column* find_column(std::string_view column);
  bool is_primary_key(std::string_view column) const;
};

struct Schema {
  std::map<std::string, Table> tables;  // by name
  friend bool operator==(const Schema& a, const Schema& b) { return a.tables == b.tables; }

  const Table* find_table(std::string_view table) const;
  Table* find_table(std::string_view table);

  // The table that has an index named `index` (index names are schema-wide), or nullptr.
  // O(1) on average: apply() runs this for every index of every create_table, and a scan of
  // all tables made simulating N create_tables O(N^2) (a third of autogenerate at N = 2000).
  const Table* find_index_owner(std::string_view index) const;
  // The names of the tables with a foreign key into `table` (itself too, when it refers to
  // itself), in name order. O(those tables) on average: apply() asks for every drop_table,
  // drop_column and column rename, and a scan of all tables made dropping N tables O(N^2).
  std::vector<std::string> tables_referencing(std::string_view table) const;

  // apply() reports its own changes, so the names stay known without a rescan: `table` was
  // just added to `tables`, or dropped from it, or renamed from `from`, or got an index
  // named `index` or a foreign key into `ref_table`.
  void note_table_added(const Table& table);
  void note_table_dropped();
  void note_table_renamed(const Table& table, const std::string& from);
  void note_index_added(const std::string& index, const std::string& table);
  void note_foreign_key_added(const std::string& table, const std::string& ref_table);
  // Code that replaces a table in `tables` without changing how many there are (erase, then
  // emplace another version) calls this; adding or removing tables is noticed by itself.
  void forget_lookups() const {
    index_owner_tables_ = kUnknown;
    referrers_tables_ = kUnknown;
  }

 private:
  static constexpr std::size_t kUnknown = static_cast<std::size_t>(-1);
  // Each lookup below is a superset: an entry is verified against its table before it is
  // believed (drops and renames leave stale entries), and a name not in it is in no table.
  // It is rebuilt when the number of tables differs from the count it was built for, i.e.
  // when tables were added or removed by other code than apply().
  // Index names (schema-wide), each with a table that had it.
  mutable std::unordered_map<std::string, std::string> index_owner_;
  mutable std::size_t index_owner_tables_ = kUnknown;
  // Per referenced table, the tables that had a foreign key into it (repeats allowed).
  mutable std::unordered_map<std::string, std::vector<std::string>> referrers_;
  mutable std::size_t referrers_tables_ = kUnknown;

  // A lookup built for `before` tables follows apply()'s change of the table count: true
  // when it was in step (it is now built for tables.size()); else it is rebuilt at its next
  // use.
  bool follow(std::size_t& built_for, std::size_t before);
  void add_indexes_of(const Table& table);
  void add_foreign_keys_of(const Table& table);
};

}  // namespace distil::model
