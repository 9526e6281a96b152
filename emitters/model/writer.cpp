// model::Schema -> YAML model text (DESIGN §4), written with the revision writer's quoting and
// flow style (emitters/revision/yaml_text) so both kinds of file read alike.
#include "emitters/model/writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string_view>
#include <utility>

#include "emitters/revision/yaml_text.hpp"
#include "model/names.hpp"

namespace distil::emitters {
namespace {

using namespace distil::model;
using namespace distil::emitters::yaml_text;

constexpr std::size_t kMaxFileStem = 100;  // bytes; well under every file system's limit

// The table body as DESIGN §4 lays it out, without the defaults the loader fills in.
Value table_body(const Table& table) {
  Value v = map();
  if (table.comment) v.add("comment", scalar(*table.comment));
  if (table.renamed_from) v.add("renamed_from", scalar(*table.renamed_from));
  const bool single_pk = table.primary_key.size() == 1;
  std::vector<Value> columns;
  for (const Column& column : table.columns) {
    columns.push_back(column_value(column, single_pk && table.primary_key[0] == column.name));
  }
  v.add("columns", list(std::move(columns)));
  if (table.primary_key.size() > 1) v.add("primary_key", names(table.primary_key));

  std::vector<Value> items;
  const auto add_items = [&](const char* key) {
    if (!items.empty()) v.add(key, list(std::move(items)));
    items.clear();
  };
  for (Unique unique : table.unique) {
    if (unique.name == unique_name(table.name, unique.columns)) unique.name.clear();
    items.push_back(unique_fields(map(), unique));
  }
  add_items("unique");
  for (Index index : table.indexes) {
    if (index.name == index_name(table.name, index.columns)) index.name.clear();
    items.push_back(index_fields(map(), index));
  }
  add_items("indexes");
  for (ForeignKey fk : table.foreign_keys) {
    if (fk.name == foreign_key_name(table.name, fk.columns, fk.ref_table)) fk.name.clear();
    items.push_back(foreign_key_fields(map(), fk));
  }
  add_items("foreign_keys");
  for (std::size_t i = 0; i < table.checks.size(); ++i) {
    Check check = table.checks[i];
    // Unnamed checks are numbered by position, so the order written is the order read.
    if (check.name == check_name(table.name, static_cast<int>(i + 1))) check.name.clear();
    items.push_back(check_fields(map(), check));
  }
  add_items("checks");
  return v;
}

// `  name:` and the body below it.
void write_table(std::string& out, const Table& table) {
  out += "  " + plain_or_quoted(table.name) + ":\n";
  for (const auto& [key, value] : table_body(table).fields) {
    out += "    " + key + ":";
    write_block_value(out, value, 6);
  }
}

bool is_device_name(std::string_view stem) {
  std::string lower(stem);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 4> kDevices = {"con", "prn", "aux", "nul"};
  if (std::find(kDevices.begin(), kDevices.end(), lower) != kDevices.end()) return true;
  return lower.size() == 4 && (lower.starts_with("com") || lower.starts_with("lpt")) &&
         std::isdigit(static_cast<unsigned char>(lower[3])) != 0;
}

bool is_safe_stem(std::string_view stem) {
  return !stem.empty() && stem.size() <= kMaxFileStem && !is_device_name(stem) &&
         std::all_of(stem.begin(), stem.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x80 && (std::isalnum(byte) != 0 || c == '_' || c == '-');
         });
}

// The table name with unsafe bytes replaced, cut, and a hash of the full name appended.
std::string hashed_stem(std::string_view table) {
  std::string stem;
  for (char c : table) {
    const auto byte = static_cast<unsigned char>(c);
    stem += byte < 0x80 && (std::isalnum(byte) != 0 || c == '-') ? c : '_';
    if (stem.size() >= kMaxFileStem) break;
  }
  return stem + fmt::format("_{:08x}", fnv1a32(table));
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::vector<std::string> table_order(const Schema& schema) {
  // Kahn's algorithm, taking the smallest ready name each time; a cycle of references (which
  // a database allows) falls back to name order for the tables left.
  std::vector<std::string> order;
  std::set<std::string> done;
  while (order.size() < schema.tables.size()) {
    const std::string* next = nullptr;
    for (const auto& [name, table] : schema.tables) {
      if (done.count(name) != 0) continue;
      const bool ready =
          std::all_of(table.foreign_keys.begin(), table.foreign_keys.end(), [&](const auto& fk) {
            return fk.ref_table == name || done.count(fk.ref_table) != 0 ||
                   schema.tables.count(fk.ref_table) == 0;
          });
      if (ready) {
        next = &name;
        break;
      }
    }
    if (next == nullptr) {
      for (const auto& [name, table] : schema.tables) {
        if (done.count(name) == 0) {
          next = &name;
          break;
        }
      }
    }
    order.push_back(*next);
    done.insert(*next);
  }
  return order;
}

std::string write_models(const Schema& schema) {
  if (schema.tables.empty()) return "tables: {}\n";
  std::string out = "tables:\n";
  bool first = true;
  for (const std::string& name : table_order(schema)) {
    if (!first) out += '\n';
    first = false;
    write_table(out, schema.tables.at(name));
  }
  return out;
}

std::map<std::string, std::string> write_model_files(const Schema& schema) {
  std::map<std::string, std::string> files;
  std::set<std::string> taken;  // lower-cased stems: some file systems ignore case
  for (const auto& [name, table] : schema.tables) {
    std::string stem = is_safe_stem(name) ? name : hashed_stem(name);
    if (taken.count(lower_case(stem)) != 0) stem = hashed_stem(name);
    for (int n = 2; taken.count(lower_case(stem)) != 0; ++n) {
      stem = hashed_stem(name) + "_" + std::to_string(n);
    }
    taken.insert(lower_case(stem));
    std::string text = "tables:\n";
    write_table(text, table);
    files.emplace(stem + ".yaml", std::move(text));
  }
  return files;
}

}  // namespace distil::emitters
