// YAML text helpers shared by the revision writer and the model writer (emitters/model):
// scalar quoting, flow/block layout, and the DESIGN §4 vocabulary of columns and constraints.
#include "emitters/revision/yaml_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>

namespace distil::emitters::yaml_text {
namespace {

bool is_yaml_word(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kWords[] = {"null", "~",   "true", "false", "yes",  "no",
                                                "on",   "off", "y",    "n",     ".inf", ".nan"};
  return std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords);
}

}  // namespace

using namespace distil::model;

// ---------------------------------------------------------------------------------------
// Scalars

// False only for text that every YAML reader takes back as the same string when written
// plain: a letter, "_", "(" or "$" first; then letters, digits and a few harmless marks;
// not a YAML word (null, true, no, ...). Everything else (006, 1e10, "a, b", "x #y", "? q",
// leading or trailing spaces, escapes) is double-quoted. In a block value (`block`), a ":"
// not followed by a space is plain text (2026-11-26T01:00:00Z); in flow style some
// parsers stop at any ":", so there it is quoted.
bool needs_quotes(std::string_view text, bool block) {
  if (text.empty() || is_yaml_word(text)) return true;
  const auto is_word_byte = [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
  };
  const auto first = static_cast<unsigned char>(text.front());
  if (!(is_word_byte(first) && std::isdigit(first) == 0) && first != '(' && first != '$')
    return true;
  if (text.back() == ' ') return true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_word_byte(c) ||
        std::string_view(" -.()/+=<>$~^;").find(text[i]) != std::string_view::npos) {
      continue;
    }
    if (c == ':' && block && i + 1 < text.size() && text[i + 1] != ' ') continue;
    return true;
  }
  return false;
}

std::string double_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned>(byte));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string plain_or_quoted(std::string_view text, bool block) {
  return needs_quotes(text, block) ? double_quoted(text) : std::string(text);
}

// A multi-line string reads best as a literal block (`|`); used when YAML keeps it exactly:
// no leading whitespace (the block's indentation would absorb it), no whitespace-only or
// carriage-return lines, no control characters.
bool fits_literal_block(std::string_view text) {
  if (text.find('\n') == std::string_view::npos) return false;
  if (text.front() == ' ' || text.front() == '\t' || text.front() == '\n') return false;
  std::size_t line_start = 0;
  bool only_blanks = true;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (only_blanks && i > line_start) return false;
      line_start = i + 1;
      only_blanks = true;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    if (c != ' ' && c != '\t') only_blanks = false;
  }
  return true;
}

// Replaces line breaks and control characters, for text that goes into a `#` comment.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Values and layout

Value scalar(std::string_view text) { return Value{.text = plain_or_quoted(text)}; }
Value always_quoted(std::string_view text) { return Value{.text = double_quoted(text)}; }
Value boolean(bool value) { return Value{.text = value ? "true" : "false"}; }
Value null_value() { return Value{.text = "null"}; }
Value map() { return Value{.kind = Value::Kind::map}; }
// SQL text: always quoted, or a literal block when multi-line.
Value sql_text(std::string_view text) {
  if (fits_literal_block(text))
    return Value{.kind = Value::Kind::literal, .text = std::string(text)};
  return always_quoted(text);
}
Value names(const std::vector<std::string>& list) {
  Value out{.kind = Value::Kind::list};
  for (const std::string& name : list) out.items.push_back(scalar(name));
  return out;
}
Value list(std::vector<Value> items) {
  return Value{.kind = Value::Kind::list, .items = std::move(items)};
}

std::string flow(const Value& value) {
  switch (value.kind) {
    case Value::Kind::scalar:
      return value.text;
    case Value::Kind::literal:
      return double_quoted(value.text);
    case Value::Kind::list: {
      std::string out = "[";
      for (const Value& item : value.items) out += (out.size() > 1 ? ", " : "") + flow(item);
      return out + "]";
    }
    case Value::Kind::map: {
      std::string out = "{";
      for (const auto& [key, item] : value.fields) {
        out += (out.size() > 1 ? ", " : "") + key + ": " + flow(item);
      }
      return out + "}";
    }
  }
  return {};
}

// A mapping whose values are all scalars or lists of scalars fits on one flow line.
bool is_flat(const Value& value) {
  const auto is_scalar = [](const Value& v) { return v.kind == Value::Kind::scalar; };
  return std::all_of(value.fields.begin(), value.fields.end(), [&](const auto& field) {
    const Value& v = field.second;
    return is_scalar(v) ||
           (v.kind == Value::Kind::list && std::all_of(v.items.begin(), v.items.end(), is_scalar));
  });
}

void write_literal(std::string& out, std::string_view text, int indent) {
  std::size_t trailing = 0;
  while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  // Keep (`|+`) and clip (`|`) add the final line break back; the rest are lines.
  std::string_view body = trailing == 0 ? text : text.substr(0, text.size() - 1);
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    if (!line.empty()) out += pad;
    out += line;
    out += '\n';
    start = end + 1;
  }
}

// `key: value` (the key already written) for a value in block position at `indent`.
void write_block_value(std::string& out, const Value& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const bool list_of_maps = value.kind == Value::Kind::list && !value.items.empty() &&
                            std::any_of(value.items.begin(), value.items.end(),
                                        [](const Value& v) { return v.kind == Value::Kind::map; });
  if (value.kind == Value::Kind::literal) {
    out += ' ';
    write_literal(out, value.text, indent);
  } else if (list_of_maps) {
    out += '\n';
    for (const Value& item : value.items) out += pad + "- " + flow(item) + "\n";
  } else if (value.kind == Value::Kind::map && !is_flat(value)) {
    out += '\n';
    for (const auto& [key, item] : value.fields) {
      out += pad + key + ":";
      write_block_value(out, item, indent + 2);
    }
  } else {
    out += ' ' + flow(value) + "\n";
  }
}
// ---------------------------------------------------------------------------------------
// Tables, columns and constraints

Value column_value(const Column& column, bool primary_key) {
  Value v = map();
  v.add("name", scalar(column.name)).add("type", scalar(column.type));
  // Primary-key columns are NOT NULL by definition; `nullable: true` on one would be
  // rejected by the reader, which is right: such a Table is not canonical.
  if (primary_key ? column.nullable : !column.nullable) v.add("nullable", boolean(column.nullable));
  if (column.default_sql) v.add("default", always_quoted(*column.default_sql));
  if (primary_key) v.add("primary_key", boolean(true));
  if (column.autoincrement) v.add("autoincrement", boolean(true));
  if (column.comment) v.add("comment", scalar(*column.comment));
  if (column.renamed_from) v.add("renamed_from", scalar(*column.renamed_from));
  return v;
}

Value unique_fields(Value v, const Unique& unique) {
  if (!unique.name.empty()) v.add("name", scalar(unique.name));
  v.add("columns", names(unique.columns));
  return v;
}

Value index_fields(Value v, const Index& index) {
  if (!index.name.empty()) v.add("name", scalar(index.name));
  v.add("columns", names(index.columns));
  if (index.unique) v.add("unique", boolean(true));
  if (index.where) v.add("where", always_quoted(*index.where));
  if (!index.method.empty()) v.add("using", scalar(index.method));
  return v;
}

Value foreign_key_fields(Value v, const ForeignKey& fk) {
  if (!fk.name.empty()) v.add("name", scalar(fk.name));
  v.add("columns", names(fk.columns));
  v.add("references",
        map().add("table", scalar(fk.ref_table)).add("columns", names(fk.ref_columns)));
  if (fk.on_delete != FkAction::no_action) v.add("on_delete", scalar(to_string(fk.on_delete)));
  if (fk.on_update != FkAction::no_action) v.add("on_update", scalar(to_string(fk.on_update)));
  if (fk.deferrable) v.add("deferrable", boolean(true));
  if (fk.initially_deferred) v.add("initially_deferred", boolean(true));
  return v;
}

Value check_fields(Value v, const Check& check) {
  if (!check.name.empty()) v.add("name", scalar(check.name));
  v.add("expression", always_quoted(check.expression));
  return v;
}

}  // namespace distil::emitters::yaml_text
