// On a terminal: colour in history/current/heads/branches/show and check, a progress line
// during upgrade/downgrade. Piped: plain text, no progress. NO_COLOR and --color decide
// over the guess. The terminal is a real pseudo-terminal (tests/tty/pty_run.hpp).
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"
#include "tests/tty/pty_run.hpp"

using distil::testing::contains;
using distil::testing::create;
using distil::testing::drop;
using distil::testing::linear;
using distil::testing::OnTty;
using distil::testing::Project;
using distil::testing::PtyResult;
using distil::testing::rev;
using distil::testing::run_on_pty;
using distil::testing::RunResult;
using distil::testing::screen_lines;
using distil::testing::strip_ansi;
using distil::testing::write_text;

namespace {

const std::string kEsc = "\x1b[";

// a -> b, a -> c (label "side"): a branch point and two heads.
void branched(const Project& p) {
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", create("t1"), drop("t1")));
  p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"", create("t2"), drop("t2")));
  p.add_revision("0003_c.yaml", rev("cccc33330003", "\"aaaa11110001\"", create("t3"), drop("t3"),
                                    "branch_labels: [side]\n"));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("history on a terminal colours ids and marks - piped it is the same text, plain") {
  Project p("tty-history");
  branched(p);
  REQUIRE(p.run("upgrade bbbb22220002").status == 0);
  PtyResult tty = run_on_pty(p.dir(), {"history", "-i"}, OnTty::stdout_only);
  INFO(tty.tty);
  REQUIRE(tty.status == 0);
  CHECK(contains(tty.tty, kEsc + "33maaaa11110001" + kEsc + "0m"));    // ids yellow
  CHECK(contains(tty.tty, kEsc + "32m(head)" + kEsc + "0m"));          // heads green
  CHECK(contains(tty.tty, kEsc + "36m(current)" + kEsc + "0m"));       // current cyan
  CHECK(contains(tty.tty, kEsc + "35m(branchpoint)" + kEsc + "0m"));   // branch points magenta
  CHECK(contains(tty.tty, kEsc + "34mside" + kEsc + "0m"));            // branch labels blue
  RunResult piped = p.run("history -i");
  REQUIRE(piped.status == 0);
  CHECK_FALSE(contains(piped.out, "\x1b"));
  CHECK(contains(piped.out, "aaaa11110001 -> bbbb22220002 (head) (current), rev bbbb22220002\n"));
  CHECK(strip_ansi(tty.tty) == piped.out);
}

TEST_CASE("current, heads, branches and show: coloured on a terminal, identical text piped") {
  Project p("tty-others");
  branched(p);
  REQUIRE(p.run("upgrade heads").status == 0);
  for (std::vector<std::string> args : {std::vector<std::string>{"current"}, {"heads"}, {"branches"},
                                        {"show", "aaaa"}, {"history", "-v"}, {"heads", "-v"}}) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO(joined);
    PtyResult tty = run_on_pty(p.dir(), args, OnTty::stdout_only);
    RunResult piped = p.run(joined);
    REQUIRE(tty.status == 0);
    REQUIRE(piped.status == 0);
    CHECK(contains(tty.tty, kEsc + "33m"));
    CHECK_FALSE(contains(piped.out, "\x1b"));
    CHECK(strip_ansi(tty.tty) == piped.out);
  }
}

TEST_CASE("NO_COLOR, TERM=dumb and --color decide over the terminal guess") {
  Project p("tty-nocolor");
  branched(p);
  auto on_tty = [&](std::vector<std::string> args,
                    std::map<std::string, std::optional<std::string>> env = {}) {
    PtyResult r = run_on_pty(p.dir(), args, OnTty::stdout_only, env);
    REQUIRE(r.status == 0);
    return r.tty;
  };
  CHECK(contains(on_tty({"history"}), "\x1b["));
  CHECK_FALSE(contains(on_tty({"history"}, {{"NO_COLOR", "1"}}), "\x1b"));
  CHECK(contains(on_tty({"history"}, {{"NO_COLOR", ""}}), "\x1b["));  // empty: not set
  CHECK_FALSE(contains(on_tty({"history"}, {{"TERM", "dumb"}}), "\x1b"));
  CHECK_FALSE(contains(on_tty({"--color", "never", "history"}), "\x1b"));
  CHECK_FALSE(contains(on_tty({"history", "--color=never"}), "\x1b"));  // after the command too
  CHECK(contains(on_tty({"--color", "always", "history"}, {{"NO_COLOR", "1"}}), "\x1b[33m"));
  RunResult always = p.run("--color always history");
  CHECK(always.status == 0);
  CHECK(contains(always.out, "\x1b[33maaaa11110001\x1b[0m"));
  RunResult bad = p.run("--color sometimes history");
  CHECK(bad.status == 2);
  CHECK(contains(bad.err, "sometimes"));
}

TEST_CASE("check on a terminal: added ops green, removed red, changed yellow - plain when piped") {
  Project p("tty-check");
  write_text(p.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", create("keep") + create("gone"),
                                    drop("gone") + drop("keep")));
  write_text(p.dir() / "models/m.yaml",
             "tables:\n"
             "  keep:\n    columns:\n"
             "      - {name: id, type: integer, primary_key: true}\n"
             "      - {name: v, type: integer}\n"  // text -> integer: changed
             "  fresh:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n");
  REQUIRE(p.run("upgrade head").status == 0);
  PtyResult tty = run_on_pty(p.dir(), {"check"}, OnTty::stdout_only);
  INFO(tty.tty);
  CHECK(tty.status == 1);
  CHECK(contains(tty.tty, kEsc + "32m  - create_table:" + kEsc + "0m"));
  CHECK(contains(tty.tty, kEsc + "32m      name: fresh" + kEsc + "0m"));
  CHECK(contains(tty.tty, kEsc + "31m  - drop_table: {name: gone}" + kEsc + "0m"));
  CHECK(contains(tty.tty, kEsc + "33m  - alter_column:" + kEsc + "0m"));
  CHECK(contains(tty.piped, "ERROR [distil] 3 pending operation(s)"));  // stderr, piped
  RunResult piped = p.run("check");
  CHECK(piped.status == 1);
  CHECK_FALSE(contains(piped.out, "\x1b"));
  CHECK(strip_ansi(tty.tty) == piped.out);
}

TEST_CASE("upgrade and downgrade show a progress line on a terminal and nothing of it piped") {
  Project piped_project("tty-progress-piped");
  linear(piped_project);
  RunResult piped = piped_project.run("upgrade head");
  REQUIRE(piped.status == 0);
  CHECK(contains(piped.err, "INFO  [distil] Running upgrade  -> aaaa11110001, rev aaaa11110001\n"));
  CHECK_FALSE(contains(piped.err, "[1/3]"));
  CHECK_FALSE(contains(piped.err, "\x1b"));
  CHECK_FALSE(contains(piped.err, "\r"));
  CHECK_FALSE(contains(piped.err, "Done:"));

  Project p("tty-progress");
  linear(p);
  PtyResult tty = run_on_pty(p.dir(), {"upgrade", "head"}, OnTty::stderr_only);
  INFO(tty.tty);
  REQUIRE(tty.status == 0);
  CHECK(contains(tty.tty, "\r\x1b[2K"));  // redrawn in place
  CHECK(contains(tty.tty, "[1/3] aaaa11110001 rev aaaa11110001 \u2014 "));
  CHECK(contains(tty.tty, "[2/3] bbbb22220002 rev bbbb22220002 \u2014 "));
  CHECK(contains(tty.tty, "[3/3] cccc33330003 rev cccc33330003 \u2014 "));
  // What the operator sees in the end: the INFO lines exactly as piped, then the summary;
  // the progress line is gone.
  auto screen = screen_lines(tty.tty);
  auto expected = lines_of(piped.err);
  REQUIRE(screen.size() == expected.size() + 1);
  CHECK(std::vector<std::string>(screen.begin(), screen.end() - 1) == expected);
  CHECK(screen.back().rfind("Done: upgraded 3 revisions in ", 0) == 0);
  CHECK(p.versions() == std::vector<std::string>{"cccc33330003"});

  PtyResult down = run_on_pty(p.dir(), {"downgrade", "base"}, OnTty::stderr_only);
  REQUIRE(down.status == 0);
  CHECK(contains(down.tty, "[1/3] cccc33330003 rev cccc33330003 \u2014 "));
  CHECK(screen_lines(down.tty).back().rfind("Done: downgraded 3 revisions in ", 0) == 0);
}

TEST_CASE("upgrade -v on a terminal: every statement line stays whole beside the progress line") {
  Project piped_project("tty-verbose-piped");
  linear(piped_project);
  RunResult piped = piped_project.run("upgrade head -v");
  REQUIRE(piped.status == 0);
  CHECK(contains(piped.err, "INFO  [distil] CREATE TABLE \"t2\""));

  Project p("tty-verbose");
  linear(p);
  PtyResult tty = run_on_pty(p.dir(), {"upgrade", "head", "-v"}, OnTty::stderr_only);
  REQUIRE(tty.status == 0);
  auto screen = screen_lines(tty.tty);
  auto expected = lines_of(piped.err);
  REQUIRE(screen.size() == expected.size() + 1);
  CHECK(std::vector<std::string>(screen.begin(), screen.end() - 1) == expected);
  CHECK(screen.back().rfind("Done: upgraded 3 revisions in ", 0) == 0);
}

TEST_CASE("a failing upgrade on a terminal: the progress line gives way to the summary and error") {
  Project p("tty-fail");
  p.add_revision("0001_a.yaml", rev("aaaa11110001", "", create("t1"), drop("t1")));
  p.add_revision("0002_b.yaml", rev("bbbb22220002", "\"aaaa11110001\"",
                                    "  - sql: \"INSERT INTO no_such_table VALUES (1)\"\n", ""));
  PtyResult tty = run_on_pty(p.dir(), {"upgrade", "head"}, OnTty::stderr_only);
  INFO(tty.tty);
  CHECK(tty.status == 1);
  auto screen = screen_lines(tty.tty);
  auto stopped = std::find_if(screen.begin(), screen.end(), [](const std::string& line) {
    return line.rfind("Stopped at [2/2] after ", 0) == 0;
  });
  REQUIRE(stopped != screen.end());
  CHECK(contains(*stopped, "(1 of 2 revisions done)"));
  REQUIRE(stopped + 1 != screen.end());
  CHECK((stopped + 1)->rfind("ERROR [distil] ", 0) == 0);  // the error starts a line of its own
  CHECK(contains(*(stopped + 1), "no_such_table"));
  // Nothing of the progress line is left on screen.
  for (const auto& line : screen) CHECK_FALSE(contains(line, "\u2014"));
  CHECK(p.versions() == std::vector<std::string>{"aaaa11110001"});
}

TEST_CASE("the progress line is cut to the terminal width, keeping the elapsed time") {
  Project p("tty-width");
  std::string message(150, 'm');
  message += " the end";
  p.add_revision("0001_a.yaml", "revision: \"aaaa11110001\"\ndown_revision: null\nmessage: " + message +
                                    "\ncreate_date: 2026-11-26T00:00:00Z\nupgrade:\n" +
                                    create("t1") + "downgrade:\n" + drop("t1"));
  PtyResult tty = run_on_pty(p.dir(), {"upgrade", "head"}, OnTty::stderr_only);  // 100 columns
  REQUIRE(tty.status == 0);
  // Each drawing of the progress line: from "\r ESC[2K" to the next "\r".
  std::size_t drawings = 0;
  for (size_t at = tty.tty.find("\r\x1b[2K"); at != std::string::npos;
       at = tty.tty.find("\r\x1b[2K", at + 1)) {
    std::string drawn = strip_ansi(tty.tty.substr(at + 1, tty.tty.find('\r', at + 1) - at - 1));
    if (drawn.rfind("[1/1]", 0) != 0) continue;
    ++drawings;
    INFO(drawn);
    std::size_t chars = 0;
    for (unsigned char c : drawn) chars += (c & 0xC0U) != 0x80U;
    CHECK(chars <= 99);
    CHECK(contains(drawn, "\u2026 \u2014 "));  // the message is cut, the elapsed time kept
  }
  CHECK(drawings >= 1);
}
