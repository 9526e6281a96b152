// model/yaml/document: the libyaml-backed YAML tree the model and revision readers walk.
#include "model/yaml/document.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using distil::model::yaml::detail::Document;
using distil::model::yaml::detail::Node;

Document::Invalid invalid(const std::string& text) {
  try {
    Document::parse(text);
  } catch (const Document::Invalid& e) {
    return e;
  }
  FAIL("parsed without an error: " << text);
  return {};
}

}  // namespace

TEST_CASE("YAML document: null is a plain, untagged null form; quoted nulls are text") {
  const Document doc =
      Document::parse("a:\nb: ~\nc: null\nd: NULL\ne: \"null\"\nf: 'null'\ng: !!str null\nh: nil\n"
                      "i: !!null x\n");
  const Node root = doc.root();
  REQUIRE(root.is_map());
  REQUIRE(root.size() == 9);
  for (std::size_t i = 0; i < 4; ++i) CHECK_MESSAGE(root.value(i).is_null(), root.key(i).text());
  CHECK(root.value(4).is_scalar());
  CHECK(root.value(4).text() == "null");
  CHECK(root.value(5).text() == "null");
  CHECK(root.value(6).text() == "null");  // an explicit !!str tag keeps the text
  CHECK(root.value(7).text() == "nil");
  CHECK(root.value(8).is_null());  // and an explicit !!null tag makes any plain text null
}

TEST_CASE("YAML document: scalars as written, in order, with 0-based lines") {
  const Document doc = Document::parse(
      "# comment\ntables:\n  t:\n    columns:\n      - {name: id, type: \"integer\"}\n"
      "      - name: b\n        default: '0'\n        comment: \"a\\tb\\u00e9\"\n");
  const Node tables = doc.root().value(0);
  CHECK(doc.root().key(0).text() == "tables");
  CHECK(doc.root().key(0).line() == 1);
  const Node columns = tables.value(0).value(0);
  REQUIRE(columns.is_sequence());
  REQUIRE(columns.size() == 2);
  CHECK(columns.item(0).line() == 4);
  CHECK(columns.item(0).value(1).text() == "integer");
  CHECK(columns.item(1).line() == 5);
  CHECK(columns.item(1).value(1).text() == "0");
  CHECK(columns.item(1).value(2).text() == "a\tb\xc3\xa9");
  CHECK(columns.item(1).value(2).line() == 7);
  int seen = 0;
  for (Node item : columns.items()) {
    CHECK(item.is_map());
    ++seen;
  }
  CHECK(seen == 2);
  // items() of a non-sequence is empty, and a default Node is null with no line.
  for (Node item : tables.items()) FAIL("a mapping has no items: " << item.text());
  CHECK(Node().is_null());
  CHECK(Node().line() == -1);
  CHECK(Node().size() == 0);
}

TEST_CASE("YAML document: nested containers keep their own children, and nodes outlive a move") {
  // Children are collected while containers are open and stored when each closes: nested
  // lists and mappings, closed in any order, must each keep exactly their own.
  Document doc = Document::parse(
      "a: [1, [2, 3], {k: [4], l: 5}, 6]\nb: {x: [], y: {}}\nc: 'last'\n'': empty key\n");
  const Node a = doc.root().value(0);
  REQUIRE(a.size() == 4);
  CHECK(a.item(0).text() == "1");
  CHECK(a.item(1).size() == 2);
  CHECK(a.item(1).item(1).text() == "3");
  CHECK(a.item(2).size() == 2);
  CHECK(a.item(2).key(0).text() == "k");
  CHECK(a.item(2).value(0).item(0).text() == "4");
  CHECK(a.item(2).value(1).text() == "5");
  CHECK(a.item(3).text() == "6");
  const Node b = doc.root().value(1);
  CHECK(b.value(0).is_sequence());
  CHECK(b.value(0).size() == 0);
  CHECK(b.value(1).is_map());
  CHECK(b.value(1).size() == 0);
  CHECK(doc.root().value(2).text() == "last");
  CHECK(doc.root().key(3).is_scalar());
  CHECK(doc.root().key(3).text().empty());
  CHECK(doc.root().size() == 4);
  // Nodes taken before the Document moves (the loaders return it by value) stay valid.
  const Node c = doc.root().value(2);
  const Document moved = std::move(doc);
  CHECK(c.text() == "last");
  CHECK(moved.root().value(0).item(2).value(1).text() == "5");
}

TEST_CASE("YAML document: an alias is the anchored node itself, and must follow it") {
  const Document doc = Document::parse("a: &x [1, 2]\nb: *x\nc: &s text\nd: *s\n");
  const Node root = doc.root();
  CHECK(root.value(1).is_sequence());
  CHECK(root.value(1).size() == 2);
  CHECK(root.value(1).line() == 0);  // where the anchored node is
  CHECK(root.value(3).text() == "text");
  // An alias inside its own anchored node would make a cycle: unknown until the node ends.
  const Document::Invalid cycle = invalid("a: &x [1, *x]\n");
  CHECK(cycle.message.find("unknown anchor *x") != std::string::npos);
  CHECK(cycle.mark.line == 0);
  CHECK(invalid("a: 1\nb: *nowhere\n").mark.line == 1);
}

TEST_CASE("YAML document: every document start is counted, the tree is the first one's") {
  const Document none = Document::parse("");
  CHECK(none.root().is_null());
  CHECK(none.document_starts().empty());
  const Document comment_only = Document::parse("# nothing here\n");
  CHECK(comment_only.root().is_null());
  const Document three = Document::parse("a: 1\n---\nb: 2\n--- [x]\n");
  REQUIRE(three.document_starts().size() == 3);
  CHECK(three.document_starts()[1].line == 1);
  CHECK(three.document_starts()[2].line == 3);
  CHECK(three.root().key(0).text() == "a");
  // A syntax error in a later document is still an error.
  CHECK(invalid("a: 1\n---\nb: [\n").mark.line == 2);
}

TEST_CASE("YAML document: libyaml's errors name the problem, the character and the line") {
  const Document::Invalid comma = invalid(", a: b\n");
  CHECK(comma.message.find("found \",\" at column 1") != std::string::npos);
  CHECK(comma.mark.line == 0);
  const Document::Invalid tab = invalid("a:\n\tb: 1\n");
  CHECK(tab.message.find("a tab") != std::string::npos);
  CHECK(tab.mark.line == 1);
  const Document::Invalid open = invalid("a: [1, 2\n");
  CHECK(open.message.find("the end of the text") != std::string::npos);
  const Document::Invalid octet = invalid("a: \xff\n");
  CHECK(octet.message.find("0xFF") != std::string::npos);
  const Document::Invalid nested = invalid("a: b: c\n");
  CHECK(nested.message.find("mapping values are not allowed") != std::string::npos);
  CHECK(nested.message.find("column 5") != std::string::npos);
}

TEST_CASE("YAML document: nesting deeper than 256 levels is refused as it is read") {
  // libyaml's scanner costs O(depth) per token in flow collections: 200,000 levels took
  // minutes before the limit. Found while replacing yaml-cpp (which refused deep nesting).
  const std::string deep = "tables: " + std::string(200000, '[') + std::string(200000, ']') + "\n";
  const Document::Invalid e = invalid(deep);
  CHECK(e.message.find("nested more than 256 deep") != std::string::npos);
  CHECK(e.mark.line == 0);
  // In a second document too (all documents are read, only the first is built).
  CHECK(invalid("a: 1\n--- " + std::string(300, '[') + std::string(300, ']') + "\n").mark.line ==
        1);
  std::string block;
  for (int i = 0; i < 300; ++i) block += "- ";
  CHECK(invalid(block + "x\n").message.find("nested more than 256 deep") != std::string::npos);
  const std::string fine = std::string(200, '[') + std::string(200, ']');
  CHECK(Document::parse(fine).root().is_sequence());
}

TEST_CASE("YAML document: an error at the end of a text without a final newline is on its last line") {
  // Found by fuzzing (fuzz/model_yaml_fuzz.cpp) once libyaml read the files: libyaml puts the
  // end of such a text on a line after the last.
  CHECK(invalid("tables: {}\n!!str").mark.line == 1);
  CHECK(invalid("tables: {}\n!!str\n").mark.line == 1);
  CHECK(invalid("a: [").mark.line == 0);
}

TEST_CASE("YAML document: lines count newlines only, as editors do") {
  // Found by the CI fuzz run (fuzz/model_yaml_fuzz.cpp): libyaml counts a lone CR (and NEL,
  // LS, PS) as a line break, so lines after one were past the end of the file.
  const Document doc = Document::parse("a: 1\nb: \"x\r\r\r y\"\nc: 2\n");
  CHECK(doc.root().key(2).text() == "c");
  CHECK(doc.root().key(2).line() == 2);
  // CRLF is one break either way; multi-byte characters do not move lines.
  const Document crlf = Document::parse("a: \xc3\xa9\xc3\xa9\r\nb: [1,\r\n 2]\r\nc: 3\r\n");
  CHECK(crlf.root().key(1).line() == 1);
  CHECK(crlf.root().key(2).line() == 3);
  const Document::Invalid e = invalid("a: 1\nb: x\r\r\r\nc: [\n");
  CHECK(e.mark.line == 2);
  CHECK(invalid("a: \xe2\x80\xa8\xe2\x80\xa8 [\n").mark.line == 0);
}
