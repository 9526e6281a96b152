// ops -> revision file text (DESIGN §5). Written by hand rather than with yaml-cpp's
// emitter, for exact control of comments, quoting and flow style; model/yaml/revision_io
// reads it back to an equal Revision.
#include "emitters/revision/writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <future>
#include <span>
#include <system_error>
#include <utility>
#include <variant>

#include "emitters/revision/yaml_text.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::emitters {
namespace {

using namespace distil::model;
using namespace distil::emitters::yaml_text;

constexpr std::size_t kLineLimit = 100;  // STYLE's column limit, for flow-style lines
constexpr std::size_t kSummaryOps = 20;  // ops named in the header; more are counted

// ---------------------------------------------------------------------------------------
// Ops

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

std::string write_ops(std::span<const Op> ops, int indent) {
  std::string out;
  for (const Op& op : ops) write_op(out, op, indent);
  return out;
}

std::string write_ops(const std::vector<Op>& ops, int indent) {
  return write_ops(std::span<const Op>(ops), indent);
}

RevisionLayout revision_layout(const Revision& revision) {
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
  if (!revision.transactional) out += "transaction: false\n";
  if (!revision.lint_ignore.empty())
    out += "lint: {ignore: " + id_list(revision.lint_ignore) + "}\n";
  return RevisionLayout{
      .head = std::move(out),
      .upgrade_key = revision.upgrade.empty() ? "upgrade: []\n" : "upgrade:\n",
      .downgrade_key = revision.downgrade.empty() ? "downgrade: []\n" : "downgrade:\n"};
}

std::string write_revision(const Revision& revision) {
  RevisionLayout layout = revision_layout(revision);
  // The ops are written straight into the text: at 5000 created tables each list is
  // megabytes, and a list rendered apart and then concatenated held two more copies of it.
  std::string out = std::move(layout.head);
  out += layout.upgrade_key;
  for (const Op& op : revision.upgrade) write_op(out, op, 2);
  out += layout.downgrade_key;
  for (const Op& op : revision.downgrade) write_op(out, op, 2);
  return out;
}

namespace {

// Runs job(0) on this thread and job(1) on another, when one can be had.
template <class Job>
auto on_two_threads(Job job) {
  std::future<decltype(job(1))> second;
  try {
    second = std::async(std::launch::async, job, 1);
  } catch (const std::system_error&) {  // no thread to be had: in turn
    second = std::async(std::launch::deferred, job, 1);
  }
  auto first = job(0);
  return std::array{std::move(first), second.get()};
}

}  // namespace

// The ops are rendered, then read back, in two halves on two threads (each half is the first
// or second half of both op lists; the header and the two keys are read back apart). Each op
// is rendered on its own (write_ops), so the halves joined are write_revision()'s text, and
// the reader reads each item of a list on its own. If any part fails, the whole text is read
// back as one, and that error (with its line) is the one reported.
model::Result<std::string> write_revision_checked(Revision& rev, const std::string& path) {
  using Ops = std::span<const Op>;
  auto halves = [](const std::vector<Op>& ops) {
    const Ops all(ops);
    const std::size_t middle = all.size() / 2;
    return std::array{all.first(middle), all.subspan(middle)};
  };
  const auto upgrade = halves(rev.upgrade);
  const auto downgrade = halves(rev.downgrade);
  auto parts = on_two_threads([&](std::size_t i) {
    return std::array{write_ops(upgrade[i]), write_ops(downgrade[i])};
  });
  RevisionLayout layout = revision_layout(rev);
  rev.upgrade = std::vector<Op>();  // the ops are in `parts` now, freed before the read-back
  rev.downgrade = std::vector<Op>();
  auto read_back = on_two_threads([&](std::size_t i) {
    model::Result<void> read = model::yaml::check_ops(parts[i][0], path);
    if (read) read = model::yaml::check_ops(parts[i][1], path);
    return read;
  });
  model::Result<void> header =
      model::yaml::check_revision(layout.head + layout.upgrade_key + layout.downgrade_key, path);
  std::string text = std::move(layout.head);
  text.reserve(text.size() + layout.upgrade_key.size() + parts[0][0].size() +
               parts[1][0].size() + layout.downgrade_key.size() + parts[0][1].size() +
               parts[1][1].size());
  for (std::string* part : {&layout.upgrade_key, &parts[0][0], &parts[1][0],
                            &layout.downgrade_key, &parts[0][1], &parts[1][1]}) {
    text += *part;
    *part = std::string();
  }
  for (const model::Result<void>* part : {&header, &read_back[0], &read_back[1]}) {
    if (*part) continue;
    DISTIL_CHECK(model::yaml::check_revision(text, path));
    // A part failed and the whole did not: the writer and the reader disagree.
    return model::fail(
        model::Error{.code = model::ErrorCode::internal,
                     .message = "part of the new revision file does not read back on its own: " +
                                part->error().message,
                     .where = {.file = path}});
  }
  return text;
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
