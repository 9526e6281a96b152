// Formatting of errors for people: the location first, as compilers do.
#include "model/result.hpp"

namespace distil::model {

std::string format_error(const Error& error) {
  std::string out;
  const Where& w = error.where;
  if (!w.file.empty()) {
    out += w.file;
    if (w.line > 0) out += ":" + std::to_string(w.line);
    out += ": ";
  }
  if (!w.revision.empty()) out += "revision " + w.revision + ": ";
  if (!w.table.empty()) out += "table \"" + w.table + "\"" + (w.column.empty() ? ": " : ", ");
  if (!w.column.empty()) out += "column \"" + w.column + "\": ";
  out += error.message;
  return out;
}

bool is_usage_error(const Error& error) {
  return error.code == ErrorCode::usage || error.code == ErrorCode::config;
}

}  // namespace distil::model
