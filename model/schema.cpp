// The schema model's small lookups and the FK action vocabulary shared by YAML, SQL and
// introspection.
#include "model/schema.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace distil::model {

std::optional<FkAction> parse_fk_action(std::string_view text) {
  // Accept the YAML spelling ("set null"), the SQL spelling ("SET NULL", as introspection
  // reports it) and the enumerator spelling ("set_null").
  std::string norm;
  for (char c : text) {
    norm += c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (norm == "no action") return FkAction::no_action;
  if (norm == "restrict") return FkAction::restrict;
  if (norm == "cascade") return FkAction::cascade;
  if (norm == "set null") return FkAction::set_null;
  if (norm == "set default") return FkAction::set_default;
  return std::nullopt;
}

std::string to_string(FkAction action) {
  switch (action) {
    case FkAction::no_action:
      return "no action";
    case FkAction::restrict:
      return "restrict";
    case FkAction::cascade:
      return "cascade";
    case FkAction::set_null:
      return "set null";
    case FkAction::set_default:
      return "set default";
  }
  return "no action";
}

std::string to_sql(FkAction action) {
  std::string text = to_string(action);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

const Column* Table::find_column(std::string_view column) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const Column& c) { return c.name == column; });
  return it == columns.end() ? nullptr : &*it;
}

Column* Table::find_column(std::string_view column) {
  return const_cast<Column*>(std::as_const(*this).find_column(column));
}

bool Table::is_primary_key(std::string_view column) const {
  return std::find(primary_key.begin(), primary_key.end(), column) != primary_key.end();
}

const Table* Schema::find_table(std::string_view table) const {
  auto it = tables.find(std::string(table));
  return it == tables.end() ? nullptr : &it->second;
}

Table* Schema::find_table(std::string_view table) {
  return const_cast<Table*>(std::as_const(*this).find_table(table));
}

namespace {

bool has_index(const Table& table, std::string_view index) {
  return std::any_of(table.indexes.begin(), table.indexes.end(),
                     [&](const Index& ix) { return ix.name == index; });
}

}  // namespace

const Table* Schema::find_index_owner(std::string_view index) const {
  if (index_owner_tables_ != tables.size()) {
    index_owner_.clear();
    for (const auto& [name, table] : tables) {
      for (const Index& ix : table.indexes) index_owner_.emplace(ix.name, name);
    }
    index_owner_tables_ = tables.size();
  }
  const auto found = index_owner_.find(std::string(index));
  if (found == index_owner_.end()) return nullptr;
  if (const Table* owner = find_table(found->second); owner != nullptr && has_index(*owner, index))
    return owner;
  // A stale entry (the index or its table was dropped or renamed): look everywhere.
  for (const auto& [name, table] : tables) {
    if (has_index(table, index)) {
      found->second = name;
      return &table;
    }
  }
  return nullptr;
}

std::vector<std::string> Schema::tables_referencing(std::string_view table) const {
  if (referrers_tables_ != tables.size()) {
    referrers_.clear();
    for (const auto& [name, other] : tables) {
      for (const ForeignKey& fk : other.foreign_keys) referrers_[fk.ref_table].push_back(name);
    }
    referrers_tables_ = tables.size();
  }
  const auto found = referrers_.find(std::string(table));
  if (found == referrers_.end()) return {};
  // Drop the repeats and the stale entries, so the list does not grow with every change.
  std::vector<std::string>& candidates = found->second;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::erase_if(candidates, [&](const std::string& name) {
    const Table* other = find_table(name);
    return other == nullptr ||
           std::none_of(other->foreign_keys.begin(), other->foreign_keys.end(),
                        [&](const ForeignKey& fk) { return fk.ref_table == table; });
  });
  return candidates;
}

bool Schema::follow(std::size_t& built_for, std::size_t before) {
  const bool in_step = built_for == before;
  built_for = in_step ? tables.size() : kUnknown;
  return in_step;
}

void Schema::add_indexes_of(const Table& table) {
  for (const Index& ix : table.indexes) index_owner_.insert_or_assign(ix.name, table.name);
}

void Schema::add_foreign_keys_of(const Table& table) {
  for (const ForeignKey& fk : table.foreign_keys) referrers_[fk.ref_table].push_back(table.name);
}

void Schema::note_table_added(const Table& table) {
  if (follow(index_owner_tables_, tables.size() - 1)) add_indexes_of(table);
  if (follow(referrers_tables_, tables.size() - 1)) add_foreign_keys_of(table);
}

void Schema::note_table_dropped() {
  follow(index_owner_tables_, tables.size() + 1);
  follow(referrers_tables_, tables.size() + 1);
}

void Schema::note_table_renamed(const Table& table, const std::string& from) {
  // Its index names now belong to it under its new name; the foreign keys into `from` (now
  // into table.name) and its own foreign keys name it anew.
  if (index_owner_tables_ == tables.size()) add_indexes_of(table);
  if (referrers_tables_ != tables.size()) return;
  if (const auto found = referrers_.find(from); found != referrers_.end()) {
    std::vector<std::string> moved = std::move(found->second);
    referrers_.erase(found);
    std::vector<std::string>& into = referrers_[table.name];
    into.insert(into.end(), moved.begin(), moved.end());
  }
  add_foreign_keys_of(table);
}

void Schema::note_index_added(const std::string& index, const std::string& table) {
  if (index_owner_tables_ == tables.size()) index_owner_.insert_or_assign(index, table);
}

void Schema::note_foreign_key_added(const std::string& table, const std::string& ref_table) {
  if (referrers_tables_ == tables.size()) referrers_[ref_table].push_back(table);
}

}  // namespace distil::model
