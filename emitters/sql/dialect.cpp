// Dialect names, the quoting and the text helpers both SQL dialects share.
#include "emitters/sql/dialect.hpp"

#include <cctype>

namespace distil::emitters {

std::string to_string(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite:
      return "sqlite";
    case Dialect::postgresql:
      return "postgresql";
  }
  return "sqlite";
}

namespace {
std::string quote_with(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out += quote;
  for (char c : text) {
    if (c == quote) out += quote;  // doubling is the only escape either dialect needs
    out += c;
  }
  out += quote;
  return out;
}
}  // namespace

std::string quote_identifier(std::string_view name) { return quote_with(name, '"'); }

std::string quote_literal(std::string_view text) { return quote_with(text, '\''); }

std::string join_quoted(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += quote_identifier(name);
  }
  return out;
}

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string trim_statement(std::string_view sql) {
  std::string text = trim(sql);
  while (!text.empty() && text.back() == ';')
    text = trim(std::string_view(text).substr(0, text.size() - 1));
  return text;
}

bool is_parenthesized(std::string_view s) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote re-enters on the next char: same effect
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0 && i + 1 != s.size()) {
      return false;
    }
  }
  return depth == 0;
}

model::Schema known_tables(const SchemaSource& source, const std::vector<std::string>& names) {
  model::Schema schema;
  if (!source.table) return schema;
  for (const std::string& name : names) {
    if (name.empty() || schema.find_table(name)) continue;
    if (auto table = source.table(name)) schema.tables.emplace(name, std::move(*table));
  }
  return schema;
}

RenderedOp render_raw_sql(const model::RawSql& op, Dialect dialect) {
  std::optional<std::string> sql = op.any;
  if (auto it = op.by_dialect.find(to_string(dialect)); it != op.by_dialect.end()) {
    sql = it->second;
  }
  RenderedOp out;
  if (!sql) return out;
  std::string text = trim_statement(*sql);
  if (!text.empty()) out.statements.push_back(std::move(text));
  return out;
}

}  // namespace distil::emitters
