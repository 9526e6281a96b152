// Revision-file text for end-to-end tests: small builders shared by the SQLite and
// PostgreSQL suites.
#pragma once

#include <string>

namespace distil::testing {

// A revision file; `down` is YAML ("\"id\"" or a list), empty for a base.
inline std::string rev(const std::string& id, const std::string& down, const std::string& upgrade,
                       const std::string& downgrade, const std::string& extra = "") {
  return "revision: \"" + id + "\"\ndown_revision: " + (down.empty() ? "null" : down) +
         "\nmessage: rev " + id + "\ncreate_date: 2026-11-26T00:00:00Z\n" + extra +
         "upgrade:\n" + upgrade + "downgrade:\n" + downgrade;
}

// An op list entry creating table `table` (id integer primary key, v text).
inline std::string create(const std::string& table) {
  return "  - create_table: {name: " + table +
         ", columns: [{name: id, type: integer, primary_key: true}, {name: v, type: text}]}\n";
}
inline std::string drop(const std::string& table) {
  return "  - drop_table: {name: " + table + "}\n";
}

// A linear history a -> b -> c, each creating one table, in any project with add_revision.
template <class Project>
void linear(const Project& p) {
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", create("t1"), drop("t1")));
  p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"", create("t2"), drop("t2")));
  p.add_revision("0003_c.yaml", rev("cccc33330003", "\"bbbb22220002\"", create("t3"), drop("t3")));
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace distil::testing
