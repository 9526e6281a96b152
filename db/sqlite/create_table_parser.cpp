// A small tokenizer and structural parser for SQLite's stored CREATE TABLE / CREATE INDEX
// text (https://www.sqlite.org/lang_createtable.html). It reads structure only: expressions
// are kept as the exact source text, never interpreted.
#include "db/sqlite/create_table_parser.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace distil::db::sqlite {
namespace {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

enum class Kind { word, quoted, string, number, punct, other };

struct Token {
  Kind kind;
  std::size_t begin, end;  // byte offsets into the SQL
  std::string_view text;
};

bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c) || c == '$'; }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

Error parse_error(std::string message) {
  return Error{.code = ErrorCode::database, .message = std::move(message)};
}

// Splits SQL into tokens, dropping whitespace and comments. SQLite's own rules: '' doubles a
// quote inside a string, "" and `` inside quoted identifiers, [..] has no escape, `--` runs
// to the end of the line and an unterminated /* comment to the end of the input.
Result<std::vector<Token>> tokenize(std::string_view sql, bool& comments) {
  std::vector<Token> tokens;
  const std::size_t n = sql.size();
  std::size_t i = 0;
  auto push = [&](Kind kind, std::size_t begin, std::size_t end) {
    tokens.push_back(
        Token{.kind = kind, .begin = begin, .end = end, .text = sql.substr(begin, end - begin)});
  };
  while (i < n) {
    const char c = sql[i];
    const char next = i + 1 < n ? sql[i + 1] : '\0';
    if (is_space(c)) {
      ++i;
    } else if (c == '-' && next == '-') {
      comments = true;
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && next == '*') {
      comments = true;
      const std::size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      const std::size_t begin = i++;
      bool closed = false;
      while (i < n) {
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) {
        return fail(parse_error("unterminated " +
                                std::string(c == '\'' ? "string literal" : "quoted identifier") +
                                " at offset " + std::to_string(begin)));
      }
      push(c == '\'' ? Kind::string : Kind::quoted, begin, i);
    } else if (c == '[') {
      const std::size_t close = sql.find(']', i + 1);
      if (close == std::string_view::npos) {
        return fail(parse_error("unterminated [identifier] at offset " + std::to_string(i)));
      }
      push(Kind::quoted, i, close + 1);
      i = close + 1;
    } else if (is_ident_start(c)) {
      const std::size_t begin = i;
      while (i < n && is_ident_char(sql[i])) ++i;
      push(Kind::word, begin, i);
    } else if (is_digit(c) || (c == '.' && is_digit(next))) {
      const std::size_t begin = i;
      while (i < n) {
        const char d = sql[i];
        if ((d == 'e' || d == 'E') && i + 1 < n && (sql[i + 1] == '+' || sql[i + 1] == '-')) {
          i += 2;
        } else if (is_ident_char(d) || d == '.') {
          ++i;
        } else {
          break;
        }
      }
      push(Kind::number, begin, i);
    } else if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
      push(Kind::punct, i, i + 1);
      ++i;
    } else {
      // Operators and parameters: their exact spelling never matters to the structure.
      push(Kind::other, i, i + 1);
      ++i;
    }
  }
  return tokens;
}

// The unquoted name a token spells: "a""b" -> a"b, `x` -> x, [x] -> x, 'x' -> x, word as is.
std::string unquote(const Token& token) {
  const std::string_view t = token.text;
  if (token.kind == Kind::quoted && t.front() == '[') return std::string(t.substr(1, t.size() - 2));
  if (token.kind != Kind::quoted && token.kind != Kind::string) return std::string(t);
  const char q = t.front();
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 1; i + 1 < t.size(); ++i) {
    out += t[i];
    if (t[i] == q) ++i;  // a doubled quote stands for one
  }
  return out;
}

bool is_name(const Token& token) {
  return token.kind == Kind::word || token.kind == Kind::quoted || token.kind == Kind::string;
}

// The parsed tokens plus, for every '(' token, the index of its matching ')'.
class Parser {
 public:
  static Result<Parser> make(std::string_view sql) {
    bool comments = false;
    DISTIL_TRY(auto tokens, tokenize(sql, comments));
    Parser p(sql, std::move(tokens));
    p.comments_ = comments;
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < p.toks_.size(); ++i) {
      if (p.is_punct(i, '(')) {
        open.push_back(i);
      } else if (p.is_punct(i, ')')) {
        if (open.empty()) {
          return fail(parse_error("unbalanced ')' at offset " + std::to_string(p.toks_[i].begin)));
        }
        p.match_[open.back()] = i;
        open.pop_back();
      }
    }
    if (!open.empty()) {
      return fail(
          parse_error("unbalanced '(' at offset " + std::to_string(p.toks_[open.back()].begin)));
    }
    return p;
  }

  std::size_t size() const { return toks_.size(); }
  bool has_comments() const { return comments_; }
  const Token& tok(std::size_t i) const { return toks_[i]; }
  bool is_punct(std::size_t i, char c) const {
    return i < toks_.size() && toks_[i].kind == Kind::punct && toks_[i].text[0] == c;
  }
  bool is_keyword(std::size_t i, std::string_view kw) const {
    return i < toks_.size() && toks_[i].kind == Kind::word && iequals(toks_[i].text, kw);
  }
  std::size_t close_of(std::size_t open) const { return match_[open]; }
  // Index of the first '(' at nesting depth 0 at or after `from`, or size().
  std::size_t first_open(std::size_t from) const {
    std::size_t i = from;
    while (i < toks_.size() && !is_punct(i, '(')) ++i;
    return i;
  }
  // Source text from token `first` through token `last` (inclusive).
  std::string_view text(std::size_t first, std::size_t last) const {
    return sql_.substr(toks_[first].begin, toks_[last].end - toks_[first].begin);
  }
  // The exact text strictly between a '(' and its ')', trimmed of whitespace.
  std::string inside(std::size_t open) const {
    const std::size_t close = match_[open];
    std::string_view s = sql_.substr(toks_[open].end, toks_[close].begin - toks_[open].end);
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
  }
  // Splits tokens (first, last) exclusive at commas of depth 0 relative to that range.
  std::vector<std::pair<std::size_t, std::size_t>> split(std::size_t first,
                                                         std::size_t last) const {
    std::vector<std::pair<std::size_t, std::size_t>> parts;
    std::size_t begin = first;
    for (std::size_t i = first; i < last; ++i) {
      if (is_punct(i, '(')) {
        i = match_[i];
      } else if (is_punct(i, ',')) {
        parts.emplace_back(begin, i);
        begin = i + 1;
      }
    }
    parts.emplace_back(begin, last);
    return parts;
  }
  // The first identifier of each term inside a parenthesised list (`(a COLLATE x, "b" DESC)`).
  Result<std::vector<std::string>> names_in(std::size_t open) const {
    std::vector<std::string> names;
    for (auto [b, e] : split(open + 1, match_[open])) {
      if (b == e || !is_name(toks_[b])) {
        return fail(parse_error("expected a column name at offset " +
                                std::to_string(toks_[b == e ? open : b].begin)));
      }
      names.push_back(unquote(toks_[b]));
    }
    return names;
  }

 private:
  Parser(std::string_view sql, std::vector<Token> tokens)
      : sql_(sql), toks_(std::move(tokens)), match_(toks_.size(), 0) {}

  std::string_view sql_;
  std::vector<Token> toks_;
  std::vector<std::size_t> match_;
  bool comments_ = false;
};

// A parenthesised list of plain key columns: `(a, "b" ASC)`, and with `autoincrement` set a
// last `AUTOINCREMENT` (SQLite's table-level spelling of it). Anything else (COLLATE, DESC,
// an expression) gives nullopt: SQLite's index for it may differ from what the names say.
std::optional<std::vector<std::string>> plain_key_columns(const Parser& p, std::size_t open,
                                                          bool autoincrement) {
  std::vector<std::string> names;
  for (auto [b, e] : p.split(open + 1, p.close_of(open))) {
    if (b == e || !is_name(p.tok(b))) return std::nullopt;
    std::size_t i = b + 1;
    if (i < e && p.is_keyword(i, "ASC")) ++i;
    if (autoincrement && i + 1 == e && e == p.close_of(open) && p.is_keyword(i, "AUTOINCREMENT")) {
      ++i;
    }
    if (i != e) return std::nullopt;
    names.push_back(unquote(p.tok(b)));
  }
  return names;
}

// Reads `REFERENCES parent [(cols)]` starting at the parent's name, and the clauses of the
// foreign key after it (ON DELETE/UPDATE action, MATCH name, [NOT] DEFERRABLE [INITIALLY
// DEFERRED|IMMEDIATE]); returns the index after. A clause it cannot read ends the foreign
// key and clears `complete`.
Result<std::size_t> parse_references(const Parser& p, std::size_t i, std::size_t end,
                                     ParsedForeignKey& fk, bool& complete) {
  if (i >= end || !is_name(p.tok(i))) {
    return fail(parse_error("expected a table name after REFERENCES"));
  }
  fk.ref_table = unquote(p.tok(i));
  ++i;
  if (i < end && p.is_punct(i, '(')) {
    DISTIL_TRY(fk.ref_columns, p.names_in(i));
    if (!plain_key_columns(p, i, false)) complete = false;
    i = p.close_of(i) + 1;
  }
  bool deferrable = false;
  bool deferred = false;
  while (i < end) {
    if (p.is_keyword(i, "ON")) {
      // ON DELETE|UPDATE, then SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION
      std::string* action = p.is_keyword(i + 1, "DELETE")   ? &fk.on_delete
                            : p.is_keyword(i + 1, "UPDATE") ? &fk.on_update
                                                            : nullptr;
      if (action == nullptr) complete = false;
      std::string text;
      if ((p.is_keyword(i + 2, "SET") &&
           (p.is_keyword(i + 3, "NULL") || p.is_keyword(i + 3, "DEFAULT"))) ||
          (p.is_keyword(i + 2, "NO") && p.is_keyword(i + 3, "ACTION"))) {
        text = std::string(p.tok(i + 2).text) + " " + std::string(p.tok(i + 3).text);
        i += 4;
      } else if (p.is_keyword(i + 2, "CASCADE") || p.is_keyword(i + 2, "RESTRICT")) {
        text = std::string(p.tok(i + 2).text);
        i += 3;
      } else {
        complete = false;
        i += 3;
      }
      std::transform(text.begin(), text.end(), text.begin(), lower_ascii);
      if (action != nullptr && !text.empty()) *action = std::move(text);
    } else if (p.is_keyword(i, "MATCH")) {
      i += 2;
    } else if (p.is_keyword(i, "NOT") && i + 1 < end && p.is_keyword(i + 1, "DEFERRABLE")) {
      deferrable = false;
      i += 2;
    } else if (p.is_keyword(i, "DEFERRABLE")) {
      deferrable = true;
      ++i;
    } else if (p.is_keyword(i, "INITIALLY")) {
      deferred = i + 1 < end && p.is_keyword(i + 1, "DEFERRED");
      i += 2;
    } else {
      break;
    }
  }
  fk.deferrable = deferrable;
  fk.initially_deferred = deferrable && deferred;  // NOT DEFERRABLE INITIALLY DEFERRED: immediate
  return std::min(i, end);
}

Result<std::size_t> expect_open(const Parser& p, std::size_t i, std::size_t end,
                                std::string_view after) {
  if (i >= end || !p.is_punct(i, '(')) {
    return fail(parse_error("expected '(' after " + std::string(after)));
  }
  return i;
}

// `ON CONFLICT action` after a PRIMARY KEY, NOT NULL, NULL or UNIQUE: the index after it.
std::size_t skip_conflict_clause(const Parser& p, std::size_t i) {
  return p.is_keyword(i, "ON") && p.is_keyword(i + 1, "CONFLICT") ? i + 3 : i;
}

// A column's DEFAULT starting at token `i` (after the keyword): its text as PRAGMA table_xinfo
// gives it (SQLite keeps the source text: inside the parentheses and trimmed for `(expr)`,
// from the sign through the number for `-1`), and the index after it. nullopt for a form the
// text cannot settle (a blob literal, an expression without parentheses).
std::optional<std::pair<std::string, std::size_t>> default_value(const Parser& p, std::size_t i,
                                                                  std::size_t end) {
  if (i >= end) return std::nullopt;
  if (p.is_punct(i, '(')) return std::pair{p.inside(i), p.close_of(i) + 1};
  std::size_t last = i;
  const Token& first = p.tok(i);
  if (first.kind == Kind::other && (first.text == "-" || first.text == "+")) last = i + 1;
  if (last >= end) return std::nullopt;
  const Token& value = p.tok(last);
  const bool literal = value.kind == Kind::number ||
                       (last == i && (value.kind == Kind::string || value.kind == Kind::word));
  // X'0a' is a blob: a word glued to a string, which the tokenizer splits.
  const bool glued = last + 1 < end && p.tok(last + 1).begin == value.end &&
                     p.tok(last + 1).kind != Kind::punct;
  if (!literal || glued) return std::nullopt;
  return std::pair{std::string(p.text(i, last)), last + 1};
}

// Reads the constraints in tokens [i, end). With `column` set they are column constraints of
// that column (PRIMARY KEY, NOT NULL, DEFAULT, UNIQUE, CHECK, REFERENCES, ...); otherwise
// table constraints, which SQLite lets follow each other without commas. A form it does not
// know clears out.complete; only a malformed one is an error.
Result<void> parse_constraints(const Parser& p, std::size_t i, std::size_t end,
                               ParsedColumn* column, ParsedTable& out) {
  std::optional<std::string> pending;  // a `CONSTRAINT name` waiting for its constraint
  while (i < end) {
    if (p.is_keyword(i, "CONSTRAINT")) {
      if (i + 1 >= end || !is_name(p.tok(i + 1))) {
        return fail(parse_error("expected a name after CONSTRAINT"));
      }
      pending = unquote(p.tok(i + 1));
      i += 2;
    } else if (p.is_keyword(i, "PRIMARY")) {
      pending.reset();
      if (!p.is_keyword(i + 1, "KEY")) out.complete = false;
      i += p.is_keyword(i + 1, "KEY") ? 2U : 1U;
      if (column == nullptr) {
        DISTIL_TRY(std::size_t open, expect_open(p, i, end, "PRIMARY KEY"));
        bool autoincrement = false;
        for (std::size_t j = open + 1; j < p.close_of(open); ++j) {
          autoincrement = autoincrement || p.is_keyword(j, "AUTOINCREMENT");
        }
        DISTIL_TRY(auto names, p.names_in(open));
        if (autoincrement && names.size() == 1) {
          for (auto& c : out.columns) {
            if (iequals(c.name, names.front())) c.autoincrement = true;
          }
        }
        if (!plain_key_columns(p, open, true)) out.complete = false;
        out.primary_key = std::move(names);
        i = skip_conflict_clause(p, p.close_of(open) + 1);
      } else {
        column->primary_key = true;
        // DESC: `INTEGER PRIMARY KEY DESC` is not a rowid alias, which the text would miss.
        if (p.is_keyword(i, "ASC")) ++i;
        i = skip_conflict_clause(p, i);
      }
    } else if (p.is_keyword(i, "AUTOINCREMENT")) {
      if (column != nullptr) column->autoincrement = true;
      if (column == nullptr) out.complete = false;
      ++i;
    } else if (p.is_keyword(i, "UNIQUE")) {
      ParsedUnique unique{.name = std::exchange(pending, std::nullopt)};
      ++i;
      if (column != nullptr) {
        unique.columns = {column->name};
      } else {
        DISTIL_TRY(std::size_t open, expect_open(p, i, end, "UNIQUE"));
        DISTIL_TRY(unique.columns, p.names_in(open));
        if (!plain_key_columns(p, open, false)) out.complete = false;
        i = p.close_of(open) + 1;
      }
      i = skip_conflict_clause(p, i);
      out.uniques.push_back(std::move(unique));
    } else if (p.is_keyword(i, "CHECK")) {
      DISTIL_TRY(std::size_t open, expect_open(p, i + 1, end, "CHECK"));
      out.checks.push_back(
          ParsedCheck{.name = std::exchange(pending, std::nullopt), .expression = p.inside(open)});
      i = skip_conflict_clause(p, p.close_of(open) + 1);
    } else if (p.is_keyword(i, "REFERENCES") && column != nullptr) {
      ParsedForeignKey fk{.name = std::exchange(pending, std::nullopt), .columns = {column->name}};
      DISTIL_TRY(i, parse_references(p, i + 1, end, fk, out.complete));
      out.foreign_keys.push_back(std::move(fk));
    } else if (p.is_keyword(i, "FOREIGN") && column == nullptr) {
      ParsedForeignKey fk{.name = std::exchange(pending, std::nullopt)};
      i += p.is_keyword(i + 1, "KEY") ? 2U : 1U;
      DISTIL_TRY(std::size_t open, expect_open(p, i, end, "FOREIGN KEY"));
      DISTIL_TRY(fk.columns, p.names_in(open));
      if (!plain_key_columns(p, open, false)) out.complete = false;
      i = p.close_of(open) + 1;
      if (!p.is_keyword(i, "REFERENCES")) {
        return fail(parse_error("expected REFERENCES after FOREIGN KEY (...)"));
      }
      DISTIL_TRY(i, parse_references(p, i + 1, end, fk, out.complete));
      out.foreign_keys.push_back(std::move(fk));
    } else if (column != nullptr && p.is_keyword(i, "NOT") && p.is_keyword(i + 1, "NULL")) {
      pending.reset();
      column->not_null = true;
      i = skip_conflict_clause(p, i + 2);
    } else if (column != nullptr && p.is_keyword(i, "NULL")) {
      pending.reset();
      i = skip_conflict_clause(p, i + 1);
    } else if (column != nullptr && p.is_keyword(i, "COLLATE") && i + 1 < end &&
               is_name(p.tok(i + 1))) {
      pending.reset();
      i += 2;
    } else if (column != nullptr && p.is_keyword(i, "DEFAULT")) {
      pending.reset();
      if (auto value = default_value(p, i + 1, end)) {
        column->default_sql = std::move(value->first);
        i = value->second;
      } else {
        out.complete = false;
        ++i;
      }
    } else {
      // GENERATED ALWAYS AS, a stray parenthesis, DESC, ...: skipped (a pending name
      // belonged to it); the pragmas will say what it means.
      out.complete = false;
      static constexpr std::array kOtherConstraints = {"NOT",     "NULL",      "DEFAULT",
                                                       "COLLATE", "GENERATED", "AS"};
      for (std::string_view kw : kOtherConstraints) {
        if (p.is_keyword(i, kw)) pending.reset();
      }
      i = p.is_punct(i, '(') ? p.close_of(i) + 1 : i + 1;
    }
  }
  return {};
}

bool starts_table_constraint(const Parser& p, std::size_t i) {
  return p.is_keyword(i, "CONSTRAINT") || p.is_keyword(i, "PRIMARY") || p.is_keyword(i, "UNIQUE") ||
         p.is_keyword(i, "CHECK") || p.is_keyword(i, "FOREIGN");
}

// Where a column definition's type ends: at the first column-constraint keyword (SQLite's
// `ccons`; a bare [NOT] DEFERRABLE is one).
bool ends_type(const Parser& p, std::size_t i) {
  static constexpr std::array kStarts = {"CONSTRAINT", "PRIMARY",    "NOT", "NULL",
                                         "UNIQUE",     "CHECK",      "DEFAULT", "COLLATE",
                                         "REFERENCES", "DEFERRABLE", "AS"};
  for (std::string_view kw : kStarts) {
    if (p.is_keyword(i, kw)) return true;
  }
  return p.is_keyword(i, "GENERATED") && p.is_keyword(i + 1, "ALWAYS");
}

// A type in tokens [b, e) that PRAGMA table_xinfo reports as written: words, then at most
// `(n)` or `(p, s)` of signed numbers. (SQLite dequotes a quoted type in its own way.)
bool plain_type(const Parser& p, std::size_t b, std::size_t e) {
  std::size_t i = b;
  while (i < e && p.tok(i).kind == Kind::word) ++i;
  if (i == e) return true;
  if (i == b || !p.is_punct(i, '(') || p.close_of(i) + 1 != e) return false;
  int numbers = 0;
  for (std::size_t j = i + 1; j < e - 1; ++j) {
    const Token& t = p.tok(j);
    if (t.kind == Kind::other && (t.text == "+" || t.text == "-") && j + 1 < e - 1 &&
        p.tok(j + 1).kind == Kind::number) {
      continue;
    }
    if (t.kind == Kind::number) {
      ++numbers;
    } else if (!(p.is_punct(j, ',') && numbers == 1 && p.tok(j - 1).kind == Kind::number)) {
      return false;
    }
  }
  return numbers >= 1 && numbers <= 2 && p.tok(e - 2).kind == Kind::number;
}

}  // namespace

Result<ParsedTable> parse_create_table(std::string_view sql) {
  DISTIL_TRY(auto p, Parser::make(sql));
  const std::size_t open = p.first_open(0);
  if (open == p.size()) return fail(parse_error("no column list in CREATE TABLE"));
  ParsedTable out;
  out.complete = !p.has_comments();
  for (auto [b, e] : p.split(open + 1, p.close_of(open))) {
    if (b == e) return fail(parse_error("empty column definition in CREATE TABLE"));
    if (starts_table_constraint(p, b)) {
      DISTIL_CHECK(parse_constraints(p, b, e, nullptr, out));
      continue;
    }
    if (!is_name(p.tok(b))) {
      return fail(
          parse_error("expected a column name at offset " + std::to_string(p.tok(b).begin)));
    }
    ParsedColumn column{.name = unquote(p.tok(b))};
    std::size_t i = b + 1;
    while (i < e && !ends_type(p, i)) i = p.is_punct(i, '(') ? p.close_of(i) + 1 : i + 1;
    if (i > b + 1) column.type = std::string(p.text(b + 1, i - 1));
    if (!plain_type(p, b + 1, i)) out.complete = false;
    out.columns.push_back(column);
    DISTIL_CHECK(parse_constraints(p, i, e, &out.columns.back(), out));
  }
  return out;
}

Result<ParsedIndex> parse_create_index(std::string_view sql) {
  DISTIL_TRY(auto p, Parser::make(sql));
  const std::size_t open = p.first_open(0);
  if (open == p.size()) return fail(parse_error("no column list in CREATE INDEX"));
  ParsedIndex out{.unique = p.is_keyword(1, "UNIQUE")};
  for (auto [b, e] : p.split(open + 1, p.close_of(open))) {
    if (b == e) return fail(parse_error("empty term in CREATE INDEX"));
    ParsedIndexTerm term{.text = std::string(p.text(b, e - 1))};
    if (is_name(p.tok(b)) && (e == b + 1 || (e == b + 2 && p.is_keyword(b + 1, "ASC")))) {
      term.column = unquote(p.tok(b));
    }
    out.terms.push_back(std::move(term));
  }
  std::size_t i = p.close_of(open) + 1;
  if (p.is_keyword(i, "WHERE")) {
    std::size_t last = p.size() - 1;
    if (p.is_punct(last, ';')) --last;
    if (last > i) out.where = std::string(p.text(i + 1, last));
  }
  return out;
}

}  // namespace distil::db::sqlite
