// The long generated history the crash-safety tests kill the tool in (tests/reliability/
// crash_*_test.cpp): `families` blocks of 13 revisions, each on a parent table with rows and
// an ON DELETE CASCADE child. Five revisions per block force SQLite's 12-step table rebuild
// of the parent while its children hold rows; others add, rename and drop columns, rename the
// child, create and drop indexes and move data with `sql:` ops. On PostgreSQL one block also
// gets a `transaction: false` revision (CREATE INDEX CONCURRENTLY). Deterministic: the same
// arguments give the same files, and every row written has an explicit key, so row contents
// at a revision do not depend on sequences or timing.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace distil::testing::crash {

enum class Dialect { sqlite, postgresql };

struct History {
  std::vector<std::pair<std::string, std::string>> files;  // file name, text
  std::vector<std::string> ids;                            // in apply order
  // The `transaction: false` revision (PostgreSQL only; empty otherwise) and the index it
  // creates: a kill inside it may leave that index (even invalid) behind with the version
  // table still naming the revision before it.
  std::string no_transaction_id, no_transaction_index, no_transaction_table;
};

inline std::string pad(int i, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*d", width, i);
  return buf;
}

inline constexpr int kRevisionsPerFamily = 13;
inline constexpr int kParentRows = 60;

// `families` blocks; on PostgreSQL block families/2 also gets the transaction: false revision.
inline History generate_history(int families, Dialect dialect) {
  History h;
  std::string prev;
  int number = 0;
  auto add = [&](const std::string& message, const std::string& ops, const std::string& extra) {
    ++number;
    const std::string id = "crash" + pad(number, 4);
    std::string text = "# " + pad(number, 4) + " " + message + "\nrevision: \"" + id +
                       "\"\ndown_revision: " + (prev.empty() ? "null" : "\"" + prev + "\"") +
                       "\nmessage: " + message + "\ncreate_date: 2026-11-26T00:00:00Z\n" + extra +
                       "upgrade:\n" + ops;
    h.files.emplace_back(pad(number, 4) + "_" + id + ".yaml", std::move(text));
    h.ids.push_back(id);
    prev = id;
    return id;
  };
  for (int f = 0; f < families; ++f) {
    const std::string n = pad(f, 2);
    const std::string p = "p" + n, c = "c" + n, k = "k" + n;
    // 0: a parent and its ON DELETE CASCADE child.
    add("create " + p + " and " + c,
        "  - create_table: {name: " + p +
            ", columns: [{name: id, type: integer, primary_key: true}, {name: label, type: text}, "
            "{name: qty, type: integer}]}\n"
            "  - create_table:\n      name: " +
            c +
            "\n      columns: [{name: id, type: integer, primary_key: true}, {name: parent_id, "
            "type: integer}, {name: note, type: text}]\n"
            "      foreign_keys: [{columns: [parent_id], references: {table: " +
            p + ", columns: [id]}, on_delete: cascade}]\n",
        "");
    // 1: rows, moved into the child by INSERT ... SELECT.
    std::string values;
    for (int i = 1; i <= kParentRows; ++i)
      values += (i > 1 ? ", " : "") + std::string("(") + std::to_string(i) + ", 'label " + n +
                "-" + std::to_string(i) + "', " + std::to_string(i % 9) + ")";
    add("rows in " + p + " and " + c,
        "  - sql: \"INSERT INTO " + p + " (id, label, qty) VALUES " + values + "\"\n" +
            "  - sql: \"INSERT INTO " + c + " (id, parent_id, note) SELECT id, id, 'first' FROM " +
            p + "\"\n" + "  - sql: \"INSERT INTO " + c +
            " (id, parent_id, note) SELECT id + 1000, id, 'second' FROM " + p + "\"\n",
        "");
    // 2: a new column filled from the others.
    add("add " + p + ".extra",
        "  - add_column: {table: " + p + ", column: {name: extra, type: varchar(20)}}\n" +
            "  - sql: \"UPDATE " + p + " SET extra = 'x' || CAST(id AS varchar(10))\"\n",
        "");
    // 3: a type change of the parent (SQLite: rebuild with children holding rows).
    add("widen " + p + ".label",
        "  - alter_column: {table: " + p +
            ", column: label, type: varchar(80), existing: {type: text, nullable: true}}\n",
        "");
    // 4: an index on the child.
    add("index " + c + ".parent_id",
        "  - create_index: {table: " + c + ", name: ix_" + c + "_parent, columns: [parent_id]}\n",
        "");
    if (dialect == Dialect::postgresql && f == families / 2) {
      h.no_transaction_index = "ix_" + p + "_qty_cc";
      h.no_transaction_table = p;
      // Idempotent, so a rerun after a kill inside it repairs a half-built (invalid) index.
      h.no_transaction_id = add(
          "concurrent index on " + p,
          "  - sql: {postgresql: \"DROP INDEX CONCURRENTLY IF EXISTS " + h.no_transaction_index +
              "\"}\n  - sql: {postgresql: \"CREATE INDEX CONCURRENTLY " + h.no_transaction_index +
              " ON " + p + " (qty)\"}\n",
          "transaction: false\n");
    }
    // 5: NOT NULL on the parent (rebuild).
    add(p + ".qty not null",
        "  - alter_column: {table: " + p +
            ", column: qty, nullable: false, existing: {type: integer, nullable: true}}\n",
        "");
    // 6: a column rename on the child.
    add("rename " + c + ".note",
        "  - alter_column: {table: " + c +
            ", column: note, rename_to: remark, existing: {type: text, nullable: true}}\n",
        "");
    // 7: a check constraint on the parent (rebuild).
    add("check " + p + ".qty",
        "  - create_check: {table: " + p + ", name: ck_" + p + "_qty, expression: \"qty >= 0\"}\n",
        "");
    // 8: data moves: new child rows, an update of every parent row, deleted child rows.
    add("move data in " + p,
        "  - sql: \"INSERT INTO " + c + " (id, parent_id, remark) SELECT id + 2000, id, 'moved' " +
            "FROM " + p + " WHERE id % 3 = 0\"\n" + "  - sql: \"UPDATE " + p +
            " SET qty = qty * 2 + 1\"\n" + "  - sql: \"DELETE FROM " + c +
            " WHERE id % 7 = 0\"\n",
        "");
    // 9: rename the child table.
    add("rename " + c + " to " + k, "  - rename_table: {from: " + c + ", to: " + k + "}\n", "");
    // 10: a second type change of the parent (rebuild), and the child's index dropped.
    add("widen " + p + ".qty",
        "  - alter_column: {table: " + p +
            ", column: qty, type: bigint, existing: {type: integer, nullable: false}}\n" +
            "  - drop_index: {table: " + k + ", name: ix_" + c + "_parent}\n",
        "");
    // 11: a unique constraint on the parent (rebuild).
    add("unique " + p + ".label",
        "  - create_unique: {table: " + p + ", name: uq_" + p + "_label, columns: [label]}\n", "");
    // 12: drop a column of the parent.
    add("drop " + p + ".extra", "  - drop_column: {table: " + p + ", column: extra}\n", "");
  }
  return h;
}

}  // namespace distil::testing::crash
