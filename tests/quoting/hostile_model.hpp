// Models whose every table, column, index and constraint name is hostile to SQL: keywords,
// mixed case, quotes, semicolons, non-ASCII, a 63-byte name. Shared by the SQLite and
// PostgreSQL quoting suites.
#pragma once

#include <string>
#include <vector>

namespace distil::testing::quoting {

// Exactly 63 bytes: PostgreSQL's NAMEDATALEN - 1, the longest name kept whole.
inline std::string long_name() {
  std::string name = "a 63-byte name with spaces, Capitals and punctuation! ";
  name.resize(63, 'z');
  return name;
}

inline const std::vector<std::string>& names() {
  static const std::vector<std::string> n = {"end",     "select", "Mixed Case", "a\"b",      "semi;colon",
                                             "naïve_ñ", "日本",   "x'y",        long_name()};
  return n;
}

// A YAML double-quoted scalar.
inline std::string yq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A SQL quoted identifier (both dialects): "a""b".
inline std::string sq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A SQL string literal: 'x''y'.
inline std::string lit(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// An index or unique-constraint name from a hostile name (indexes share the table namespace
// on both dialects, so they cannot reuse the table names), at most 63 bytes.
inline std::string relation_name(const std::string& prefix, const std::string& name) {
  std::string out = prefix + " " + name;
  if (out.size() > 63) out.resize(63);
  return out;
}

// The columns of every table: all the hostile names. "end" is the integer primary key,
// "Mixed Case" text NOT NULL with a default, "naïve_ñ" varchar(20), the rest integers.
inline std::string column_yaml(const std::string& c, const std::string& type_override = "") {
  const auto& n = names();
  std::string type = type_override.empty()
                         ? (c == n[2] ? "text" : c == n[5] ? "varchar(20)" : "integer")
                         : type_override;
  std::string out = "      - {name: " + yq(c) + ", type: " + yq(type);
  if (c == n[0]) out += ", primary_key: true";
  if (c == n[2]) out += ", nullable: false, default: " + yq("'it''s; DROP TABLE victim; --'");
  return out + "}\n";
}

// Version 1: table i (named names()[i]) has every hostile column, an index "ix <name>" on
// ("a\"b", "semi;colon") (partial on the first table), a unique constraint "uq <name>" on
// "x'y", a check "ck <name>" and, from the second table on, a foreign key "fk <name>" from
// "select" to the previous table's "end" (ON DELETE CASCADE). (Constraint and index names
// are unique in the whole schema, so each carries its table's name.)
// Version 2 (`v2`): in table "日本" the column "日本" is renamed to "日本語", "naïve_ñ"
// becomes text (a SQLite rebuild), the 63-byte column is dropped and `new "col"` added;
// the 63-byte table is renamed to "renamed; table".
inline std::string model_yaml(bool v2) {
  const auto& n = names();
  std::string y = "tables:\n";
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string& t = n[i];
    const bool changed = v2 && t == n[6];
    if (v2 && i == 8) {
      y += "  " + yq("renamed; table") + ":\n    renamed_from: " + yq(t) + "\n";
    } else {
      y += "  " + yq(t) + ":\n";
    }
    y += "    comment: " + yq("table " + t + "'; DROP TABLE victim; --") + "\n";
    y += "    columns:\n";
    for (const auto& c : n) {
      if (changed && c == n[8]) continue;
      if (changed && c == n[6]) {
        y += "      - {name: " + yq("日本語") + ", type: integer, renamed_from: " + yq(c) + "}\n";
      } else if (changed && c == n[5]) {
        y += column_yaml(c, "text");
      } else {
        y += column_yaml(c);
      }
    }
    if (changed) y += "      - {name: " + yq("new \"col\"") + ", type: text}\n";
    y += "    indexes:\n      - {name: " + yq(relation_name("ix", t)) + ", columns: [" + yq(n[3]) +
         ", " + yq(n[4]) + "]" + (i == 0 ? ", where: " + yq(sq(n[6]) + " > 0") : "") + "}\n";
    y += "    unique: [{name: " + yq(relation_name("uq", t)) + ", columns: [" + yq(n[7]) + "]}]\n";
    y += "    checks: [{name: " + yq(relation_name("ck", t)) + ", expression: " +
         yq(sq(n[4]) + " >= 0") + "}]\n";
    if (i > 0) {
      y += "    foreign_keys: [{name: " + yq(relation_name("fk", t)) + ", columns: [" + yq(n[1]) +
           "], references: {table: " + yq(n[i - 1]) + ", columns: [" + yq(n[0]) +
           "]}, on_delete: cascade}]\n";
    }
  }
  return y;
}

// The tables and, per table, the columns the database must hold after version 1 or 2, in
// declaration order.
struct ExpectedTable {
  std::string name;
  std::vector<std::string> columns;
};
inline std::vector<ExpectedTable> expected_tables(bool v2) {
  const auto& n = names();
  std::vector<ExpectedTable> out;
  for (size_t i = 0; i < n.size(); ++i) {
    ExpectedTable t{.name = (v2 && i == 8) ? "renamed; table" : n[i], .columns = n};
    if (v2 && n[i] == n[6]) {
      t.columns = {n[0], n[1], n[2], n[3], n[4], n[5], "日本語", n[7], "new \"col\""};
    }
    out.push_back(t);
  }
  return out;
}

// Names that try to break out of their quotes.
inline const std::vector<std::string>& injections() {
  static const std::vector<std::string> n = {"x\"; DROP TABLE victim; --",
                                             "x'); DROP TABLE victim; --",
                                             "x`]; DROP TABLE victim; --"};
  return n;
}

// `victim` (with a row seeded by the test) plus a table and columns, index, unique, check
// and foreign key named by injections() (the key "fk " + the second); with `changed`, the injected table's second column
// changes type (a SQLite rebuild) and the third is renamed.
inline std::string injection_yaml(bool with_hostile, bool changed) {
  const auto& x = injections();
  std::string y = "tables:\n  victim:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n";
  if (!with_hostile) return y;
  y += "  " + yq(x[0]) + ":\n    comment: " + yq(x[1]) + "\n    columns:\n";
  y += "      - {name: " + yq(x[0]) + ", type: integer, primary_key: true}\n";
  y += "      - {name: " + yq(x[1]) + ", type: " + (changed ? "bigint" : "integer") +
       ", comment: " + yq(x[0]) + "}\n";
  if (changed) {
    y += "      - {name: " + yq(x[2] + " 2") + ", type: integer, renamed_from: " + yq(x[2]) + "}\n";
  } else {
    y += "      - {name: " + yq(x[2]) + ", type: integer}\n";
  }
  const std::string third = changed ? x[2] + " 2" : x[2];
  y += "    indexes: [{name: " + yq(x[1]) + ", columns: [" + yq(x[1]) + "]}]\n";
  y += "    unique: [{name: " + yq(x[2]) + ", columns: [" + yq(third) + "]}]\n";
  y += "    checks: [{name: " + yq(x[0]) + ", expression: " + yq(sq(x[1]) + " > 0") + "}]\n";
  y += "    foreign_keys: [{name: " + yq("fk " + x[1]) + ", columns: [" + yq(x[1]) +
       "], references: {table: victim, columns: [id]}, on_delete: cascade}]\n";
  return y;
}

}  // namespace distil::testing::quoting
