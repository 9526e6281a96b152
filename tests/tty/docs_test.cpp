// The manual page (groff renders it without warnings; it names every command and option of
// docs/commands.md), the bash completion (sourced in bash: COMP_WORDS/COMP_CWORD in,
// COMPREPLY out) and `cmake --install` placing both.
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::contains;
using distil::testing::linear;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::rev;
using distil::testing::write_text;

namespace {

const std::filesystem::path kRoot = DISTIL_SOURCE_DIR;
const std::filesystem::path kManPage = kRoot / "docs/distil-db-manage.1";

struct Shell {
  int status = -1;
  std::string out, err;
};

// Runs `script` with bash in `dir`.
Shell bash(const std::filesystem::path& dir, const std::string& script) {
  write_text(dir / "script.sh", script);
  std::string cmd = "cd '" + dir.string() + "' && bash ./script.sh >sh.out 2>sh.err";
  int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_text(dir / "sh.out"), read_text(dir / "sh.err")};
}

// The man page's text with roff escapes undone: \- is -, font changes and \& vanish.
std::string man_words() {
  std::string text = read_text(kManPage);
  text = std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
  text = std::regex_replace(text, std::regex(R"(\\&)"), "");
  text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
  return text;
}

// COMPREPLY for the words, completed in `dir` by the installed-to-be script, sorted.
std::string complete(const std::filesystem::path& dir, const std::string& words) {
  std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
  Shell s = bash(dir, "source '" + (kRoot / "completion/distil-db-manage.bash").string() + "'\n" +
                          "COMP_WORDS=('" + bin + "' " + words + ")\n" +
                          "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                          "_distil_db_manage\n"
                          "[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '\n");
  INFO(s.err);
  CHECK(s.status == 0);
  return s.out;
}

}  // namespace

TEST_CASE("the man page renders with groff without a single warning") {
  Project p("man-groff");
  std::string cmd = "groff -man -Tutf8 -ww -z '" + kManPage.string() + "' 2>'" +
                    (p.dir() / "groff.err").string() + "'";
  int raw = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 0);
  CHECK(read_text(p.dir() / "groff.err") == "");
  // And renders to text at all (man -l uses the same pipeline).
  std::string render = "groff -man -Tutf8 '" + kManPage.string() + "' >'" +
                       (p.dir() / "man.txt").string() + "' 2>/dev/null";
  REQUIRE(std::system(render.c_str()) == 0);
  std::string text = std::regex_replace(read_text(p.dir() / "man.txt"), std::regex(" +"), " ");
  CHECK(contains(text, "distil-db-manage - declarative schema migrations"));
}

TEST_CASE("the man page names every command and option of docs/commands.md") {
  std::string man = man_words();
  std::string commands = read_text(kRoot / "docs/commands.md");
  std::set<std::string> words;
  static const std::regex kCommand(R"(`([a-z_]+))");
  static const std::regex kOption(R"(--?[a-z][a-z-]*)");
  std::size_t rows = 0;
  std::istringstream in(commands);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    ++rows;
    std::string cell = line.substr(2, line.find(" | ", 2) - 2);  // "\|" inside is no end
    for (std::sregex_iterator it(cell.begin(), cell.end(), kCommand), end; it != end; ++it)
      words.insert((*it)[1].str());
    for (std::sregex_iterator it(cell.begin(), cell.end(), kOption), end; it != end; ++it)
      words.insert(it->str());
  }
  CHECK(rows >= 12);
  for (const char* global : {"--config-file", "--database-url", "--color", "graph", "--plan",
                             "--format", "--rehearse", "--from"})
    words.insert(global);
  for (const auto& w : words) {
    INFO(w);
    CHECK(contains(man, w));
  }
}

TEST_CASE("bash completion completes commands, options and revision ids") {
  Project p("completion");
  linear(p);  // aaaa11110001 -> bbbb22220002 -> cccc33330003
  p.add_revision("0004_d.yaml", rev("dddd44440004", "\"cccc33330003\"", "", "",
                                    "branch_labels: [expand]\n"));
  CHECK(complete(p.dir(), "up") == "upgrade ");
  CHECK(complete(p.dir(), "check") == "check check_migration ");
  CHECK(complete(p.dir(), "--co") == "--color --colour --config-file ");
  CHECK(complete(p.dir(), "upgrade --re") == "--rehearse ");
  CHECK(complete(p.dir(), "downgrade --re") == "");  // --rehearse is upgrade's only
  CHECK(complete(p.dir(), "graph --format ''") == "dot mermaid ");
  CHECK(complete(p.dir(), "upgrade --plan --format ''") == "json text ");
  CHECK(complete(p.dir(), "--color ''") == "always auto never ");
  // Revision ids and targets come from the versions folder through the tool.
  CHECK(complete(p.dir(), "upgrade bb") == "bbbb22220002 ");
  CHECK(complete(p.dir(), "upgrade exp") == "expand expand@base expand@head ");
  CHECK(complete(p.dir(), "downgrade ba") == "base ");
  CHECK(complete(p.dir(), "show ''") ==
        "aaaa11110001 base bbbb22220002 cccc33330003 dddd44440004 expand expand@base "
        "expand@head head heads ");
  CHECK(complete(p.dir(), "revision --head cc") == "cccc33330003 ");
  // --config-file on the line is honoured: complete from another folder.
  std::filesystem::create_directories(p.dir() / "elsewhere");
  CHECK(complete(p.dir() / "elsewhere", "--config-file ../distil.conf stamp aa") == "aaaa11110001 ");
  CHECK(complete(p.dir() / "elsewhere", "stamp aa") == "");  // no config here: nothing, quietly
}

TEST_CASE("cmake --install puts the binary, the man page and the bash completion in place") {
  Project p("install");
  std::string cmd = "cmake --install '" + std::string(DISTIL_BINARY_DIR) + "' --prefix '" +
                    (p.dir() / "prefix").string() + "' >'" + (p.dir() / "install.log").string() +
                    "' 2>&1";
  int raw = std::system(cmd.c_str());
  INFO(read_text(p.dir() / "install.log"));
  REQUIRE(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 0);
  CHECK(std::filesystem::exists(p.dir() / "prefix/bin/distil-db-manage"));
  CHECK(read_text(p.dir() / "prefix/share/man/man1/distil-db-manage.1") == read_text(kManPage));
  CHECK(read_text(p.dir() / "prefix/share/bash-completion/completions/distil-db-manage") ==
        read_text(kRoot / "completion/distil-db-manage.bash"));
}
