// Fuzzes the YAML model loader (model/yaml/model_io + table_io). Invariants: no crash,
// sanitizer report or hang; a rejected model gets a message naming the file and line; an
// accepted model parses to the same schema again (the loader is deterministic).
//
// Not here: the writer round trip (emitters/model/writer, as `inspect`), because the
// emitters do not build with clang 14 + libstdc++ 12 (emitters/revision/yaml_text.hpp's
// recursive Value; see docs/reliability.md).
#include <cstdint>

#include "fuzz/fuzz_support.hpp"
#include "model/yaml/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distil;
  std::string_view text = fuzz::as_text(data, size);
  auto schema = model::yaml::parse_models(text, "fuzz.yaml");
  if (!schema) {
    fuzz::check_rejection(schema.error(), text, "fuzz.yaml");
    return 0;
  }
  auto again = model::yaml::parse_models(text, "fuzz.yaml");
  if (!again || !(*again == *schema)) fuzz::broken("the same model loads differently twice");
  return 0;
}
