// Internal to lint/: a small SQL scanner (not a parser) for what the rules need from raw SQL
// and view definitions: identifiers, and the CREATE/DROP VIEW and CREATE INDEX statements of
// a script. Works for both dialects' spelling; literals and comments are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace distil::lint::detail {

struct Word {
  std::string text;  // unquoted; lower case unless it was quoted
  bool quoted = false;
  size_t begin = 0, end = 0;  // its bytes in the text, quotes included
};

// The words and quoted identifiers of `sql` in order; literals, comments, numbers and
// punctuation left out, except that "(", ")", "," and ";" are kept as one-character words
// (quoted = false) so statements can be split and parenthesised lists skipped.
std::vector<Word> words(std::string_view sql);

// True when `name` appears in `sql` as an identifier (bare: any case; quoted: exact).
bool mentions(std::string_view sql, std::string_view name);

// A statement of a raw `sql:` op that lint cares about.
struct Statement {
  enum Kind { create_view, drop_view, create_index, other } kind = other;
  std::string name;          // the view or index ("" for an unnamed index)
  std::string table;         // create_index: the indexed table
  bool concurrently = false;  // create_index
  bool unique = false;        // create_index
  std::string body;          // create_view: the text after AS
};

// The statements of a SQL script, split at top-level semicolons.
std::vector<Statement> statements(std::string_view sql);

}  // namespace distil::lint::detail
