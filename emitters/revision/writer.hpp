// ops -> revision file text (DESIGN §5): the next numbered NNNN_slug.yaml, readable by a
// reviewer. Pure.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model/revision.hpp"

namespace distil::emitters {

// The whole file text for `revision`: a header comment (number and message, and a summary
// of the ops), ids always quoted, ops in the given order, flow style for short mappings,
// and `# DESTRUCTIVE: ...` above every op that loses data. parse_revision() reads it back
// to an equal Revision.
std::string write_revision(const model::Revision& revision);

// Just the ops list as YAML (the body of `upgrade:`), indented by `indent` spaces.
std::string write_ops(const std::vector<model::Op>& ops, int indent = 2);

// "add currency to sales orders" -> "add_currency_to_sales_orders" (at most 40 chars).
std::string slugify(std::string_view message);

// NNNN: 1 + the highest number of the *.yaml files in `folder` (4 digits at least).
std::string next_number(const std::filesystem::path& folder);

}  // namespace distil::emitters
