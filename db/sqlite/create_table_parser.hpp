// Reads SQLite's stored CREATE TABLE / CREATE INDEX text (sqlite_schema.sql). Introspection
// (db/sqlite/introspect.cpp) takes from it what no pragma tells: constraint names, CHECKs,
// AUTOINCREMENT, declared type spelling, index terms. For a table written in the plain forms
// (ParsedTable::complete) it also takes what PRAGMA table_xinfo, foreign_key_list and
// index_list would report, which saves SQLite a statement prepare per table and pragma.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace distil::db::sqlite {

struct ParsedColumn {
  std::string name;  // unquoted
  std::string type;  // the declared type's text as written ("" when none)
  bool autoincrement = false;
  // As PRAGMA table_xinfo reports them (exact when the table is complete):
  bool not_null = false;                   // NOT NULL
  bool primary_key = false;                // a column-level PRIMARY KEY
  std::optional<std::string> default_sql;  // dflt_value: the DEFAULT's text as SQLite keeps it
};

struct ParsedUnique {
  std::optional<std::string> name;  // from `CONSTRAINT name`, unquoted
  std::vector<std::string> columns;
};

struct ParsedForeignKey {
  std::optional<std::string> name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;  // empty when the clause names none (the parent's PK)
  bool deferrable = false;                // DEFERRABLE (not NOT DEFERRABLE)
  bool initially_deferred = false;        // DEFERRABLE INITIALLY DEFERRED
  std::string on_update = "no action";    // the action as written, lower case, one space
  std::string on_delete = "no action";    // ("set null", "cascade", ...)
};

struct ParsedCheck {
  std::optional<std::string> name;
  std::string expression;  // the exact text inside CHECK ( ... ), trimmed
};

// Column-level and table-level constraints merge into one list each, in declaration order.
struct ParsedTable {
  std::vector<ParsedColumn> columns;
  std::vector<std::string> primary_key;  // a table-level PRIMARY KEY's columns, as written
  std::vector<ParsedUnique> uniques;
  std::vector<ParsedForeignKey> foreign_keys;
  std::vector<ParsedCheck> checks;
  // True when every column and constraint is in a form whose pragma rows the text fixes:
  // plain types (words, optionally `(n)` or `(p, s)`), DEFAULT as a literal, a signed number,
  // a word or `(expr)`, keys of plain column names, no comment, no generated column. Anything
  // else clears it, and introspection asks the pragmas for this table.
  bool complete = true;
};

// Parses a CREATE TABLE statement as SQLite stores it in sqlite_schema.sql. Handles quoted
// identifiers ("a""b", `x`, [x], 'x'), string literals, comments, nested parentheses and table
// constraints without separating commas. Errors (ErrorCode::database) on unterminated
// literals, unbalanced parentheses or a missing column list.
model::Result<ParsedTable> parse_create_table(std::string_view sql);

struct ParsedIndexTerm {
  std::string text;                   // the term as written, trimmed (e.g. `lower(name) DESC`)
  std::optional<std::string> column;  // unquoted name when the term is one identifier [ASC]
};

struct ParsedIndex {
  bool unique = false;  // CREATE UNIQUE INDEX
  std::vector<ParsedIndexTerm> terms;
  std::optional<std::string> where;  // a partial index's predicate as written, trimmed
};

// Parses a CREATE [UNIQUE] INDEX statement as stored in sqlite_schema.sql.
model::Result<ParsedIndex> parse_create_index(std::string_view sql);

}  // namespace distil::db::sqlite
