// The plan of a migration as data, its hazards and its renderings. Pure (no database).
#include "cli/commands/plan_model.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "cli/support/tty.hpp"
#include "emitters/sql/script.hpp"
#include "model/sql_expr.hpp"

namespace distil::cli::plan {

using emitters::Dialect;
using emitters::quote_identifier;
using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A PostgreSQL type in its canonical spelling split into base name and modifiers:
// "character varying(10)" -> {"character varying", {10}}. Arrays and odd types keep their
// whole text as the base.
struct TypeName {
  std::string base;
  std::vector<long> args;
};

TypeName parse_pg_type(std::string_view type) {
  auto normal = model::sql::normalize_type(type);
  std::string text = normal ? *normal : lower(emitters::trim(type));
  TypeName out{.base = text, .args = {}};
  const size_t open = text.find('(');
  if (open == std::string::npos || text.back() != ')') return out;
  out.base = emitters::trim(text.substr(0, open));
  std::string inner = text.substr(open + 1, text.size() - open - 2);
  size_t at = 0;
  while (at <= inner.size()) {
    size_t comma = inner.find(',', at);
    std::string part = emitters::trim(inner.substr(at, comma == std::string::npos ? std::string::npos
                                                                                 : comma - at));
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return TypeName{.base = text, .args = {}};
    }
    out.args.push_back(std::stol(part));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

bool is_varchar_or_text(const TypeName& t) {
  return (t.base == "character varying" && t.args.size() <= 1) ||
         (t.base == "text" && t.args.empty());
}

bool is_pg_integer(const std::string& base) {
  return base == "smallint" || base == "integer" || base == "bigint";
}

// Count query text helpers: every identifier quoted.
std::string count_rows(const std::string& table) {
  return "SELECT count(*) FROM " + quote_identifier(table);
}

std::string column_of(const model::Op& op) {
  return std::visit(model::Overloaded{
                        [](const model::AddColumn& o) { return o.column.name; },
                        [](const model::DropColumn& o) { return o.column.name; },
                        [](const model::AlterColumn& o) { return o.column; },
                        [](const auto&) { return std::string(); },
                    },
                    op);
}

// The PostgreSQL query counting values of `column` that do not fit `to`, or "" when that is
// not cheaply computable: longer than varchar(n)/char(n), outside integer/smallint range.
std::string pg_narrowing_query(const std::string& table, const std::string& column,
                               const std::string& from, const std::string& to) {
  const TypeName f = parse_pg_type(from), t = parse_pg_type(to);
  const std::string c = quote_identifier(column);
  const std::string where = " WHERE " + c + " IS NOT NULL AND ";
  if ((t.base == "character varying" || t.base == "character") && t.args.size() == 1) {
    if (f.base == t.base && f.args.size() == 1 && f.args[0] <= t.args[0]) return {};
    return count_rows(table) + where + "length(" + c + "::text) > " + std::to_string(t.args[0]);
  }
  if (is_pg_integer(f.base) && is_pg_integer(t.base)) {
    auto rank = [](const std::string& b) { return b == "smallint" ? 0 : b == "integer" ? 1 : 2; };
    if (rank(t.base) >= rank(f.base)) return {};
    const std::string range = t.base == "smallint" ? "-32768 AND 32767"
                                                   : "-2147483648 AND 2147483647";
    return count_rows(table) + where + c + " NOT BETWEEN " + range;
  }
  return {};
}

// Count queries for one op whose table is `live_name` in the live database. `before` is the
// table as the plan has it right before the op; a column is counted only when it exists in
// the live table and no earlier op of the plan added it or renamed another column to its
// name (`fresh`). Earlier type changes do not matter: they keep NULLs and non-NULLs.
std::vector<CountQuery> count_queries(Dialect dialect, const model::Op& op, const OpPlan& p,
                                      const model::Table& before, const model::Table& live,
                                      const std::string& live_name,
                                      const std::set<std::pair<std::string, std::string>>& fresh) {
  using Kind = CountQuery::Kind;
  std::vector<CountQuery> out;
  const std::string t = quote_identifier(live_name);
  const std::string column = column_of(op);
  const model::Column* sim = column.empty() ? nullptr : before.find_column(column);
  const model::Column* now = column.empty() ? nullptr : live.find_column(column);
  const bool same_column = sim && now && !fresh.count({live_name, column});
  bool table_rows = p.destructive || p.rewrites_table || p.locks_table;
  std::visit(
      model::Overloaded{
          [&](const model::DropTable&) {
            out.push_back({Kind::lost, count_rows(live_name)});
          },
          [&](const model::DropColumn&) {
            if (same_column)
              out.push_back({Kind::lost, "SELECT count(" + quote_identifier(column) + ") FROM " + t});
          },
          [&](const model::AddColumn& o) {
            if (!o.column.nullable && !o.column.default_sql && !o.column.autoincrement) {
              out.push_back({Kind::failing, count_rows(live_name)});
              table_rows = true;
            }
          },
          [&](const model::AlterColumn& o) {
            if (!same_column) return;
            if (o.change.nullable == false && sim->nullable) {
              out.push_back({Kind::failing, count_rows(live_name) + " WHERE " +
                                                quote_identifier(column) + " IS NULL"});
              table_rows = true;
            }
            if (dialect == Dialect::postgresql && o.change.type && *o.change.type != sim->type) {
              std::string q = pg_narrowing_query(live_name, column, sim->type, *o.change.type);
              if (!q.empty()) out.push_back({Kind::failing, std::move(q)});
            }
          },
          [&](const model::CreateUnique& o) {
            if (o.unique.columns.empty()) return;
            std::string cols = emitters::join_quoted(o.unique.columns), not_null;
            for (const auto& c : o.unique.columns)
              not_null += (not_null.empty() ? "" : " AND ") + quote_identifier(c) + " IS NOT NULL";
            out.push_back({Kind::failing, "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM " +
                                              t + " WHERE " + not_null + " GROUP BY " + cols +
                                              " HAVING count(*) > 1) AS duplicates"});
          },
          [&](const auto&) {},
      },
      op);
  if (table_rows) out.insert(out.begin(), {Kind::table, count_rows(live_name)});
  return out;
}

std::string join(const Heads& heads, const std::string& empty = "<base>") {
  if (heads.empty()) return empty;
  std::string out;
  for (const auto& h : heads) out += (out.empty() ? "" : ", ") + h;
  return out;
}

}  // namespace

bool pg_type_change_rewrites(std::string_view from, std::string_view to) {
  const TypeName f = parse_pg_type(from), t = parse_pg_type(to);
  if (f.base == t.base && f.args == t.args) return false;
  if (is_varchar_or_text(f) && is_varchar_or_text(t)) {
    if (t.args.empty()) return false;                   // -> text / varchar: unbounded
    return f.args.empty() || f.args[0] > t.args[0];     // text -> varchar(n) checks every row
  }
  if (f.base == "numeric" && t.base == "numeric") {
    if (t.args.empty()) return false;
    if (f.args.empty()) return true;
    const long fs = f.args.size() > 1 ? f.args[1] : 0, ts = t.args.size() > 1 ? t.args[1] : 0;
    return !(fs == ts && t.args[0] >= f.args[0]);
  }
  return true;
}

bool is_volatile_default(std::string_view sql) {
  std::string text;
  for (char c : sql)
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  text = lower(text);
  for (const char* f : {"random(", "clock_timestamp(", "gen_random_uuid(", "uuid_generate_",
                        "nextval(", "timeofday(", "txid_current("}) {
    if (text.find(f) != std::string::npos) return true;
  }
  return false;
}

Hazards analyse(Dialect dialect, const model::Op& op, const model::Table* before, bool rebuild) {
  Hazards h;
  auto locks = [&](std::string note) {
    h.locks_table = true;
    h.notes.push_back(std::move(note));
  };
  auto rewrites = [&](std::string note) {
    h.rewrites_table = true;
    h.locks_table = true;
    h.notes.push_back(std::move(note));
  };
  if (rebuild) {
    rewrites("SQLite table rebuild: every row is copied into a new table while the database "
             "is write-locked");
  }
  const bool pg = dialect == Dialect::postgresql;
  std::visit(
      model::Overloaded{
          [&](const model::AddColumn& o) {
            if (!o.column.nullable && !o.column.default_sql && !o.column.autoincrement)
              h.notes.push_back("NOT NULL without a default: fails when the table has rows");
            if (!pg) return;
            if (o.column.autoincrement) {
              rewrites("an identity column is filled in every row: the table is rewritten "
                       "under an ACCESS EXCLUSIVE lock");
            } else if (o.column.default_sql && is_volatile_default(*o.column.default_sql)) {
              rewrites("ADD COLUMN with a volatile default rewrites the table under an ACCESS "
                       "EXCLUSIVE lock");
            }
          },
          [&](const model::AlterColumn& o) {
            const model::Column* c = before ? before->find_column(o.column) : nullptr;
            std::optional<std::string> from = c ? std::optional(c->type) : o.existing.type;
            const bool was_nullable = c ? c->nullable : o.existing.nullable.value_or(true);
            if (o.change.type && from && *from != *o.change.type) {
              if (pg && pg_type_change_rewrites(*from, *o.change.type)) {
                rewrites("ALTER COLUMN TYPE " + *from + " -> " + *o.change.type +
                         " rewrites the table and its indexes under an ACCESS EXCLUSIVE lock");
              } else if (pg) {
                h.notes.push_back("binary-compatible type change " + *from + " -> " +
                                  *o.change.type + ": catalog only, no rewrite");
              }
            }
            if (o.change.nullable == false && was_nullable) {
              h.notes.push_back("NOT NULL: fails if any row holds NULL");
              if (pg) locks("SET NOT NULL scans every row under an ACCESS EXCLUSIVE lock");
            }
          },
          [&](const model::CreateIndex& o) {
            if (pg) {
              locks(std::string("CREATE ") + (o.index.unique ? "UNIQUE " : "") +
                    "INDEX without CONCURRENTLY blocks writes to the table while it builds");
            } else if (!rebuild) {
              locks("builds the index while holding the database's write lock");
            }
          },
          [&](const model::CreateUnique&) {
            if (pg) locks("ADD UNIQUE builds an index: blocks writes to the table while it builds");
            else if (!rebuild) locks("builds the index while holding the database's write lock");
          },
          [&](const model::CreateForeignKey&) {
            if (pg)
              locks("validating the foreign key scans every row; blocks writes to both tables");
          },
          [&](const model::CreateCheck&) {
            if (pg) locks("validating the check scans every row under an ACCESS EXCLUSIVE lock");
          },
          [&](const model::RawSql&) { h.notes.push_back("raw SQL: not analysed"); },
          [&](const auto&) {},
      },
      op);
  return h;
}

model::Schema simulated_schema(const model::RevisionGraph& graph, const Heads& heads) {
  model::Schema schema;
  auto applied = graph.applied_set(heads);
  for (const auto* rev : graph.topological_order()) {
    if (!applied.count(rev->id)) continue;
    for (const auto& op : rev->upgrade) (void)model::apply(schema, op);
  }
  return schema;
}

Result<Plan> build_plan(const model::RevisionGraph& graph, const Heads& start,
                        const std::vector<model::PlanStep>& steps, const PlanInput& input) {
  Plan plan{.dialect = input.dialect, .rows_counted = input.live, .current = start};
  model::Schema schema = input.schema;
  // The live table each table of the plan still is (followed through renames); tables the
  // plan creates are not in it, so they are never counted.
  std::map<std::string, std::string> live;
  std::set<std::pair<std::string, std::string>> fresh;  // (live table, column) the plan made
  if (input.live)
    for (const auto& [name, table] : input.schema.tables) live.emplace(name, name);

  emitters::SchemaSource source;
  source.table = [&schema](std::string_view name) -> Result<model::Table> {
    if (const auto* t = schema.find_table(name)) return *t;
    return fail(Error{.code = ErrorCode::revision,
                      .message = "no such table at this point of the plan",
                      .where = {.table = std::string(name)}});
  };
  source.triggers = [&](std::string_view name) {
    auto it = live.find(std::string(name));
    if (!input.triggers || it == live.end() || it->second != name) return std::vector<std::string>{};
    return input.triggers(name);
  };

  Heads heads = start;
  for (const auto& step : steps) {
    const auto& rev = *step.revision;
    StepPlan sp{.revision = rev.id,
                .message = rev.message,
                .file = rev.path,
                .upgrade = step.upgrade,
                .transactional = rev.transactional,
                .from = heads,
                .to = graph.after_step(heads, step)};
    const auto& ops = emitters::step_ops(step);
    const auto& lines = step.upgrade ? rev.upgrade_lines : rev.downgrade_lines;
    for (size_t i = 0; i < ops.size(); ++i) {
      const model::Op& op = ops[i];
      auto rendered = emitters::render(input.dialect, op, source);
      if (!rendered) return fail(emitters::locate(std::move(rendered.error()), step, i));
      const std::string table = model::op_table(op);
      const model::Table* before = schema.find_table(table);
      if (std::holds_alternative<model::CreateTable>(op)) before = nullptr;
      Hazards h = analyse(input.dialect, op, before, rendered->rebuild);
      OpPlan p{.index = i + 1,
               .kind = model::op_name(op),
               .table = table,
               .line = i < lines.size() ? lines[i] : 0,
               .sql = std::move(rendered->statements),
               .destructive = model::is_destructive(op),
               .rewrites_table = h.rewrites_table,
               .locks_table = h.locks_table,
               .notes = std::move(h.notes)};
      sp.foreign_keys_off = sp.foreign_keys_off || rendered->rebuild;
      if (before) {
        auto it = live.find(before->name);
        if (it != live.end()) {
          if (const model::Table* now = input.schema.find_table(it->second))
            p.counts = count_queries(input.dialect, op, p, *before, *now, it->second, fresh);
        }
      }
      // Columns whose name, from now on, no longer means the live column of that name.
      if (auto it = live.find(table); it != live.end()) {
        if (const auto* add = std::get_if<model::AddColumn>(&op))
          fresh.emplace(it->second, add->column.name);
        if (const auto* alter = std::get_if<model::AlterColumn>(&op); alter && alter->change.rename_to)
          fresh.emplace(it->second, *alter->change.rename_to);
      }
      (void)model::apply(schema, op);  // what cannot be simulated (raw SQL) is skipped
      std::visit(model::Overloaded{
                     [&](const model::RenameTable& o) {
                       auto it = live.find(o.from);
                       std::string name = it == live.end() ? std::string() : it->second;
                       if (it != live.end()) live.erase(it);
                       live.erase(o.to);
                       if (!name.empty()) live.emplace(o.to, name);
                     },
                     [&](const model::DropTable& o) { live.erase(o.table.name); },
                     [&](const model::CreateTable& o) { live.erase(o.table.name); },
                     [&](const auto&) {},
                 },
                 op);
      sp.ops.push_back(std::move(p));
    }
    heads = sp.to;
    plan.steps.push_back(std::move(sp));
  }
  plan.result = heads;
  return plan;
}

Summary summarise(const Plan& plan) {
  Summary s{.revisions = plan.steps.size()};
  for (const auto& step : plan.steps) {
    for (const auto& op : step.ops) {
      ++s.ops;
      s.destructive += op.destructive;
      s.rewrites += op.rewrites_table;
      s.locks += op.locks_table;
    }
  }
  return s;
}

namespace {

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string rows_text(const OpPlan& op) {
  std::vector<std::string> parts;
  if (op.rows.table) parts.push_back(std::to_string(*op.rows.table) + " row(s) in the table");
  if (op.rows.lost) {
    parts.push_back(std::to_string(*op.rows.lost) +
                    (op.kind == "drop_column" ? " non-null value(s) lost" : " row(s) lost"));
  }
  if (op.rows.failing) {
    parts.push_back(std::to_string(*op.rows.failing) + " row(s) would make it fail");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::string render_text(const Plan& plan, bool colour) {
  using tty::paint;
  using tty::Style;
  std::string out;
  out += paint(Style::bold, "Plan: " + plan.command + " " + plan.target, colour) + " (" +
         emitters::to_string(plan.dialect) + ", " +
         (plan.database.empty() ? std::string("offline") : plan.database) + ")\n";
  out += "From: " + join(plan.current) + "\nTo:   " + join(plan.result) + "\n";
  out += std::string("Rows: ") +
         (plan.rows_counted ? "counted on the database now, before anything runs"
                            : "not counted (no database)") +
         "\n";
  if (plan.steps.empty()) return out + "\nNothing to do: the database is already at the target.\n";
  const size_t total = plan.steps.size();
  for (size_t n = 0; n < total; ++n) {
    const StepPlan& s = plan.steps[n];
    out += "\n" +
           paint(Style::bold,
                 "[" + std::to_string(n + 1) + "/" + std::to_string(total) + "] " +
                     (s.upgrade ? "upgrade " : "downgrade ") + join(s.from) + " -> " + join(s.to) +
                     ", " + s.message,
                 colour) +
           "\n";
    out += "  revision " + s.revision + " (" + s.file + ")\n";
    if (!s.transactional) out += "  transaction: false (runs outside a transaction)\n";
    if (s.foreign_keys_off) out += "  PRAGMA foreign_keys=OFF around this revision (table rebuild)\n";
    if (s.ops.empty()) out += "  (no ops)\n";
    for (const OpPlan& op : s.ops) {
      std::string head = "  op " + std::to_string(op.index) + ": " + op.kind +
                         (op.table.empty() ? "" : " " + op.table) +
                         (op.line ? " (line " + std::to_string(op.line) + ")" : "");
      out += head;
      if (op.destructive) out += " " + paint(Style::red, "[DESTRUCTIVE]", colour);
      if (op.rewrites_table) out += " " + paint(Style::yellow, "[REWRITES TABLE]", colour);
      else if (op.locks_table) out += " " + paint(Style::yellow, "[LOCKS TABLE]", colour);
      out += "\n";
      std::string rows = rows_text(op);
      if (!rows.empty()) {
        out += "    rows: " + (op.rows.lost && *op.rows.lost > 0 ? paint(Style::red, rows, colour)
                                                                 : rows) +
               "\n";
      }
      for (const auto& note : op.notes) out += "    note: " + note + "\n";
      for (const auto& sql : op.sql) {
        std::string indented = "      ";
        for (char c : sql) {
          indented += c;
          if (c == '\n') indented += "      ";
        }
        out += paint(Style::dim, indented + ";", colour) + "\n";
      }
    }
  }
  Summary sum = summarise(plan);
  out += "\nSummary: " + plural(sum.revisions, "revision", "revisions") + ", " +
         plural(sum.ops, "op", "ops") + "; " +
         paint(sum.destructive ? Style::red : Style::green,
               std::to_string(sum.destructive) + " destructive", colour) +
         ", " +
         paint(sum.rewrites ? Style::yellow : Style::green,
               std::to_string(sum.rewrites) + " rewrite(s) a table", colour) +
         ", " +
         paint(sum.locks ? Style::yellow : Style::green,
               std::to_string(sum.locks) + " lock(s) a table", colour) +
         ".\n";
  return out;
}

namespace {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

std::string json_count(const std::optional<std::int64_t>& n) {
  return n ? std::to_string(*n) : "null";
}

template <class Range>
std::string json_strings(const Range& items) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + json_string(i);
  return out + "]";
}

}  // namespace

std::string render_json(const Plan& plan) {
  Summary sum = summarise(plan);
  std::string o = "{\n";
  o += "  \"format_version\": " + std::to_string(kFormatVersion) + ",\n";
  o += "  \"command\": " + json_string(plan.command) + ",\n";
  o += "  \"target\": " + json_string(plan.target) + ",\n";
  o += "  \"dialect\": " + json_string(emitters::to_string(plan.dialect)) + ",\n";
  o += "  \"database\": " + (plan.database.empty() ? "null" : json_string(plan.database)) + ",\n";
  o += "  \"rows_counted\": " + json_bool(plan.rows_counted) + ",\n";
  o += "  \"current\": " + json_strings(plan.current) + ",\n";
  o += "  \"result\": " + json_strings(plan.result) + ",\n";
  o += "  \"summary\": {\"revisions\": " + std::to_string(sum.revisions) +
       ", \"ops\": " + std::to_string(sum.ops) +
       ", \"destructive\": " + std::to_string(sum.destructive) +
       ", \"rewrites_table\": " + std::to_string(sum.rewrites) +
       ", \"locks_table\": " + std::to_string(sum.locks) + "},\n";
  o += "  \"revisions\": [";
  for (size_t n = 0; n < plan.steps.size(); ++n) {
    const StepPlan& s = plan.steps[n];
    o += n ? ",\n" : "\n";
    o += "    {\n";
    o += "      \"revision\": " + json_string(s.revision) + ",\n";
    o += "      \"message\": " + json_string(s.message) + ",\n";
    o += "      \"file\": " + json_string(s.file) + ",\n";
    o += "      \"direction\": " + json_string(s.upgrade ? "upgrade" : "downgrade") + ",\n";
    o += "      \"from\": " + json_strings(s.from) + ",\n";
    o += "      \"to\": " + json_strings(s.to) + ",\n";
    o += "      \"transactional\": " + json_bool(s.transactional) + ",\n";
    o += "      \"foreign_keys_off\": " + json_bool(s.foreign_keys_off) + ",\n";
    o += "      \"ops\": [";
    for (size_t i = 0; i < s.ops.size(); ++i) {
      const OpPlan& op = s.ops[i];
      o += i ? ",\n" : "\n";
      o += "        {\n";
      o += "          \"index\": " + std::to_string(op.index) + ",\n";
      o += "          \"kind\": " + json_string(op.kind) + ",\n";
      o += "          \"table\": " + (op.table.empty() ? "null" : json_string(op.table)) + ",\n";
      o += "          \"line\": " + (op.line ? std::to_string(op.line) : "null") + ",\n";
      o += "          \"sql\": " + json_strings(op.sql) + ",\n";
      o += "          \"destructive\": " + json_bool(op.destructive) + ",\n";
      o += "          \"rewrites_table\": " + json_bool(op.rewrites_table) + ",\n";
      o += "          \"locks_table\": " + json_bool(op.locks_table) + ",\n";
      o += "          \"notes\": " + json_strings(op.notes) + ",\n";
      o += "          \"rows\": {\"table\": " + json_count(op.rows.table) +
           ", \"lost\": " + json_count(op.rows.lost) +
           ", \"failing\": " + json_count(op.rows.failing) + "}\n";
      o += "        }";
    }
    o += s.ops.empty() ? "]\n" : "\n      ]\n";
    o += "    }";
  }
  o += plan.steps.empty() ? "]\n" : "\n  ]\n";
  o += "}\n";
  return o;
}

}  // namespace distil::cli::plan
