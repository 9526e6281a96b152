// `graph`: the revision DAG as DOT and Mermaid, compared with golden files
// (tests/graph/data/*; DISTIL_UPDATE_GOLDEN=1 rewrites them), rendered by Graphviz, and the
// Mermaid text checked line by line against the flowchart grammar it uses.
#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/cli_harness.hpp"
#include "tests/support/revision_text.hpp"

using distil::testing::contains;
using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::RunResult;
using distil::testing::write_text;

namespace {

const std::filesystem::path kData = std::filesystem::path(DISTIL_SOURCE_DIR) / "tests/graph/data";

// A project holding the fixture history: aa0001 branches into bb0002 and cc0003 (label
// "feature", a two-line message), dd0004 merges them, ee0005 branches again into the heads
// ff0006 (label "side", depends_on bb0002) and gg0007. bb0002's message has quotes, <, >,
// &, a backslash and a #.
void copy_fixture(const Project& p) {
  for (const auto& entry : std::filesystem::directory_iterator(kData / "versions"))
    if (entry.path().extension() == ".yaml")
      std::filesystem::copy_file(entry.path(), p.dir() / "versions" / entry.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing);
}

void check_golden(const std::string& name, const std::string& actual) {
  auto path = kData / name;
  const char* update = std::getenv("DISTIL_UPDATE_GOLDEN");
  if (update && *update) write_text(path, actual);
  INFO("golden file " << path.string());
  CHECK(read_text(path) == actual);
}

// Graphviz accepts the text: `dot -Tsvg` exits 0 and writes an SVG with one node per revision.
void check_renders(const Project& p, const std::string& dot) {
  write_text(p.dir() / "graph.dot", dot);
  std::string cmd = "dot -Tsvg '" + (p.dir() / "graph.dot").string() + "' -o '" +
                    (p.dir() / "graph.svg").string() + "' 2>'" + (p.dir() / "dot.err").string() + "'";
  int raw = std::system(cmd.c_str());
  INFO(read_text(p.dir() / "dot.err"));
  REQUIRE(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 0);
  // No warning about the input either (a machine without fonts may add fontconfig notes).
  std::istringstream err(read_text(p.dir() / "dot.err"));
  for (std::string line; std::getline(err, line);)
    CHECK_MESSAGE(std::regex_search(line, std::regex("font", std::regex::icase)), line);
  std::string svg = read_text(p.dir() / "graph.svg");
  CHECK(contains(svg, "<svg"));
  for (const char* id : {"aa0001", "bb0002", "cc0003", "dd0004", "ee0005", "ff0006", "gg0007"})
    CHECK(contains(svg, std::string("<title>") + id + "</title>"));
  // The escaped message comes through as its original text (XML-escaped by Graphviz).
  CHECK(contains(svg, "add &quot;quoted&quot; &lt;tags&gt; &amp; a \\ backslash # hash"));
}

// Every line is one of the statements render_mermaid writes; labels hold no raw quote, <, >
// or line break (only entity codes and <br/>); every edge names declared nodes.
void check_mermaid(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    auto nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos);  // ends with a newline
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "flowchart TD");
  static const std::regex kLabel(R"lbl("(?:[^"<>#&]|#(?:quot|lt|gt|amp|35);|<br/>)*")lbl");
  static const std::regex kNode(R"((r\d+)(?:\((".*")\)|\[/(".*")\\\]|\[\\(".*")/\]|\{\{(".*")\}\}))");
  static const std::regex kEdge(R"((r\d+) (?:-->|-\.->) (r\d+))");
  static const std::regex kClassDef(R"(classDef (head|current) [a-z-]+:[#0-9a-z]+)");
  static const std::regex kClass(R"(class (r\d+(?:,r\d+)*) (head|current))");
  std::set<std::string> nodes;
  for (size_t i = 1; i < lines.size(); ++i) {
    INFO("line " << i + 1 << ": " << lines[i]);
    REQUIRE(lines[i].rfind("  ", 0) == 0);
    std::string body = lines[i].substr(2);
    std::smatch m;
    if (std::regex_match(body, m, kNode)) {
      std::string label;
      for (size_t g = 2; g < m.size(); ++g)
        if (m[g].matched) label = m[g].str();
      CHECK(std::regex_match(label, kLabel));
      CHECK(nodes.insert(m[1].str()).second);
    } else if (std::regex_match(body, m, kEdge)) {
      CHECK(nodes.count(m[1].str()));
      CHECK(nodes.count(m[2].str()));
    } else {
      CHECK((std::regex_match(body, kClassDef) || std::regex_match(body, kClass)));
    }
  }
  CHECK(nodes.size() == 7);
}

}  // namespace

TEST_CASE("graph prints the branched and merged history as DOT that Graphviz renders") {
  Project p("graph-dot");
  copy_fixture(p);
  RunResult r = p.run("graph");
  INFO(r.err);
  REQUIRE(r.status == 0);
  check_golden("graph.dot", r.out);
  check_renders(p, r.out);
  // No database file: nothing is current, and that is no error.
  CHECK_FALSE(contains(r.out, "(current)"));
  CHECK(contains(r.err, "No database reachable"));
  CHECK_FALSE(std::filesystem::exists(p.db_path()));  // graph never creates the database
  CHECK(p.run("graph --format dot").out == r.out);
  CHECK(p.run("graph").out == r.out);  // deterministic
}

TEST_CASE("graph --format mermaid prints a flowchart with escaped labels") {
  Project p("graph-mermaid");
  copy_fixture(p);
  RunResult r = p.run("graph --format mermaid");
  INFO(r.err);
  REQUIRE(r.status == 0);
  check_golden("graph.mmd", r.out);
  check_mermaid(r.out);
}

TEST_CASE("graph highlights the database's current revisions when it is reachable") {
  Project p("graph-current");
  copy_fixture(p);
  REQUIRE(p.run("stamp bb0002 cc0003").status == 0);
  RunResult dot = p.run("graph");
  INFO(dot.err);
  REQUIRE(dot.status == 0);
  check_golden("graph_current.dot", dot.out);
  check_renders(p, dot.out);
  RunResult mermaid = p.run("graph --format mermaid");
  REQUIRE(mermaid.status == 0);
  check_golden("graph_current.mmd", mermaid.out);
  check_mermaid(mermaid.out);
  CHECK(contains(mermaid.out, "  class r1,r2 current\n"));
}

TEST_CASE("graph with an unreachable PostgreSQL server draws the graph without error") {
  Project p("graph-nodb");
  copy_fixture(p);
  // Port 1 on localhost: connection refused at once.
  RunResult r = p.run("--database-url postgresql://nobody@127.0.0.1:1/none graph");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(contains(r.out, "digraph revisions {"));
  CHECK_FALSE(contains(r.out, "(current)"));
}

TEST_CASE("graph rejects an unknown format with a usage error") {
  Project p("graph-format");
  copy_fixture(p);
  RunResult r = p.run("graph --format png");
  CHECK(r.status == 2);
  CHECK(contains(r.err, "--format must be dot or mermaid"));
}
