// Reads what SQLite's pragmas cannot tell from the stored CREATE TABLE / CREATE INDEX text:
// constraint names, CHECK expressions, AUTOINCREMENT, declared type spelling, index terms.
// Used only by db/sqlite/introspect.cpp; the pragmas stay the authority for everything else.
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
};

struct ParsedCheck {
  std::optional<std::string> name;
  std::string expression;  // the exact text inside CHECK ( ... ), trimmed
};

// Column-level and table-level constraints merge into one list each, in declaration order.
struct ParsedTable {
  std::vector<ParsedColumn> columns;
  std::vector<ParsedUnique> uniques;
  std::vector<ParsedForeignKey> foreign_keys;
  std::vector<ParsedCheck> checks;
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
