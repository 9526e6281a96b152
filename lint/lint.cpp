// The lint rules (docs/lint.md) and the state they walk through a sequence of ops.
#include "lint/lint.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "lint/sql_scan.hpp"

namespace distil::lint {

using model::Op;
using model::Origin;
using model::Schema;
using model::Table;

namespace {

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::set<std::string> as_set(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

// "12,000 rows" / "at least 100000 rows" when the count stopped at the limit.
std::string describe_rows(std::int64_t rows, std::int64_t limit) {
  std::string text = std::to_string(rows) + (rows == 1 ? " row" : " rows");
  return limit > 0 && rows >= limit ? "at least " + text : text;
}

// An index entry is a column name when the table has that column, else an expression.
bool index_uses(const Table& table, const model::Index& index, std::string_view column) {
  for (const std::string& entry : index.columns) {
    if (entry == column) return true;
    if (table.find_column(entry) == nullptr && detail::mentions(entry, column)) return true;
  }
  return index.where && detail::mentions(*index.where, column);
}

bool view_uses(const View& view, std::string_view table, std::string_view column) {
  if (view.uses_known) {
    return std::any_of(view.uses.begin(), view.uses.end(),
                       [&](const View::Use& u) { return u.table == table && u.column == column; });
  }
  return detail::mentions(view.definition, table) && detail::mentions(view.definition, column);
}

// True when `columns` are exactly (as a set) the primary key, a unique constraint or a
// unique, non-partial column index of `table`: what a foreign key may reference.
bool is_unique_key(const Table& table, const std::vector<std::string>& columns) {
  const std::set<std::string> wanted = as_set(columns);
  if (!table.primary_key.empty() && as_set(table.primary_key) == wanted) return true;
  for (const model::Unique& u : table.unique)
    if (as_set(u.columns) == wanted) return true;
  for (const model::Index& ix : table.indexes)
    if (ix.unique && !ix.where && as_set(ix.columns) == wanted) return true;
  return false;
}

std::string raw_text(const model::RawSql& op, const std::string& dialect) {
  if (auto it = op.by_dialect.find(dialect); it != op.by_dialect.end()) return it->second;
  return op.any.value_or("");
}

}  // namespace

std::string to_string(Severity severity) {
  return severity == Severity::error ? "error" : "warning";
}

bool ignores(std::string_view entry, const Finding& finding) {
  const size_t colon = entry.find(':');
  if (entry.substr(0, colon) != finding.rule) return false;
  if (colon == std::string_view::npos) return true;
  const std::string_view target = entry.substr(colon + 1);
  const size_t dot = target.find('.');
  if (dot == std::string_view::npos) return target == finding.table;
  return target.substr(0, dot) == finding.table && target.substr(dot + 1) == finding.column;
}

std::string format(const Finding& f) {
  std::string text = f.ignored ? "INFO  [distil] lint " + f.rule + " (ignored)"
                     : f.severity == Severity::error ? "ERROR [distil] lint " + f.rule
                                                     : "WARNING [distil] lint " + f.rule;
  text += " ";
  if (!f.table.empty()) {
    text += "table " + quoted(f.table);
    if (!f.column.empty()) text += ", column " + quoted(f.column);
    text += ": ";
  }
  text += f.message;
  std::string where;
  if (!f.origin.file.empty()) {
    where = f.origin.file;
    if (f.origin.line > 0) where += ":" + std::to_string(f.origin.line);
  }
  if (!f.revision.empty()) where += (where.empty() ? "" : ", ") + std::string("revision ") + f.revision;
  if (!where.empty()) text += " (" + where + ")";
  return text;
}

std::vector<std::string> tables_named(const std::vector<Op>& ops) {
  std::set<std::string> names;
  for (const Op& op : ops) {
    if (const auto* raw = std::get_if<model::RawSql>(&op)) {
      // Raw SQL names its tables in its text; the statements lint reads are index builds.
      std::vector<std::string> texts;
      if (raw->any) texts.push_back(*raw->any);
      for (const auto& [dialect, text] : raw->by_dialect) texts.push_back(text);
      for (const std::string& text : texts)
        for (const detail::Statement& s : detail::statements(text))
          if (s.kind == detail::Statement::create_index && !s.table.empty()) names.insert(s.table);
      continue;
    }
    names.insert(model::op_table(op));
  }
  names.erase("");
  return {names.begin(), names.end()};
}

// ---------------------------------------------------------------------------------------
// One op: the rules, then the state moves past it.

struct Linter::Step {
  Linter& linter;
  const Source& source;
  Origin op_origin;
  std::vector<Finding>& out;

  const Schema& schema() const { return linter.schema_; }
  bool postgresql() const { return linter.options_.dialect == "postgresql"; }

  // Rows of `table` when known.
  std::optional<std::int64_t> rows(const std::string& table) const {
    if (!linter.rows_) return std::nullopt;
    auto it = linter.rows_->find(table);
    if (it == linter.rows_->end()) return std::nullopt;
    return it->second;
  }

  // The most precise location: the element's own origin (a model file at autogenerate
  // time, the revision file for ops read from one), else the op's line in the revision,
  // else the models' column or table.
  Origin locate(const Origin& element, const std::string& table, const std::string& column) const {
    if (!element.file.empty()) return element;
    if (!op_origin.file.empty()) return op_origin;
    if (source.models != nullptr) {
      if (const Table* t = source.models->find_table(table)) {
        if (const model::Column* c = t->find_column(column); c != nullptr && !c->origin.file.empty())
          return c->origin;
        return t->origin;
      }
    }
    return {};
  }

  void add(const char* rule, Severity severity, std::string message, const Origin& origin,
           std::string table, std::string column = {}) {
    Finding f{.rule = rule,
              .severity = severity,
              .message = std::move(message),
              .origin = origin,
              .revision = source.revision,
              .table = std::move(table),
              .column = std::move(column)};
    for (const std::string& entry : linter.options_.ignore) f.ignored = f.ignored || ignores(entry, f);
    for (const std::string& entry : source.ignore) f.ignored = f.ignored || ignores(entry, f);
    out.push_back(std::move(f));
  }

  // L001: a NOT NULL column without a default cannot be added to a table with rows.
  void add_column(const model::AddColumn& op) {
    const model::Column& c = op.column;
    if (c.nullable || c.default_sql || c.autoincrement) return;
    const Origin where = locate(c.origin, op.table, c.name);
    const std::string fix =
        "; give it a default, or add it nullable, fill it, then make it NOT NULL";
    if (!postgresql()) {
      add(kNotNullWithoutDefault, Severity::error,
          "adds a NOT NULL column without a default, which SQLite refuses even on an empty "
          "table" + fix,
          where, op.table, c.name);
      return;
    }
    const auto n = rows(op.table);
    if (n && *n > 0) {
      add(kNotNullWithoutDefault, Severity::error,
          "adds a NOT NULL column without a default to a table with " +
              describe_rows(*n, linter.count_limit_) + ": the existing rows would have no value" +
              fix,
          where, op.table, c.name);
    }
  }

  // L002: a foreign key must reference a primary key, unique constraint or unique index.
  void foreign_key(const Table& table, const model::ForeignKey& fk) {
    const Table* ref = fk.ref_table == table.name ? &table : schema().find_table(fk.ref_table);
    if (ref == nullptr) return;  // unknown here (raw SQL); model::apply reports a missing one
    const std::vector<std::string>& columns =
        fk.ref_columns.empty() ? ref->primary_key : fk.ref_columns;
    if (columns.empty() || is_unique_key(*ref, columns)) return;
    add(kForeignKeyNotUnique, Severity::error,
        "foreign key " + quoted(fk.name) + " references " + fk.ref_table + " (" + join(columns) +
            "), which is not its primary key, a unique constraint or a unique index: " +
            (postgresql() ? "PostgreSQL refuses it"
                          : "SQLite accepts it, then fails every write with \"foreign key "
                            "mismatch\"") +
            "; reference a unique key, or add a unique constraint on those columns first",
        locate(fk.origin, table.name, fk.columns.size() == 1 ? fk.columns[0] : ""), table.name);
  }

  // L003: a type change that can lose or reject data.
  void alter_column(const model::AlterColumn& op) {
    if (!op.change.type) return;
    std::optional<std::string> from = op.existing.type;
    if (!from) {
      if (const Table* t = schema().find_table(op.table))
        if (const model::Column* c = t->find_column(op.column)) from = c->type;
    }
    if (!from) return;
    const std::string why = narrowing(*from, *op.change.type);
    if (why.empty()) return;
    const std::string column = op.change.rename_to.value_or(op.column);
    add(kTypeNarrowing, Severity::warning,
        "type " + *from + " -> " + *op.change.type + " narrows the column: " + why,
        locate({}, op.table, column), op.table, op.column);
  }

  // L004: dropping a column an index or a view still uses.
  void drop_column(const model::DropColumn& op) {
    const std::string& column = op.column.name;
    const Origin where = locate(op.column.origin, op.table, column);
    for (const View& view : linter.views_) {
      if (!view_uses(view, op.table, column)) continue;
      add(kDropColumnInUse, Severity::error,
          "drops a column that view " + quoted(view.name) +
              (view.uses_known ? " reads" : " appears to read") +
              ": the migration fails (or the view breaks); drop or re-create the view in a "
              "`sql:` op before this one",
          where, op.table, column);
    }
    const Table* table = schema().find_table(op.table);
    if (table == nullptr) return;
    for (const model::Index& index : table->indexes) {
      if (!index_uses(*table, index, column)) continue;
      add(kDropColumnInUse, Severity::warning,
          "drops a column that index " + quoted(index.name) +
              " uses: the index is dropped with it; drop_index it first (so the downgrade "
              "restores it), or keep the column",
          where, op.table, column);
    }
  }

  // L005: on PostgreSQL, CREATE INDEX without CONCURRENTLY blocks writes for the whole build.
  void index_build(const std::string& table, const std::string& what, const Origin& where,
                   bool constraint) {
    if (!postgresql()) return;
    const auto n = rows(table);
    if (!n || *n < linter.options_.large_table_rows) return;
    add(kIndexNotConcurrent, Severity::warning,
        what + " on a table with " + describe_rows(*n, linter.count_limit_) + " (large_table_rows = " +
            std::to_string(linter.options_.large_table_rows) +
            ") blocks writes to it for the whole build; " +
            (constraint ? "build a unique index with CREATE UNIQUE INDEX CONCURRENTLY, then "
                          "ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX"
                        : "build it with CREATE INDEX CONCURRENTLY") +
            " in a `sql:` op of a revision with `transaction: false`",
        where, table);
  }

  void raw_sql(const model::RawSql& op) {
    const std::string text = raw_text(op, linter.options_.dialect);
    for (const detail::Statement& s : detail::statements(text)) {
      switch (s.kind) {
        case detail::Statement::create_view:
          std::erase_if(linter.views_, [&](const View& v) { return v.name == s.name; });
          linter.views_.push_back(View{.name = s.name, .definition = s.body});
          break;
        case detail::Statement::drop_view:
          std::erase_if(linter.views_, [&](const View& v) { return v.name == s.name; });
          break;
        case detail::Statement::create_index:
          if (!s.concurrently)
            index_build(s.table, std::string(s.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") +
                                     s.name,
                        op_origin, false);
          break;
        case detail::Statement::other:
          break;
      }
    }
    // Raw SQL may write rows: a table it names that we believed empty is unknown now.
    if (linter.rows_) {
      std::erase_if(*linter.rows_, [&](const auto& entry) {
        return entry.second == 0 && detail::mentions(text, entry.first);
      });
    }
  }

  void check(const Op& op) {
    std::visit(model::Overloaded{
                   [&](const model::AddColumn& o) { add_column(o); },
                   [&](const model::CreateTable& o) {
                     for (const model::ForeignKey& fk : o.table.foreign_keys) foreign_key(o.table, fk);
                   },
                   [&](const model::CreateForeignKey& o) {
                     if (const Table* t = schema().find_table(o.table)) foreign_key(*t, o.foreign_key);
                   },
                   [&](const model::AlterColumn& o) { alter_column(o); },
                   [&](const model::DropColumn& o) { drop_column(o); },
                   [&](const model::CreateIndex& o) {
                     index_build(o.table, "CREATE INDEX " + o.index.name,
                                 locate(o.index.origin, o.table, ""), false);
                   },
                   [&](const model::CreateUnique& o) {
                     index_build(o.table, "ADD CONSTRAINT " + o.unique.name + " UNIQUE",
                                 locate(o.unique.origin, o.table, ""), true);
                   },
                   [&](const model::RawSql& o) { raw_sql(o); },
                   [](const auto&) {},
               },
               op);
  }

  // Moves the state past `op`: schema, row counts, views.
  void advance(const Op& op) {
    auto& counts = linter.rows_;
    std::visit(model::Overloaded{
                   [&](const model::CreateTable& o) {
                     if (counts && !schema().find_table(o.table.name)) (*counts)[o.table.name] = 0;
                   },
                   [&](const model::DropTable& o) {
                     if (counts) counts->erase(o.table.name);
                   },
                   [&](const model::RenameTable& o) {
                     if (counts) {
                       if (auto node = counts->extract(o.from)) {
                         node.key() = o.to;
                         counts->insert(std::move(node));
                       }
                     }
                     for (View& v : linter.views_)
                       for (View::Use& u : v.uses)
                         if (u.table == o.from) u.table = o.to;
                   },
                   [&](const model::AlterColumn& o) {
                     if (!o.change.rename_to) return;
                     for (View& v : linter.views_)
                       for (View::Use& u : v.uses)
                         if (u.table == o.table && u.column == o.column) u.column = *o.change.rename_to;
                   },
                   [](const auto&) {},
               },
               op);
    (void)model::apply(linter.schema_, op);  // an op that cannot be simulated changes nothing
  }
};

Linter::Linter(Schema before, std::optional<Statistics> stats, Options options)
    : schema_(std::move(before)), options_(std::move(options)) {
  if (stats) {
    rows_ = std::move(stats->rows);
    count_limit_ = stats->count_limit;
    views_ = std::move(stats->views);
  }
}

std::vector<Finding> Linter::lint(const std::vector<Op>& ops, const Source& source) {
  std::vector<Finding> out;
  for (size_t i = 0; i < ops.size(); ++i) {
    Origin op_origin;
    if (!source.file.empty()) {
      op_origin.file = source.file;
      op_origin.line = i < source.op_lines.size() ? source.op_lines[i] : 0;
    }
    Step step{.linter = *this, .source = source, .op_origin = std::move(op_origin), .out = out};
    step.check(ops[i]);
    step.advance(ops[i]);
  }
  return out;
}

std::vector<Finding> lint(const std::vector<Op>& ops, Schema before,
                          const std::optional<Statistics>& stats, const Options& options,
                          const Source& source) {
  Linter linter(std::move(before), stats, options);
  return linter.lint(ops, source);
}

}  // namespace distil::lint
