// Fuzzes the PostgreSQL expression/type normaliser and SQL validation (model/sql_expr, over
// libpg_query). Invariants: no crash, sanitizer report or hang; a rejected input gets a
// message; normalisation is idempotent (the differ compares normalised text with ==).
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "model/sql_expr.hpp"

namespace {

using namespace distil;

template <class F>
void check_normaliser(F normalize, std::string_view text, const char* what) {
  auto once = normalize(text);
  if (!once) {
    fuzz::check_rejection(once.error(), text);
    return;
  }
  auto twice = normalize(*once);
  if (!twice) fuzz::broken(what, "normalised text does not parse: " + *once);
  if (*twice != *once) fuzz::broken(what, "not idempotent: " + *once + "  ->  " + *twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  check_normaliser(model::sql::normalize_expression, text, "normalize_expression");
  check_normaliser(model::sql::normalize_type, text, "normalize_type");
  if (auto ok = model::sql::validate_sql(text); !ok) fuzz::check_rejection(ok.error(), text);
  (void)model::sql::outside_transaction_reason(text);
  return 0;
}
