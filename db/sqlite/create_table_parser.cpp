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
Result<std::vector<Token>> tokenize(std::string_view sql) {
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
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && next == '*') {
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
    DISTIL_TRY(auto tokens, tokenize(sql));
    Parser p(sql, std::move(tokens));
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
};

// Reads `REFERENCES parent [(cols)]` starting at the parent's name, and the clauses of the
// foreign key after it (ON DELETE/UPDATE action, MATCH name, [NOT] DEFERRABLE [INITIALLY
// DEFERRED|IMMEDIATE]); returns the index after. The actions come from PRAGMA
// foreign_key_list; deferrability exists only in the SQL.
Result<std::size_t> parse_references(const Parser& p, std::size_t i, std::size_t end,
                                     ParsedForeignKey& fk) {
  if (i >= end || !is_name(p.tok(i))) {
    return fail(parse_error("expected a table name after REFERENCES"));
  }
  fk.ref_table = unquote(p.tok(i));
  ++i;
  if (i < end && p.is_punct(i, '(')) {
    DISTIL_TRY(fk.ref_columns, p.names_in(i));
    i = p.close_of(i) + 1;
  }
  bool deferrable = false;
  bool deferred = false;
  while (i < end) {
    if (p.is_keyword(i, "ON")) {
      i += 2;  // ON DELETE|UPDATE, then the action: one word, or SET NULL/DEFAULT, NO ACTION
      if (p.is_keyword(i, "SET") || p.is_keyword(i, "NO")) ++i;
      ++i;
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

// Reads the constraints in tokens [i, end). With `column` set they are column constraints of
// that column (PRIMARY KEY, UNIQUE, CHECK, REFERENCES, ...); otherwise table constraints,
// which SQLite lets follow each other without commas.
Result<void> parse_constraints(const Parser& p, std::size_t i, std::size_t end,
                               ParsedColumn* column, ParsedTable& out) {
  std::optional<std::string> pending;  // a `CONSTRAINT name` waiting for its constraint
  while (i < end) {
    if (p.is_punct(i, '(')) {
      i = p.close_of(i) + 1;
    } else if (p.is_keyword(i, "CONSTRAINT")) {
      if (i + 1 >= end || !is_name(p.tok(i + 1))) {
        return fail(parse_error("expected a name after CONSTRAINT"));
      }
      pending = unquote(p.tok(i + 1));
      i += 2;
    } else if (p.is_keyword(i, "PRIMARY")) {
      pending.reset();
      i += p.is_keyword(i + 1, "KEY") ? 2U : 1U;
      if (column == nullptr) {
        // PRIMARY KEY (id AUTOINCREMENT) is SQLite's table-level spelling of AUTOINCREMENT.
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
        i = p.close_of(open) + 1;
      }
    } else if (p.is_keyword(i, "AUTOINCREMENT")) {
      if (column != nullptr) column->autoincrement = true;
      ++i;
    } else if (p.is_keyword(i, "UNIQUE")) {
      ParsedUnique unique{.name = std::exchange(pending, std::nullopt)};
      ++i;
      if (column != nullptr) {
        unique.columns = {column->name};
      } else {
        DISTIL_TRY(std::size_t open, expect_open(p, i, end, "UNIQUE"));
        DISTIL_TRY(unique.columns, p.names_in(open));
        i = p.close_of(open) + 1;
      }
      out.uniques.push_back(std::move(unique));
    } else if (p.is_keyword(i, "CHECK")) {
      DISTIL_TRY(std::size_t open, expect_open(p, i + 1, end, "CHECK"));
      out.checks.push_back(
          ParsedCheck{.name = std::exchange(pending, std::nullopt), .expression = p.inside(open)});
      i = p.close_of(open) + 1;
    } else if (p.is_keyword(i, "REFERENCES") && column != nullptr) {
      ParsedForeignKey fk{.name = std::exchange(pending, std::nullopt), .columns = {column->name}};
      DISTIL_TRY(i, parse_references(p, i + 1, end, fk));
      out.foreign_keys.push_back(std::move(fk));
    } else if (p.is_keyword(i, "FOREIGN") && column == nullptr) {
      ParsedForeignKey fk{.name = std::exchange(pending, std::nullopt)};
      i += p.is_keyword(i + 1, "KEY") ? 2U : 1U;
      DISTIL_TRY(std::size_t open, expect_open(p, i, end, "FOREIGN KEY"));
      DISTIL_TRY(fk.columns, p.names_in(open));
      i = p.close_of(open) + 1;
      if (!p.is_keyword(i, "REFERENCES")) {
        return fail(parse_error("expected REFERENCES after FOREIGN KEY (...)"));
      }
      DISTIL_TRY(i, parse_references(p, i + 1, end, fk));
      out.foreign_keys.push_back(std::move(fk));
    } else {
      // NOT NULL, DEFAULT, COLLATE, GENERATED, ON CONFLICT, FK actions ...: nothing to record,
      // but a pending name belonged to one of them.
      static constexpr std::array kOtherConstraints = {"NOT",     "NULL",      "DEFAULT",
                                                       "COLLATE", "GENERATED", "AS"};
      for (std::string_view kw : kOtherConstraints) {
        if (p.is_keyword(i, kw)) pending.reset();
      }
      ++i;
    }
  }
  return {};
}

bool starts_table_constraint(const Parser& p, std::size_t i) {
  return p.is_keyword(i, "CONSTRAINT") || p.is_keyword(i, "PRIMARY") || p.is_keyword(i, "UNIQUE") ||
         p.is_keyword(i, "CHECK") || p.is_keyword(i, "FOREIGN");
}

// Where a column definition's type ends: at the first column-constraint keyword.
bool ends_type(const Parser& p, std::size_t i) {
  static constexpr std::array kStarts = {"CONSTRAINT", "PRIMARY", "NOT",     "NULL",       "UNIQUE",
                                         "CHECK",      "DEFAULT", "COLLATE", "REFERENCES", "AS"};
  for (std::string_view kw : kStarts) {
    if (p.is_keyword(i, kw)) return true;
  }
  return p.is_keyword(i, "GENERATED") && p.is_keyword(i + 1, "ALWAYS");
}

}  // namespace

Result<ParsedTable> parse_create_table(std::string_view sql) {
  DISTIL_TRY(auto p, Parser::make(sql));
  const std::size_t open = p.first_open(0);
  if (open == p.size()) return fail(parse_error("no column list in CREATE TABLE"));
  ParsedTable out;
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
