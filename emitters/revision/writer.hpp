// ops -> revision file text (DESIGN §5): the next numbered NNNN_slug.yaml, readable by a
// reviewer. Pure.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::emitters {

// The whole file text for `revision`: a header comment (number and message, and a summary
// of the ops), ids always quoted, ops in the given order, flow style for short mappings,
// and `# DESTRUCTIVE: ...` above every op that loses data. parse_revision() reads it back
// to an equal Revision.
std::string write_revision(const model::Revision& revision);

// Just the ops list as YAML (the body of `upgrade:`), indented by `indent` spaces. Each op
// is rendered on its own: write_ops of consecutive slices of a list, joined, is write_ops of
// the list.
std::string write_ops(std::span<const model::Op> ops, int indent = 2);
std::string write_ops(const std::vector<model::Op>& ops, int indent = 2);

// write_revision()'s text around the ops, so the op lists can be rendered (and read back) a
// slice at a time on several threads:
//   head + upgrade_key + write_ops(upgrade) + downgrade_key + write_ops(downgrade)
// is write_revision(), which is built this way.
struct RevisionLayout {
  std::string head;           // the header comment and fields, up to the `upgrade` key
  std::string upgrade_key;    // "upgrade:\n", or "upgrade: []\n" when there is no op
  std::string downgrade_key;  // likewise
};
RevisionLayout revision_layout(const model::Revision& revision);

// write_revision()'s text, proven to read back: model::yaml::parse_revision() would read it
// without error (otherwise its error, with the line in the whole text). The ops are rendered
// and read back in halves on two threads. `revision`'s ops are freed once rendered (at 5000
// created tables they are megabytes that the read-back need not share memory with).
model::Result<std::string> write_revision_checked(model::Revision& revision,
                                                  const std::string& path);

// "add currency to sales orders" -> "add_currency_to_sales_orders" (at most 40 chars).
std::string slugify(std::string_view message);

// NNNN: 1 + the highest number of the *.yaml files in `folder` (4 digits at least).
std::string next_number(const std::filesystem::path& folder);

}  // namespace distil::emitters
