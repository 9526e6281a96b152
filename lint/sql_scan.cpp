// The SQL scanner behind lint's raw-SQL and view rules (see sql_scan.hpp).
#include "lint/sql_scan.hpp"

#include <cctype>

namespace distil::lint::detail {
namespace {

bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) {
  return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '$';
}
std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The index just past the quoted text opening at `i` (a doubled closing quote escapes).
size_t skip_quoted(std::string_view sql, size_t i, char close, std::string* text) {
  ++i;
  while (i < sql.size()) {
    if (sql[i] == close) {
      if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
        if (text) *text += close;
        i += 2;
        continue;
      }
      return i + 1;
    }
    if (text) *text += sql[i];
    ++i;
  }
  return i;
}

// PostgreSQL dollar quoting: $$...$$ or $tag$...$tag$; npos when `i` opens none.
size_t skip_dollar_quoted(std::string_view sql, size_t i) {
  size_t j = i + 1;
  while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) != 0 || sql[j] == '_'))
    ++j;
  if (j >= sql.size() || sql[j] != '$') return std::string_view::npos;
  const std::string_view tag = sql.substr(i, j - i + 1);
  const size_t close = sql.find(tag, j + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

bool is(const Word& w, std::string_view keyword) { return !w.quoted && w.text == keyword; }

// A possibly schema-qualified name starting at words[i]: "s"."t" or s.t gives t. Returns
// the index after it. Qualifiers are dropped: lint works within the configured schema.
size_t read_name(std::string_view sql, const std::vector<Word>& w, size_t i, size_t end,
                 std::string& name) {
  if (i >= end) return i;
  name = w[i].text;
  ++i;
  while (i < end && w[i - 1].end < sql.size() && sql[w[i - 1].end] == '.') {
    name = w[i].text;
    ++i;
  }
  return i;
}

Statement classify(std::string_view sql, const std::vector<Word>& w, size_t b, size_t e) {
  Statement s;
  size_t i = b;
  auto at = [&](std::string_view keyword) { return i < e && is(w[i], keyword); };
  if (at("create")) {
    ++i;
    if (at("or") && i + 1 < e && is(w[i + 1], "replace")) i += 2;
    while (at("temp") || at("temporary") || at("materialized") || at("recursive")) ++i;
    if (at("view")) {
      ++i;
      if (at("if") && i + 2 < e && is(w[i + 1], "not") && is(w[i + 2], "exists")) i += 3;
      s.kind = Statement::create_view;
      i = read_name(sql, w, i, e, s.name);
      // Skip an optional column list, then take the text after AS.
      while (i < e && !is(w[i], "as")) ++i;
      if (i < e) s.body = std::string(sql.substr(w[i].end, w[e - 1].end - w[i].end));
      return s;
    }
    if (at("unique")) {
      s.unique = true;
      ++i;
    }
    if (at("index")) {
      ++i;
      s.kind = Statement::create_index;
      if (at("concurrently")) {
        s.concurrently = true;
        ++i;
      }
      if (at("if") && i + 2 < e && is(w[i + 1], "not") && is(w[i + 2], "exists")) i += 3;
      if (!at("on")) i = read_name(sql, w, i, e, s.name);
      if (at("on")) {
        ++i;
        if (at("only")) ++i;
        read_name(sql, w, i, e, s.table);
      }
      return s;
    }
    return s;
  }
  if (at("drop")) {
    ++i;
    if (at("materialized")) ++i;
    if (!at("view")) return s;
    ++i;
    if (at("if") && i + 1 < e && is(w[i + 1], "exists")) i += 2;
    s.kind = Statement::drop_view;
    read_name(sql, w, i, e, s.name);  // the first view of a list is enough for lint's purpose
  }
  return s;
}

}  // namespace

std::vector<Word> words(std::string_view sql) {
  std::vector<Word> out;
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      i = skip_quoted(sql, i, '\'', nullptr);
    } else if (c == '"' || c == '`' || c == '[') {
      Word w{.quoted = true, .begin = i};
      i = skip_quoted(sql, i, c == '[' ? ']' : c, &w.text);
      w.end = i;
      out.push_back(std::move(w));
    } else if (c == '$' && skip_dollar_quoted(sql, i) != std::string_view::npos) {
      i = skip_dollar_quoted(sql, i);
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      while (i < n && (is_word_char(sql[i]) || sql[i] == '.')) ++i;
    } else if (is_word_start(c)) {
      const size_t begin = i;
      while (i < n && is_word_char(sql[i])) ++i;
      out.push_back(Word{.text = lower(sql.substr(begin, i - begin)), .begin = begin, .end = i});
    } else if (c == '(' || c == ')' || c == ',' || c == ';') {
      out.push_back(Word{.text = std::string(1, c), .begin = i, .end = i + 1});
      ++i;
    } else {
      ++i;
    }
  }
  return out;
}

bool mentions(std::string_view sql, std::string_view name) {
  const std::string low = lower(name);
  for (const Word& w : words(sql)) {
    if (w.quoted ? w.text == name : w.text == low) return true;
  }
  return false;
}

std::vector<Statement> statements(std::string_view sql) {
  const std::vector<Word> w = words(sql);
  std::vector<Statement> out;
  size_t begin = 0;
  for (size_t i = 0; i <= w.size(); ++i) {
    if (i < w.size() && !is(w[i], ";")) continue;
    if (i > begin) out.push_back(classify(sql, w, begin, i));
    begin = i + 1;
  }
  return out;
}

}  // namespace distil::lint::detail
