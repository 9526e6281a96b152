// ops -> revision file text (DESIGN §5). Written by hand rather than with yaml-cpp's
// emitter, for exact control of comments, quoting and flow style; model/yaml/revision_io
// reads it back to an equal Revision.
#include "emitters/revision/writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>
#include <utility>
#include <variant>

namespace distil::emitters {
namespace {

using namespace distil::model;

constexpr std::size_t kLineLimit = 100;  // STYLE's column limit, for flow-style lines
constexpr std::size_t kSummaryOps = 20;  // ops named in the header; more are counted

// ---------------------------------------------------------------------------------------
// Scalars

bool is_yaml_word(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kWords[] = {"null", "~",   "true", "false", "yes",  "no",
                                                "on",   "off", "y",    "n",     ".inf", ".nan"};
  return std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords);
}

// False only for text that every YAML reader takes back as the same string when written
// plain: a letter, "_", "(" or "$" first; then letters, digits and a few harmless marks;
// not a YAML word (null, true, no, ...). Everything else (006, 1e10, "a, b", "x #y", "? q",
// leading or trailing spaces, escapes) is double-quoted. In a block value (`block`), a ":"
// not followed by a space is plain text (2026-11-26T01:00:00Z); in flow style some
// parsers stop at any ":", so there it is quoted.
bool needs_quotes(std::string_view text, bool block = false) {
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

std::string plain_or_quoted(std::string_view text, bool block = false) {
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
// A value to write: scalars already rendered, so layout only decides flow vs block.

struct Value {
  enum class Kind { scalar, literal, list, map };
  Kind kind = Kind::scalar;
  std::string text;  // scalar: as written (quoted if needed); literal: the raw string
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> fields;

  Value& add(std::string key, Value value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

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
// Ops

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
  return v;
}

Value foreign_key_fields(Value v, const ForeignKey& fk) {
  if (!fk.name.empty()) v.add("name", scalar(fk.name));
  v.add("columns", names(fk.columns));
  v.add("references",
        map().add("table", scalar(fk.ref_table)).add("columns", names(fk.ref_columns)));
  if (fk.on_delete != FkAction::no_action) v.add("on_delete", scalar(to_string(fk.on_delete)));
  if (fk.on_update != FkAction::no_action) v.add("on_update", scalar(to_string(fk.on_update)));
  return v;
}

Value check_fields(Value v, const Check& check) {
  if (!check.name.empty()) v.add("name", scalar(check.name));
  v.add("expression", always_quoted(check.expression));
  return v;
}

Value table_value(const Table& table) {
  Value v = map();
  v.add("name", scalar(table.name));
  const bool single_pk =
      table.primary_key.size() == 1 && table.find_column(table.primary_key[0]) != nullptr;
  std::vector<Value> columns;
  for (const Column& column : table.columns) {
    columns.push_back(column_value(column, table.is_primary_key(column.name)));
    if (!single_pk && table.is_primary_key(column.name)) {
      // A composite key is written at table level; the column only says it is not null.
      auto& fields = columns.back().fields;
      fields.erase(std::remove_if(fields.begin(), fields.end(),
                                  [](const auto& f) { return f.first == "primary_key"; }),
                   fields.end());
    }
  }
  v.add("columns", list(std::move(columns)));
  if (!table.primary_key.empty() && !single_pk) v.add("primary_key", names(table.primary_key));
  const auto add_list = [&](const char* key, const auto& items, auto to_value) {
    if (items.empty()) return;
    std::vector<Value> values;
    for (const auto& item : items) values.push_back(to_value(map(), item));
    v.add(key, list(std::move(values)));
  };
  add_list("unique", table.unique, unique_fields);
  add_list("indexes", table.indexes, index_fields);
  add_list("foreign_keys", table.foreign_keys, foreign_key_fields);
  add_list("checks", table.checks, check_fields);
  if (table.comment) v.add("comment", scalar(*table.comment));
  if (table.renamed_from) v.add("renamed_from", scalar(*table.renamed_from));
  return v;
}

// `default:`/`comment:` of alter_column: null removes, text sets.
Value patch_text(const std::optional<std::string>& text, bool sql) {
  if (!text) return null_value();
  return sql ? always_quoted(*text) : scalar(*text);
}

Value alter_value(const AlterColumn& op) {
  Value v = map();
  v.add("table", scalar(op.table)).add("column", scalar(op.column));
  const ColumnPatch& c = op.change;
  if (c.type) v.add("type", scalar(*c.type));
  if (c.nullable) v.add("nullable", boolean(*c.nullable));
  if (c.default_sql) v.add("default", patch_text(*c.default_sql, true));
  if (c.comment) v.add("comment", patch_text(*c.comment, false));
  if (c.rename_to) v.add("rename_to", scalar(*c.rename_to));
  const ColumnState& e = op.existing;
  Value existing = map();
  if (e.type) existing.add("type", scalar(*e.type));
  if (e.nullable) existing.add("nullable", boolean(*e.nullable));
  if (e.default_sql) existing.add("default", patch_text(*e.default_sql, true));
  if (e.comment) existing.add("comment", patch_text(*e.comment, false));
  if (!existing.fields.empty()) v.add("existing", std::move(existing));
  return v;
}

Value raw_sql_value(const RawSql& op) {
  if (op.any && op.by_dialect.empty()) return sql_text(*op.any);
  Value v = map();
  if (op.any) v.add("any", sql_text(*op.any));
  for (const auto& [dialect, text] : op.by_dialect) v.add(dialect, sql_text(text));
  return v;
}

// The op's body: what follows `- op_name:`.
Value op_value(const Op& op) {
  return std::visit(
      Overloaded{
          [](const CreateTable& o) { return table_value(o.table); },
          [](const DropTable& o) { return map().add("name", scalar(o.table.name)); },
          [](const RenameTable& o) {
            return map().add("from", scalar(o.from)).add("to", scalar(o.to));
          },
          [](const AddColumn& o) {
            return map().add("table", scalar(o.table)).add("column", column_value(o.column, false));
          },
          // Drops name what they drop; the full definition lives in the other direction's
          // create/add, which is what a downgrade runs.
          [](const DropColumn& o) {
            return map().add("table", scalar(o.table)).add("column", scalar(o.column.name));
          },
          [](const AlterColumn& o) { return alter_value(o); },
          [](const CreateIndex& o) {
            return index_fields(map().add("table", scalar(o.table)), o.index);
          },
          [](const DropIndex& o) {
            return map().add("table", scalar(o.table)).add("name", scalar(o.index.name));
          },
          [](const CreateUnique& o) {
            return unique_fields(map().add("table", scalar(o.table)), o.unique);
          },
          [](const CreateForeignKey& o) {
            return foreign_key_fields(map().add("table", scalar(o.table)), o.foreign_key);
          },
          [](const CreateCheck& o) {
            return check_fields(map().add("table", scalar(o.table)), o.check);
          },
          [](const DropConstraint& o) {
            return map().add("table", scalar(o.table)).add("name", scalar(o.name));
          },
          [](const RawSql& o) { return raw_sql_value(o); },
      },
      op);
}

// "creates table t", "adds column t.c", ...: for the header summary and DESTRUCTIVE lines.
std::string describe(const Op& op) {
  return one_line(std::visit(
      Overloaded{
          [](const CreateTable& o) { return "creates table " + o.table.name; },
          [](const DropTable& o) { return "drops table " + o.table.name; },
          [](const RenameTable& o) { return "renames table " + o.from + " to " + o.to; },
          [](const AddColumn& o) { return "adds column " + o.table + "." + o.column.name; },
          [](const DropColumn& o) { return "drops column " + o.table + "." + o.column.name; },
          [](const AlterColumn& o) {
            const ColumnPatch& c = o.change;
            if (c.rename_to && !c.type && !c.nullable && !c.default_sql && !c.comment) {
              return "renames column " + o.table + "." + o.column + " to " + *c.rename_to;
            }
            std::string text = "alters column " + o.table + "." + o.column;
            if (c.type)
              text +=
                  " (type " + (o.existing.type ? *o.existing.type + " -> " : "") + *c.type + ")";
            return text;
          },
          [](const CreateIndex& o) { return "creates index " + o.index.name + " on " + o.table; },
          [](const DropIndex& o) { return "drops index " + o.index.name + " on " + o.table; },
          [](const CreateUnique& o) { return "adds unique " + o.unique.name + " on " + o.table; },
          [](const CreateForeignKey& o) {
            return "adds foreign key " + o.foreign_key.name + " on " + o.table;
          },
          [](const CreateCheck& o) { return "adds check " + o.check.name + " on " + o.table; },
          [](const DropConstraint& o) { return "drops constraint " + o.name + " on " + o.table; },
          [](const RawSql&) { return std::string("runs raw SQL"); },
      },
      op));
}

std::string destructive_comment(const Op& op) {
  const bool certain =
      std::holds_alternative<DropTable>(op) || std::holds_alternative<DropColumn>(op);
  return "# DESTRUCTIVE: " + describe(op) + (certain ? " (data loss)" : " (may lose data)");
}

void write_op(std::string& out, const Op& op, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (is_destructive(op)) out += pad + destructive_comment(op) + "\n";
  const std::string head = pad + "- " + op_name(op) + ":";
  const Value body = op_value(op);
  out += head;
  if (body.kind != Value::Kind::map) {
    write_block_value(out, body, indent + 4);
    return;
  }
  const std::string one_line_form = " " + flow(body);
  if (is_flat(body) && head.size() + one_line_form.size() <= kLineLimit) {
    out += one_line_form + "\n";
    return;
  }
  out += '\n';
  const std::string field_pad(static_cast<std::size_t>(indent + 4), ' ');
  for (const auto& [key, value] : body.fields) {
    out += field_pad + key + ":";
    write_block_value(out, value, indent + 6);
  }
}

// `# creates table a; adds column b.c` lines, wrapped at the line limit.
std::string summary(const std::vector<Op>& ops) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ops.size() && i < kSummaryOps; ++i) parts.push_back(describe(ops[i]));
  if (ops.size() > kSummaryOps)
    parts.push_back(fmt::format("and {} more", ops.size() - kSummaryOps));
  std::string out, line = "#";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string part = parts[i] + (i + 1 < parts.size() ? ";" : "");
    if (line.size() > 1 && line.size() + 1 + part.size() > kLineLimit) {
      out += line + "\n";
      line = "#";
    }
    line += " " + part;
  }
  return line.size() > 1 ? out + line + "\n" : out;
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const std::string& id : ids) out += (out.size() > 1 ? ", " : "") + double_quoted(id);
  return out + "]";
}

// NNNN of "NNNN_slug.yaml"; 0 without a numeric prefix.
int file_number(std::string_view name) {
  std::size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])) != 0)
    ++digits;
  if (digits == 0 || (digits < name.size() && name[digits] != '_' && name[digits] != '.')) return 0;
  int number = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + digits, number);
  return ec == std::errc() ? number : 0;
}

}  // namespace

std::string write_ops(const std::vector<Op>& ops, int indent) {
  std::string out;
  for (const Op& op : ops) write_op(out, op, indent);
  return out;
}

std::string write_revision(const Revision& revision) {
  std::string out = fmt::format("# {:04d}", revision.number);
  if (!revision.message.empty()) out += " " + one_line(revision.message);
  out += "\n";
  out += summary(revision.upgrade);
  out += "revision: " + double_quoted(revision.id) + "\n";
  out += "down_revision: ";
  if (revision.down_revisions.empty()) {
    out += "null\n";
  } else if (revision.down_revisions.size() == 1) {
    out += double_quoted(revision.down_revisions.front()) + "\n";
  } else {
    out += id_list(revision.down_revisions) + "\n";
  }
  out += "message: " + plain_or_quoted(revision.message, true) + "\n";
  if (!revision.create_date.empty()) {
    // An ISO 8601 stamp stays plain, as DESIGN §5 shows it; the reader keeps it as text.
    const bool iso =
        std::isdigit(static_cast<unsigned char>(revision.create_date.front())) != 0 &&
        revision.create_date.find_first_not_of("0123456789-:.+TZ") == std::string::npos &&
        revision.create_date.find('-') != std::string::npos;
    out += "create_date: " +
           (iso ? revision.create_date : plain_or_quoted(revision.create_date, true)) + "\n";
  }
  if (!revision.branch_labels.empty())
    out += "branch_labels: " + id_list(revision.branch_labels) + "\n";
  if (!revision.depends_on.empty()) out += "depends_on: " + id_list(revision.depends_on) + "\n";
  out += revision.upgrade.empty() ? "upgrade: []\n" : "upgrade:\n" + write_ops(revision.upgrade, 2);
  out += revision.downgrade.empty() ? "downgrade: []\n"
                                    : "downgrade:\n" + write_ops(revision.downgrade, 2);
  return out;
}

std::string slugify(std::string_view message) {
  constexpr std::size_t kMaxSlug = 40;
  std::string slug;
  bool separator = false;
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80 && std::isalnum(byte) != 0) {
      if (separator && !slug.empty()) slug += '_';
      separator = false;
      slug += static_cast<char>(std::tolower(byte));
      if (slug.size() >= kMaxSlug) break;
    } else {
      separator = true;
    }
  }
  slug.resize(std::min(slug.size(), kMaxSlug));
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  return slug;
}

std::string next_number(const std::filesystem::path& folder) {
  int highest = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() != ".yaml") continue;
    highest = std::max(highest, file_number(it->path().filename().string()));
  }
  return fmt::format("{:04d}", highest + 1);
}

}  // namespace distil::emitters
