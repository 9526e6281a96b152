// Dialect names and the quoting both SQL dialects share.
#include "emitters/sql/dialect.hpp"

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

}  // namespace distil::emitters
