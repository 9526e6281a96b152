// A read-only YAML document tree from libyaml's event parser (see document.hpp for why).
// See: https://pyyaml.org/wiki/LibYAML and yaml.h for the event API.
#include "model/yaml/document.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace distil::model::yaml::detail {

namespace {

const std::string kEmpty;

// Deeper nesting is refused. The readers need 6 levels; libyaml's scanner costs O(depth) per
// token inside flow collections (`[[[[...`: 2 s at 20,000 levels, minutes at 200,000), and
// the limit is checked as the events arrive, before the depth is reached.
constexpr std::size_t kMaxDepth = 256;

// YAML's null as a plain, untagged scalar (the core schema's null forms; an empty value
// such as `key:` is one too).
bool is_null_scalar(const yaml_event_t& event) {
  const auto& scalar = event.data.scalar;
  if (scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  if (scalar.tag != nullptr) {
    return std::string_view(reinterpret_cast<const char*>(scalar.tag)) == YAML_NULL_TAG;
  }
  const std::string_view value(reinterpret_cast<const char*>(scalar.value), scalar.length);
  return value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
}

// "did not find expected node content: found \",\" at column 1 (while parsing a block node
// at line 1)": libyaml's problem, the character it stopped at, and its context.
std::string problem_of(const yaml_parser_t& parser, std::string_view text) {
  std::string message = parser.problem != nullptr ? parser.problem : "unreadable text";
  if (parser.error == YAML_READER_ERROR && parser.problem_value != -1) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(parser.problem_value) & 0xFF);
    message += std::string(" (byte ") + byte + ")";
  } else if (const std::size_t at = parser.problem_mark.index; at < text.size()) {
    // The whole UTF-8 character at the mark (the reader already checked the encoding).
    std::size_t end = at + 1;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    const std::string_view found = text.substr(at, end - at);
    message += ": found ";
    if (found == "\n" || found == "\r") {
      message += "the end of the line";
    } else if (found == "\t") {
      message += "a tab";
    } else if (found == "\"") {
      message += "'\"'";
    } else {
      message += "\"" + std::string(found) + "\"";
    }
    message += " at column " + std::to_string(parser.problem_mark.column + 1);
  } else if (parser.error != YAML_READER_ERROR && message.find("end of stream") == std::string::npos) {
    message += ": found the end of the text";
  }
  if (parser.context != nullptr) {
    message += std::string(" (") + parser.context + " at line " +
               std::to_string(parser.context_mark.line + 1) + ")";
  }
  return message;
}

// libyaml counts a lone CR, NEL, LS and PS as line breaks (YAML does); editors, and every
// file:line we print, count '\n' only. Maps libyaml's mark (its index counts characters,
// not bytes) to the 0-based number of '\n' before it. Marks arrive in document order, so
// one cursor walks the text once.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {
    // libyaml reads UTF-16 too; its character index is then not ours to map.
    utf16_ = text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') ||
                                  (text[0] == '\xFE' && text[1] == '\xFF'));
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") start_ = byte_ = 3;
  }

  int line(const yaml_mark_t& mark) {
    if (utf16_) return static_cast<int>(mark.line);
    if (mark.index < chars_) {  // an earlier mark: start again
      byte_ = start_;
      chars_ = 0;
      line_ = 0;
    }
    while (chars_ < mark.index && byte_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[byte_]);
      if (c == '\n') ++line_;
      byte_ += c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      ++chars_;
    }
    return line_;
  }

 private:
  std::string_view text_;
  bool utf16_ = false;
  std::size_t start_ = 0, byte_ = 0, chars_ = 0;
  int line_ = 0;
};

struct ParserHandle {
  yaml_parser_t parser;
  ParserHandle() { yaml_parser_initialize(&parser); }
  ~ParserHandle() { yaml_parser_delete(&parser); }
  ParserHandle(const ParserHandle&) = delete;
  ParserHandle& operator=(const ParserHandle&) = delete;
};

struct EventHandle {
  yaml_event_t event;
  bool live = false;
  ~EventHandle() { reset(); }
  void reset() {
    if (live) yaml_event_delete(&event);
    live = false;
  }
};

}  // namespace

Node::Kind Node::kind() const { return data_ == nullptr ? Kind::null : data_->kind; }
const std::string& Node::text() const { return is_scalar() ? data_->text : kEmpty; }
int Node::line() const { return data_ == nullptr ? -1 : data_->line; }

std::size_t Node::size() const {
  if (data_ == nullptr) return 0;
  if (data_->kind == Kind::sequence) return data_->children.size();
  if (data_->kind == Kind::map) return data_->children.size() / 2;
  return 0;
}

Node Node::item(std::size_t i) const { return Node(data_->children[i]); }
Node Node::key(std::size_t i) const { return Node(data_->children[2 * i]); }
Node Node::value(std::size_t i) const { return Node(data_->children[2 * i + 1]); }

Document Document::parse(std::string_view text) {
  Document doc;
  ParserHandle handle;
  yaml_parser_set_input_string(&handle.parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  // Open containers of the first document, innermost last, with the anchor each will be
  // registered under when it closes (so an alias inside its own anchor is unknown, and the
  // tree has no cycles).
  std::vector<std::pair<NodeData*, std::string>> open;
  std::unordered_map<std::string, const NodeData*> anchors;
  bool building = false;
  std::size_t depth = 0;  // of all documents, not just the one built

  auto attach = [&](const NodeData* node) {
    if (open.empty()) {
      doc.root_ = Node(node);
    } else {
      open.back().first->children.push_back(node);
    }
  };
  auto anchor_of = [](const yaml_char_t* anchor) {
    return anchor == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(anchor));
  };

  LineCounter lines(text);
  EventHandle event;
  for (;;) {
    event.reset();
    if (yaml_parser_parse(&handle.parser, &event.event) == 0) {
      Mark mark{.line = lines.line(handle.parser.problem_mark)};
      // At the end of a text without a final newline libyaml counts one line more than the
      // text has: report the last line.
      const auto line_count = static_cast<int>(std::count(text.begin(), text.end(), '\n') +
                                               (text.empty() || text.back() == '\n' ? 0 : 1));
      if (mark.line >= line_count) mark.line = line_count > 0 ? line_count - 1 : 0;
      throw Invalid{.message = problem_of(handle.parser, text), .mark = mark};
    }
    event.live = true;
    const yaml_event_t& e = event.event;
    switch (e.type) {
      case YAML_STREAM_END_EVENT:
        return doc;
      case YAML_DOCUMENT_START_EVENT:
        doc.starts_.push_back(Mark{.line = lines.line(e.start_mark)});
        building = doc.starts_.size() == 1;
        break;
      case YAML_DOCUMENT_END_EVENT:
        building = false;
        break;
      case YAML_ALIAS_EVENT: {
        if (!building) break;
        const std::string name = anchor_of(e.data.alias.anchor);
        const auto found = anchors.find(name);
        if (found == anchors.end()) {
          throw Invalid{.message = "unknown anchor *" + name +
                                   " (an alias must follow its complete &" + name + " node)",
                        .mark = Mark{.line = lines.line(e.start_mark)}};
        }
        attach(found->second);
        break;
      }
      case YAML_SCALAR_EVENT: {
        if (!building) break;
        NodeData& node = doc.nodes_.emplace_back();
        node.line = lines.line(e.start_mark);
        if (is_null_scalar(e)) {
          node.kind = Node::Kind::null;
        } else {
          node.kind = Node::Kind::scalar;
          node.text.assign(reinterpret_cast<const char*>(e.data.scalar.value),
                           e.data.scalar.length);
        }
        if (e.data.scalar.anchor != nullptr) anchors[anchor_of(e.data.scalar.anchor)] = &node;
        attach(&node);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (++depth > kMaxDepth) {
          throw Invalid{.message = "lists and mappings nested more than " +
                                   std::to_string(kMaxDepth) + " deep",
                        .mark = Mark{.line = lines.line(e.start_mark)}};
        }
        if (!building) break;
        NodeData& node = doc.nodes_.emplace_back();
        const bool sequence = e.type == YAML_SEQUENCE_START_EVENT;
        node.kind = sequence ? Node::Kind::sequence : Node::Kind::map;
        node.line = lines.line(e.start_mark);
        attach(&node);
        open.emplace_back(&node, anchor_of(sequence ? e.data.sequence_start.anchor
                                                    : e.data.mapping_start.anchor));
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        --depth;
        if (!building) break;
        auto [node, anchor] = std::move(open.back());
        open.pop_back();
        if (!anchor.empty()) anchors[anchor] = node;
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace distil::model::yaml::detail
