// Fuzzes the revision-file parser (model/yaml/revision_io). Invariants: no crash, sanitizer
// report or hang; a rejected file gets a message naming the file and line; an accepted
// revision's raw SQL validation never crashes and its rejections carry a message; every op
// has its source line. (No writer round trip: see model_yaml_fuzz.cpp.)
#include <cstdint>

#include "fuzz/fuzz_support.hpp"
#include "model/sql_expr.hpp"
#include "model/yaml/revision_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distil;
  std::string_view text = fuzz::as_text(data, size);
  auto rev = model::yaml::parse_revision(text, "0001_fuzz.yaml");
  if (!rev) {
    fuzz::check_rejection(rev.error(), text, "0001_fuzz.yaml");
    return 0;
  }
  if (auto sql = model::sql::validate_revision_sql(*rev); !sql) fuzz::check_rejection(sql.error(), text);
  if (rev->upgrade_lines.size() != rev->upgrade.size() ||
      rev->downgrade_lines.size() != rev->downgrade.size())
    fuzz::broken("an op has no source line", std::string(text));
  return 0;
}
