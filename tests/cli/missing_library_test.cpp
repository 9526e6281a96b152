// libpq and libcrypto are loaded when first needed (dlopen), not at start. On a machine
// without one of them, the commands that need it fail with exit 1 and an error naming the
// library and its Debian package, before anything is applied; the others work. The machine
// without it is simulated by tests/support/hide_library.cpp (LD_PRELOAD), whose dlopen()
// fails for the one soname DISTIL_TEST_HIDE_LIBRARY names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::contains;
using distil::testing::Project;
using distil::testing::RunResult;

namespace {

// The environment of a run without `soname`. ASan (the test build) refuses a preloaded
// library ahead of its runtime unless told that this one is wanted.
std::string without(const std::string& soname) {
  return std::string("LD_PRELOAD='") + DISTIL_HIDE_LIBRARY_SO + "' DISTIL_TEST_HIDE_LIBRARY=" +
         soname + " ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:verify_asan_link_order=0\"";
}

// A PostgreSQL URL no server answers (port 1 of the loopback refuses connections).
const std::string kNoServer = "--database-url postgresql://127.0.0.1:1/nothing";

}  // namespace

TEST_CASE("without libpq.so.5 SQLite works on, and a PostgreSQL URL fails naming libpq") {
  Project p("no-libpq");
  distil::testing::linear(p);
  RunResult up = p.run("upgrade head", true, without("libpq.so.5"));
  CHECK(up.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});

  RunResult missing = p.run(kNoServer + " current", true, without("libpq.so.5"));
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "cannot load the PostgreSQL client library libpq.so.5: "
                              "libpq.so.5: cannot open shared object file"));
  CHECK(contains(missing.err, "(install libpq5)"));
  CHECK_FALSE(contains(missing.err, "internal error"));

  // With libpq there, the same command gets as far as the (absent) server.
  RunResult present = p.run(kNoServer + " current");
  CHECK(present.status == 1);
  CHECK_FALSE(contains(present.err, "cannot load"));
  CHECK(contains(present.err, "127.0.0.1"));
}

TEST_CASE("without libcrypto.so.3 revision files cannot be read: exit 1, nothing applied") {
  Project p("no-libcrypto");
  distil::testing::linear(p);
  RunResult up = p.run("upgrade head", true, without("libcrypto.so.3"));
  CHECK(up.status == 1);
  CHECK(contains(up.err, "SHA-256 of revision files: cannot load libcrypto.so.3: "
                         "libcrypto.so.3: cannot open shared object file"));
  CHECK(contains(up.err, "(install libssl3)"));
  CHECK_FALSE(contains(up.err, "internal error"));
  const std::vector<std::string> tables = p.tables();
  CHECK((tables.empty() || tables == std::vector<std::string>{"<cannot open database>"}));

  // The read-only commands that parse files say the same.
  RunResult heads = p.run("heads", true, without("libcrypto.so.3"));
  CHECK(heads.status == 1);
  CHECK(contains(heads.err, "cannot load libcrypto.so.3"));

  // Once the library is there, the same upgrade runs.
  RunResult again = p.run("upgrade head");
  CHECK(again.status == 0);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});
}
