// Fuzzes the config reader and database URL parser (cli/config). Invariants: no crash,
// sanitizer report or hang; a rejected config gets a message naming the file and, for a
// multi-line input, the line; a rejected URL gets a message located where it was set.
#include <cstdint>

#include "cli/config.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace distil;
  std::string_view text = fuzz::as_text(data, size);
  cli::Config config;
  if (auto ok = cli::parse_config(text, "/fuzz/distil.conf", config); !ok) {
    fuzz::check_rejection(ok.error(), text, "/fuzz/distil.conf");
    return 0;
  }
  auto url = cli::parse_database_url(config.connection, config.connection_where);
  if (!url) {
    fuzz::check_rejection(url.error(), text);
    if (!config.connection_where.file.empty() && url.error().where.line < 1)
      fuzz::broken("a bad URL from the config file has no line", url.error());
  }
  return 0;
}
