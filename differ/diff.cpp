// diff(): compares desired with actual table by table and name by name, emitting ops in run
// order. Each op is applied to a working copy of `actual` as it is emitted, so later groups
// compare against the schema as it will be (after renames, drops, creations).
#include "differ/diff.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "model/sql_expr.hpp"

namespace distil::differ {
namespace {

using model::AddColumn;
using model::AlterColumn;
using model::Check;
using model::Column;
using model::ColumnPatch;
using model::ColumnState;
using model::CreateCheck;
using model::CreateForeignKey;
using model::CreateIndex;
using model::CreateTable;
using model::CreateUnique;
using model::DropColumn;
using model::DropConstraint;
using model::DropIndex;
using model::DropTable;
using model::ForeignKey;
using model::Index;
using model::Op;
using model::RenameTable;
using model::Schema;
using model::Table;
using model::Unique;

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

template <class T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.name == name; });
  return it == items.end() ? nullptr : &*it;
}

// References sorted by name, so every group is emitted in a stable order.
template <class T>
std::vector<std::reference_wrapper<const T>> by_name(const std::vector<T>& items) {
  std::vector<std::reference_wrapper<const T>> sorted(items.begin(), items.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const T& a, const T& b) { return a.name < b.name; });
  return sorted;
}

// The items `keep` selects, sorted by name: by_name() then a filter, with only the (usually
// no) selected items sorted. `keep` must not depend on what the loop over the result emits.
template <class T, class Keep>
std::vector<std::reference_wrapper<const T>> by_name_where(const std::vector<T>& items,
                                                           Keep&& keep) {
  std::vector<std::reference_wrapper<const T>> sorted;
  for (const T& item : items) {
    if (keep(item)) sorted.emplace_back(item);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const T& a, const T& b) { return a.name < b.name; });
  return sorted;
}

Table without_hints(Table table) {
  table.renamed_from.reset();
  for (Column& column : table.columns) column.renamed_from.reset();
  return table;
}

// How a dialect spells things for comparison. On PostgreSQL libpg_query parses and
// deparses (model/sql_expr.hpp), so 'nz' == 'nz'::character varying and int4[] ==
// integer[]; text it cannot parse falls back to the textual canonical form.
struct Spelling {
  bool postgresql = false;
  // Canonical forms by text: a schema repeats a few types and defaults many times, and
  // canonicalising (on PostgreSQL, parsing with libpg_query) is the differ's dearest step.
  mutable std::unordered_map<std::string, std::string> types{}, expressions{};

  const std::string& type(const std::string& text) const {
    auto it = types.find(text);
    if (it == types.end()) it = types.emplace(text, canonical_spelling(text)).first;
    return it->second;
  }
  const std::string& expression(const std::string& sql) const {
    auto it = expressions.find(sql);
    if (it == expressions.end()) it = expressions.emplace(sql, canonical_expression_of(sql)).first;
    return it->second;
  }

 private:
  std::string canonical_spelling(std::string_view type) const {
    if (postgresql) {
      // canonical_type maps the portable "double" to "double precision"; "binary" is bytea
      // (DESIGN §4), as the PostgreSQL emitter renders them.
      std::string portable = canonical_type(type);
      if (portable == "binary") portable = "bytea";
      if (auto normal = model::sql::normalize_type(portable)) return *normal;
    }
    return canonical_type(type);
  }
  std::string canonical_expression_of(std::string_view sql) const {
    if (postgresql) {
      if (auto normal = model::sql::normalize_expression(sql)) return *normal;
    }
    return canonical_expression(sql);
  }
};

bool same_expression(const std::optional<std::string>& a, const std::optional<std::string>& b,
                     const Spelling& spelling) {
  if (!a || !b) return a.has_value() == b.has_value();
  return *a == *b || spelling.expression(*a) == spelling.expression(*b);
}

// Index entries are column names or, for expression indexes, SQL expressions; a plain name
// compares as written (a quoted "Email" is not email), an expression by its spelling.
bool same_index_entries(const std::vector<std::string>& a, const std::vector<std::string>& b,
                        const Spelling& spelling) {
  if (a == b) return true;
  if (!spelling.postgresql || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    const bool expression =
        a[i].find('(') != std::string::npos || b[i].find('(') != std::string::npos;
    if (!expression || spelling.expression(a[i]) != spelling.expression(b[i])) return false;
  }
  return true;
}

// An index's access method in canonical form: lower case, "" for the default (btree).
std::string index_method(const Index& index) {
  std::string method = index.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return method == "btree" ? std::string() : method;
}

bool same_index(const Index& a, const Index& b, const Spelling& spelling) {
  return same_index_entries(a.columns, b.columns, spelling) && a.unique == b.unique &&
         same_expression(a.where, b.where, spelling) && index_method(a) == index_method(b);
}

bool same_unique(const Unique& a, const Unique& b) { return a.columns == b.columns; }

bool same_check(const Check& a, const Check& b, const Spelling& spelling) {
  return a.expression == b.expression ||
         spelling.expression(a.expression) == spelling.expression(b.expression);
}

// Empty ref_columns mean the referenced table's primary key.
std::vector<std::string> ref_columns(const Schema& schema, const ForeignKey& fk) {
  if (!fk.ref_columns.empty()) return fk.ref_columns;
  const Table* ref = schema.find_table(fk.ref_table);
  return ref ? ref->primary_key : std::vector<std::string>{};
}

class Differ {
 public:
  Differ(const Schema& desired, Schema actual, const DiffOptions& options, Schema* actual_out)
      : desired_(desired), current_(std::move(actual)), actual_out_(actual_out),
        compare_comments_(options.dialect == "postgresql"),
        spelling_{.postgresql = options.dialect == "postgresql"} {}

  DiffResult run() && {
    rename_tables();
    rename_columns();
    const std::vector<std::string> drop_order = plan_table_drops();
    drop_indexes_and_constraints();
    drop_columns();
    create_tables();
    add_columns();
    alter_columns();
    create_indexes_and_constraints();
    for (const std::string& name : drop_order) emit(DropTable{*current_.find_table(name)});
    warn_inexpressible();
    // No op ran: the working schema is still `actual` as given.
    if (actual_out_ && result_.upgrade.empty()) *actual_out_ = std::move(current_);
    return std::move(result_);
  }

 private:
  // Applies the op to the working schema and records it. A failure here means the desired
  // schema is inconsistent (or a differ bug); it is reported, never hidden.
  void emit(Op op) {
    // The first op changes the working schema: the caller's copy of `actual` is taken now.
    if (actual_out_ && result_.upgrade.empty()) *actual_out_ = current_;
    if (auto applied = model::apply(current_, op); !applied) {
      result_.warnings.push_back("cannot run " + model::op_name(op) + ": " +
                                 model::format_error(applied.error()));
    }
    result_.upgrade.push_back(std::move(op));
  }
  // Emits `ops` in order and empties it.
  void emit_all(std::vector<Op>& ops) {
    for (Op& op : ops) emit(std::move(op));
    ops.clear();
  }

  static ColumnState state_of(const Column& column) {
    return ColumnState{
        .type = column.type, .nullable = column.nullable, .default_sql = column.default_sql};
  }

  // Tables that exist on both sides (after renames), by name.
  std::vector<std::string> common_tables() const {
    std::vector<std::string> names;
    for (const auto& [name, table] : desired_.tables) {
      if (current_.find_table(name)) names.push_back(name);
    }
    return names;
  }

  void rename_tables() {
    for (const auto& [name, table] : desired_.tables) {
      if (!table.renamed_from || *table.renamed_from == name) continue;
      const std::string& from = *table.renamed_from;
      // Old name gone: the rename already ran (or never will); either way nothing to do.
      if (!current_.find_table(from) || current_.find_table(name) || desired_.find_table(from)) {
        continue;
      }
      emit(RenameTable{.from = from, .to = name});
    }
  }

  void rename_columns() {
    for (const std::string& name : common_tables()) {
      const Table& want = desired_.tables.at(name);
      auto renamed = [](const Column& c) { return c.renamed_from && *c.renamed_from != c.name; };
      for (const Column& column : by_name_where(want.columns, renamed)) {
        const std::string& from = *column.renamed_from;
        const Table& have = *current_.find_table(name);
        const Column* old = have.find_column(from);
        if (!old || have.find_column(column.name) || want.find_column(from)) continue;
        emit(AlterColumn{.table = name,
                         .column = from,
                         .change = {.rename_to = column.name},
                         .existing = state_of(*old)});
      }
    }
  }

  // The order to drop tables that exist only in actual: a table once no other dropped table
  // references it. In a cycle the foreign keys into the first table by name are dropped
  // first (with the other constraints that go). Returns the table order.
  std::vector<std::string> plan_table_drops() {
    // The tables to drop, by name, and each one's foreign keys.
    std::vector<std::string> names;
    std::vector<std::vector<ForeignKey>> fks;
    for (const auto& [name, table] : current_.tables) {
      if (!desired_.find_table(name)) {
        names.push_back(name);
        fks.emplace_back();
        for (const ForeignKey& fk : by_name(table.foreign_keys)) fks.back().push_back(fk);
      }
    }
    std::map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], i);
    // Kahn's algorithm, the first ready table by name first: referers[t] counts the foreign
    // keys of other dropped tables into t, and t is ready at zero. (Finding the first
    // unreferenced table by scanning every other table's keys was cubic: 57 s for 2,000.)
    auto target = [&](const ForeignKey& fk, std::size_t from) -> std::optional<std::size_t> {
      auto it = index.find(fk.ref_table);
      if (it == index.end() || it->second == from) return std::nullopt;
      return it->second;
    };
    std::vector<std::size_t> referers(names.size(), 0);
    for (std::size_t i = 0; i < names.size(); ++i)
      for (const ForeignKey& fk : fks[i])
        if (auto t = target(fk, i)) ++referers[*t];
    std::set<std::size_t> ready, left;
    for (std::size_t i = 0; i < names.size(); ++i) {
      left.insert(i);
      if (referers[i] == 0) ready.insert(i);
    }
    std::vector<std::string> order;
    while (!left.empty()) {
      std::size_t pick = 0;
      if (!ready.empty()) {
        pick = *ready.begin();
      } else {
        // A cycle: the foreign keys into the first table left are dropped first.
        pick = *left.begin();
        for (std::size_t other : left) {
          if (other == pick) continue;
          std::erase_if(fks[other], [&](const ForeignKey& fk) {
            if (target(fk, other) != pick) return false;
            cycle_fk_drops_.emplace_back(names[other], fk);
            return true;
          });
        }
        referers[pick] = 0;
      }
      ready.erase(pick);
      left.erase(pick);
      order.push_back(names[pick]);
      for (const ForeignKey& fk : fks[pick]) {
        auto t = target(fk, pick);
        if (t && left.count(*t) && --referers[*t] == 0) ready.insert(*t);
      }
    }
    std::sort(cycle_fk_drops_.begin(), cycle_fk_drops_.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.first, a.second.name) < std::tie(b.first, b.second.name);
              });
    return order;
  }

  // Foreign keys first (one may depend on a unique or index that goes), then checks,
  // uniques, indexes. A changed definition goes here and comes back in the create group.
  void drop_indexes_and_constraints() {
    const std::vector<std::string> tables = common_tables();
    // Each table's drops are collected, then emitted: emitting changes the table being read.
    std::vector<Op> drops;
    for (const std::string& name : tables) {
      const Table& want = desired_.tables.at(name);
      const Table& have = *current_.find_table(name);
      auto changed = [&](const ForeignKey& fk) {
        const ForeignKey* w = find_named(want.foreign_keys, fk.name);
        return !w || !same_foreign_key(*w, fk);
      };
      for (const ForeignKey& fk : by_name_where(have.foreign_keys, changed)) {
        drops.push_back(DropConstraint{.table = name, .name = fk.name, .foreign_key = fk});
      }
      emit_all(drops);
    }
    for (const auto& [table, fk] : cycle_fk_drops_) {
      emit(DropConstraint{.table = table, .name = fk.name, .foreign_key = fk});
    }
    for (const std::string& name : tables) {
      const Table& want = desired_.tables.at(name);
      const Table& have = *current_.find_table(name);
      auto changed_check = [&](const Check& check) {
        const Check* w = find_named(want.checks, check.name);
        return !w || !same_check(*w, check, spelling_);
      };
      for (const Check& check : by_name_where(have.checks, changed_check)) {
        drops.push_back(DropConstraint{.table = name, .name = check.name, .check = check});
      }
      auto changed_unique = [&](const Unique& unique) {
        const Unique* w = find_named(want.unique, unique.name);
        return !w || !same_unique(*w, unique);
      };
      for (const Unique& unique : by_name_where(have.unique, changed_unique)) {
        drops.push_back(DropConstraint{.table = name, .name = unique.name, .unique = unique});
      }
      auto changed_index = [&](const Index& index) {
        const Index* w = find_named(want.indexes, index.name);
        return !w || !same_index(*w, index, spelling_);
      };
      for (const Index& index : by_name_where(have.indexes, changed_index)) {
        drops.push_back(DropIndex{.table = name, .index = index});
      }
      emit_all(drops);
    }
  }

  bool same_foreign_key(const ForeignKey& want, const ForeignKey& have) const {
    return want.columns == have.columns && want.ref_table == have.ref_table &&
           want.on_delete == have.on_delete && want.on_update == have.on_update &&
           (want.deferrable || want.initially_deferred) ==
               (have.deferrable || have.initially_deferred) &&
           want.initially_deferred == have.initially_deferred &&
           ref_columns(desired_, want) == ref_columns(current_, have);
  }

  void drop_columns() {
    for (const std::string& name : common_tables()) {
      const Table& want = desired_.tables.at(name);
      const Table& have = *current_.find_table(name);
      std::vector<Op> drops;
      auto gone = [&](const Column& column) { return !want.find_column(column.name); };
      for (const Column& column : by_name_where(have.columns, gone)) {
        drops.push_back(DropColumn{.table = name, .column = column});
      }
      emit_all(drops);
    }
  }

  // Whether `fk` of `table` can be created now: its table and columns exist.
  bool resolvable(const Table& table, const ForeignKey& fk) const {
    const Table* ref = fk.ref_table == table.name ? &table : current_.find_table(fk.ref_table);
    if (!ref) return false;
    return std::all_of(fk.ref_columns.begin(), fk.ref_columns.end(),
                       [&](const std::string& c) { return ref->find_column(c) != nullptr; });
  }

  // New tables, each after the tables it references. When none is ready (a cycle, or a
  // reference to a column added later), the first by name is created without the foreign
  // keys that cannot exist yet; create_indexes_and_constraints() adds them.
  void create_tables() {
    std::vector<std::string> pending;
    for (const auto& [name, table] : desired_.tables) {
      if (!current_.find_table(name)) pending.push_back(name);
    }
    // Kahn's algorithm, the first ready table by name first: a table is ready when every
    // foreign key of it resolves, and it can only become ready when a table its keys name is
    // created. waiting[i] counts table i's keys into other pending tables; at zero it is
    // checked once. When none is ready (a cycle, or a key to a column added later),
    // the first table left. (Scanning the pending names for the first ready one at every
    // step was quadratic when keys name later tables: 0.78 s at 2,000, 2.74 s at 4,000.)
    std::map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < pending.size(); ++i) index.emplace(pending[i], i);
    std::vector<std::size_t> waiting(pending.size(), 0);
    std::vector<std::vector<std::size_t>> dependents(pending.size());
    for (std::size_t i = 0; i < pending.size(); ++i) {
      for (const ForeignKey& fk : desired_.tables.at(pending[i]).foreign_keys) {
        auto it = index.find(fk.ref_table);
        if (it == index.end() || it->second == i) continue;
        dependents[it->second].push_back(i);
        ++waiting[i];
      }
    }
    auto ready = [&](std::size_t i) {
      const Table& table = desired_.tables.at(pending[i]);
      return std::all_of(table.foreign_keys.begin(), table.foreign_keys.end(),
                         [&](const ForeignKey& fk) { return resolvable(table, fk); });
    };
    std::set<std::size_t> ready_now, left;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      left.insert(i);
      if (waiting[i] == 0 && ready(i)) ready_now.insert(i);
    }
    while (!left.empty()) {
      const std::size_t pick = ready_now.empty() ? *left.begin() : *ready_now.begin();
      ready_now.erase(pick);
      left.erase(pick);
      Table table = without_hints(desired_.tables.at(pending[pick]));
      std::erase_if(table.foreign_keys,
                    [&](const ForeignKey& fk) { return !resolvable(table, fk); });
      emit(CreateTable{std::move(table)});
      for (std::size_t d : dependents[pick]) {
        if (--waiting[d] == 0 && left.count(d) && ready(d)) ready_now.insert(d);
      }
    }
  }

  void add_columns() {
    for (const auto& [name, want] : desired_.tables) {
      const Table* have = current_.find_table(name);
      if (!have) continue;
      for (const Column& wanted : want.columns) {  // model order: add_column appends
        if (have->find_column(wanted.name)) continue;
        Column column = wanted;
        column.renamed_from.reset();
        if (!column.nullable && !column.default_sql && !column.autoincrement) {
          result_.warnings.push_back(
              "table " + quoted(name) + ", column " + quoted(column.name) +
              ": adding a NOT NULL column without a default fails on a table with rows; give "
              "it a default, or add it nullable, fill it, then make it NOT NULL");
        }
        emit(AddColumn{.table = name, .column = std::move(column)});
        have = current_.find_table(name);
      }
    }
  }

  ColumnPatch patch(const Column& have, const Column& want) const {
    ColumnPatch change;
    if (have.type != want.type && spelling_.type(have.type) != spelling_.type(want.type)) {
      change.type = want.type;
    }
    if (have.nullable != want.nullable) change.nullable = want.nullable;
    if (!same_expression(have.default_sql, want.default_sql, spelling_)) {
      change.default_sql = want.default_sql;
    }
    if (compare_comments_ && have.comment != want.comment) change.comment = want.comment;
    return change;
  }

  void alter_columns() {
    for (const std::string& name : common_tables()) {
      const Table& want = desired_.tables.at(name);
      const Table& table = *current_.find_table(name);
      // Selected before any is emitted: an AlterColumn changes its own column only.
      auto differs = [&](const Column& column) {
        const Column* have = table.find_column(column.name);
        return have != nullptr && (have->autoincrement != column.autoincrement ||
                                   patch(*have, column) != ColumnPatch{});
      };
      for (const Column& column : by_name_where(want.columns, differs)) {
        const Column* have = current_.find_table(name)->find_column(column.name);
        const ColumnPatch change = patch(*have, column);
        if (have->autoincrement != column.autoincrement) {
          result_.warnings.push_back("table " + quoted(name) + ", column " + quoted(column.name) +
                                     ": autoincrement differs; no op can change it");
        }
        if (change == ColumnPatch{}) continue;
        ColumnState existing = state_of(*have);
        if (change.comment) existing.comment = have->comment;
        emit(AlterColumn{
            .table = name, .column = column.name, .change = change, .existing = existing});
      }
    }
  }

  // Uniques, indexes and checks first, foreign keys last (one may need a new unique).
  void create_indexes_and_constraints() {
    for (const auto& [name, want] : desired_.tables) {
      // Selected before any is emitted: creating one never makes another of the table's
      // present (names differ), and the table stays where it is in the map.
      const Table& have = *current_.find_table(name);
      auto new_unique = [&](const Unique& u) { return !find_named(have.unique, u.name); };
      auto new_index = [&](const Index& i) { return !find_named(have.indexes, i.name); };
      auto new_check = [&](const Check& c) { return !find_named(have.checks, c.name); };
      for (const Unique& unique : by_name_where(want.unique, new_unique)) {
        emit(CreateUnique{.table = name, .unique = unique});
      }
      for (const Index& index : by_name_where(want.indexes, new_index)) {
        emit(CreateIndex{.table = name, .index = index});
      }
      for (const Check& check : by_name_where(want.checks, new_check)) {
        emit(CreateCheck{.table = name, .check = check});
      }
    }
    for (const auto& [name, want] : desired_.tables) {
      const Table& have = *current_.find_table(name);
      auto new_fk = [&](const ForeignKey& fk) { return !find_named(have.foreign_keys, fk.name); };
      for (const ForeignKey& fk : by_name_where(want.foreign_keys, new_fk)) {
        emit(CreateForeignKey{.table = name, .foreign_key = fk});
      }
    }
  }

  void warn_inexpressible() {
    for (const std::string& name : common_tables()) {
      const Table& want = desired_.tables.at(name);
      const Table& have = *current_.find_table(name);
      if (want.primary_key != have.primary_key) {
        result_.warnings.push_back("table " + quoted(name) +
                                   ": the primary key differs; no op can change it");
      }
      if (compare_comments_ && want.comment != have.comment) {
        result_.warnings.push_back("table " + quoted(name) +
                                   ": the table comment differs; no op can change it");
      }
    }
  }

  const Schema& desired_;
  Schema current_;  // `actual` with every emitted op applied
  Schema* actual_out_;
  bool compare_comments_;
  Spelling spelling_;
  std::vector<std::pair<std::string, ForeignKey>> cycle_fk_drops_;
  DiffResult result_;
};

}  // namespace

DiffResult diff(const Schema& desired, Schema actual, const DiffOptions& options,
                Schema* actual_out) {
  // The Differ and its working copy of the schema are gone before the downgrade is built:
  // the reverse of N create_tables is N more copies of the tables (at 5000 tables the two
  // together were 20 MB of autogenerate's peak).
  DiffResult result = Differ(desired, std::move(actual), options, actual_out).run();
  if (options.downgrade) add_downgrade(result);
  return result;
}

void add_downgrade(DiffResult& result) {
  result.downgrade.clear();
  for (auto it = result.upgrade.rbegin(); it != result.upgrade.rend(); ++it) {
    auto reversed = model::reverse(*it);
    if (reversed) {
      result.downgrade.push_back(std::move(*reversed));
    } else {
      result.warnings.push_back("downgrade: " + model::format_error(reversed.error()));
    }
  }
}

}  // namespace distil::differ
