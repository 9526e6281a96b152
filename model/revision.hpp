// A revision file (DESIGN §5) as data.
#pragma once

#include <string>
#include <vector>

#include "model/op.hpp"

namespace distil::model {

struct Revision {
  std::string id;                           // any string Alembic accepts, up to 32 characters
  std::vector<std::string> down_revisions;  // empty for a base, several for a merge
  std::string message;
  std::string create_date;                  // as written, ISO 8601
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  // `transaction: false`: the ops run outside a transaction (for statements PostgreSQL
  // refuses inside one, such as CREATE INDEX CONCURRENTLY); the version update follows in
  // its own transaction.
  bool transactional = true;
  // `lint: {ignore: [L003, "L004:orders.legacy"]}`: lint findings accepted for this
  // revision (a rule id, optionally narrowed to a table or table.column); see docs/lint.md.
  std::vector<std::string> lint_ignore;
  // False for a header-only revision (RevisionCache): ids, parents, labels, message and hash,
  // but no ops. Only commands that never run or render ops load revisions that way.
  bool ops_loaded = true;
  std::vector<Op> upgrade, downgrade;
  std::vector<int> upgrade_lines, downgrade_lines;  // source line of each op (0 if unknown)
  std::string path;                         // the file it was read from ("" if built in memory)
  std::string content_hash;                 // SHA-256 (hex) of the text it was parsed from
  int number = 0;                           // NNNN of the file name (0 if none)
  int line = 1;                             // line of `revision:` (for errors)
};

}  // namespace distil::model
