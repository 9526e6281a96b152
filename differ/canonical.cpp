// Canonical spellings of types and SQL expressions, so the differ compares meaning, not text
// ("int4" == "integer", "(0)" == "0"). Comparison only: ops keep the model's own spelling.
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "differ/diff.hpp"

namespace distil::differ {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The index just past the quoted section that opens at `begin` (a doubled quote escapes).
size_t skip_quoted(std::string_view text, size_t begin) {
  const char quote = text[begin];
  size_t i = begin + 1;
  while (i < text.size()) {
    if (text[i] == quote) {
      if (i + 1 < text.size() && text[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return i;
}

// True for [A-Za-z_][A-Za-z0-9_$]*: a name that needs no quotes to be read back.
bool is_plain_identifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char ch : name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '$')) return false;
  return true;
}

// Lower case and single spaces outside quotes, none next to punctuation or operators.
// Text inside '...' is kept verbatim, and so is "..." unless `unquote_identifiers` and it
// holds a plain identifier (then it is that identifier, in lower case).
std::string normalize(std::string_view text, bool unquote_identifiers) {
  std::string out;
  bool space = false;
  auto put_space = [&](char next) {
    if (space && !out.empty()) {
      // Punctuation and operators need no space ("a>=0" is "a >= 0"); words do ("not a").
      constexpr std::string_view kTight = "()[],.:+-*/%<>=!|&^~";
      const bool tight = kTight.find(out.back()) != std::string_view::npos ||
                         kTight.find(next) != std::string_view::npos;
      if (!tight) out += ' ';
    }
    space = false;
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c)) {
      space = true;
      ++i;
    } else if (c == '\'' || c == '"') {
      put_space(c);
      const size_t end = skip_quoted(text, i);
      std::string_view quoted = text.substr(i, end - i);
      // A quoted plain identifier ("ident") is the identifier: SQLite writes renamed
      // columns quoted into checks and index predicates, and its identifiers ignore case.
      if (unquote_identifiers && c == '"' && quoted.size() >= 2 && quoted.back() == '"' &&
          is_plain_identifier(quoted.substr(1, quoted.size() - 2))) {
        for (char q : quoted.substr(1, quoted.size() - 2)) out += lower(q);
      } else {
        out.append(quoted);
      }
      i = end;
    } else {
      put_space(c);
      out += lower(c);
      ++i;
    }
  }
  return out;
}

// The index of the parenthesis that closes the one at `open`, skipping quoted text; npos if
// it is never closed.
size_t matching_paren(std::string_view text, size_t open) {
  int depth = 0;
  size_t i = open;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      i = skip_quoted(text, i);
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
    ++i;
  }
  return std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string canonical_expression(std::string_view sql) {
  std::string text = normalize(trim(sql), /*unquote_identifiers=*/true);
  // "(0)" and "((0))" are "0"; "(a) + (b)" keeps its parentheses.
  while (text.size() >= 2 && text.front() == '(' && matching_paren(text, 0) == text.size() - 1) {
    text = std::string(trim(std::string_view(text).substr(1, text.size() - 2)));
  }
  return text;
}

std::string canonical_type(std::string_view type) {
  // A quoted type name ("MyEnum") is a case-sensitive name: keep its quotes.
  std::string text = normalize(trim(type), /*unquote_identifiers=*/false);
  std::string suffix;  // array dimensions: "int4[]" -> "integer[]"
  while (text.size() >= 2 && text.ends_with("[]")) {
    suffix += "[]";
    text.resize(text.size() - 2);
  }
  // Modifiers such as "(12,2)" may sit mid-name: "timestamp(3) with time zone".
  std::string modifiers;
  if (const size_t open = text.find('('); open != std::string::npos) {
    if (const size_t close = matching_paren(text, open); close != std::string::npos) {
      modifiers = text.substr(open, close - open + 1);
      text = std::string(trim(text.substr(0, open))) + " " + std::string(trim(text.substr(close + 1)));
      text = std::string(trim(text));
    }
  }
  // clang-format off
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kAliases{{
      {"int", "integer"}, {"int4", "integer"},
      {"int2", "smallint"}, {"int8", "bigint"},
      {"bool", "boolean"},
      {"double", "double precision"}, {"float8", "double precision"},
      {"float4", "real"},
      {"decimal", "numeric"},
      {"character varying", "varchar"},
      {"character", "char"},
      {"timestamp without time zone", "timestamp"},
      {"timestamp with time zone", "timestamptz"},
      {"time without time zone", "time"},
      {"time with time zone", "timetz"},
      {"bit varying", "varbit"},
      {"serial4", "serial"}, {"serial8", "bigserial"},
      {"character large object", "clob"},
  }};
  // clang-format on
  for (const auto& [alias, name] : kAliases) {
    if (text == alias) {
      text = name;
      break;
    }
  }
  return text + modifiers + suffix;
}

}  // namespace distil::differ
