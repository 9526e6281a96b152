// A read-only YAML document tree from libyaml's event parser (see document.hpp for why).
// See: https://pyyaml.org/wiki/LibYAML and yaml.h for the event API.
#include "model/yaml/document.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace distil::model::yaml::detail {

namespace {

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

Node::Kind Node::kind() const {
  return storage_ == nullptr ? Kind::null : storage_->nodes[index_].kind;
}
std::string_view Node::text() const {
  if (!is_scalar()) return {};
  const NodeData& node = storage_->nodes[index_];
  return std::string_view(storage_->text).substr(node.first, node.count);
}
int Node::line() const { return storage_ == nullptr ? -1 : storage_->nodes[index_].line; }

std::size_t Node::size() const {
  if (storage_ == nullptr) return 0;
  const NodeData& node = storage_->nodes[index_];
  if (node.kind == Kind::sequence) return node.count;
  if (node.kind == Kind::map) return node.count / 2;
  return 0;
}

Node Node::child(std::size_t i) const {
  return Node(storage_, storage_->children[storage_->nodes[index_].first + i]);
}
Node Node::item(std::size_t i) const { return child(i); }
Node Node::key(std::size_t i) const { return child(2 * i); }
Node Node::value(std::size_t i) const { return child(2 * i + 1); }

Document Document::parse(std::string_view text) {
  Document doc;
  Storage& store = *doc.storage_;
  // Capacity the size of the text: untouched pages cost no memory, and the buffers rarely
  // move (a scalar's text is at most its source, bar a few escapes; a node takes at least two
  // characters of it, and our files spend more than four).
  store.text.reserve(text.size());
  store.nodes.reserve(text.size() / 4 + 1);
  ParserHandle handle;
  yaml_parser_set_input_string(&handle.parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  // Open containers of the first document, innermost last: the node, where its children
  // start in `pending`, and the anchor it will be registered under when it closes (so an
  // alias inside its own anchor is unknown, and the tree has no cycles).
  struct Open {
    std::uint32_t node;
    std::size_t children_from;
    std::string anchor;
  };
  std::vector<Open> open;
  // The children of every open container, outermost first; a container's move to
  // store.children when it closes.
  std::vector<std::uint32_t> pending;
  std::unordered_map<std::string, std::uint32_t> anchors;
  bool building = false;
  std::size_t depth = 0;  // of all documents, not just the one built

  auto attach = [&](std::uint32_t node) {
    if (open.empty()) {
      doc.root_ = node;
      doc.has_root_ = true;
    } else {
      pending.push_back(node);
    }
  };
  auto add_node = [&](Node::Kind kind, int line) -> std::uint32_t {
    if (store.nodes.size() >= std::numeric_limits<std::uint32_t>::max()) {
      throw Invalid{.message = "too many nodes", .mark = Mark{.line = line}};
    }
    store.nodes.push_back(NodeData{.kind = kind, .line = line});
    return static_cast<std::uint32_t>(store.nodes.size() - 1);
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
        const int line = lines.line(e.start_mark);
        const bool null = is_null_scalar(e);
        const std::uint32_t node = add_node(null ? Node::Kind::null : Node::Kind::scalar, line);
        if (!null) {
          const std::size_t end = store.text.size() + e.data.scalar.length;
          if (end >= std::numeric_limits<std::uint32_t>::max()) {
            throw Invalid{.message = "too much text", .mark = Mark{.line = line}};
          }
          store.nodes[node].first = static_cast<std::uint32_t>(store.text.size());
          store.nodes[node].count = static_cast<std::uint32_t>(e.data.scalar.length);
          store.text.append(reinterpret_cast<const char*>(e.data.scalar.value),
                            e.data.scalar.length);
        }
        if (e.data.scalar.anchor != nullptr) anchors[anchor_of(e.data.scalar.anchor)] = node;
        attach(node);
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
        const bool sequence = e.type == YAML_SEQUENCE_START_EVENT;
        const std::uint32_t node = add_node(sequence ? Node::Kind::sequence : Node::Kind::map,
                                            lines.line(e.start_mark));
        attach(node);
        open.push_back(Open{.node = node,
                            .children_from = pending.size(),
                            .anchor = anchor_of(sequence ? e.data.sequence_start.anchor
                                                         : e.data.mapping_start.anchor)});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        --depth;
        if (!building) break;
        Open closed = std::move(open.back());
        open.pop_back();
        if (store.children.size() + (pending.size() - closed.children_from) >=
            std::numeric_limits<std::uint32_t>::max()) {
          throw Invalid{.message = "too many nodes",
                        .mark = Mark{.line = lines.line(e.start_mark)}};
        }
        NodeData& node = store.nodes[closed.node];
        node.first = static_cast<std::uint32_t>(store.children.size());
        node.count = static_cast<std::uint32_t>(pending.size() - closed.children_from);
        store.children.insert(store.children.end(),
                              pending.begin() + static_cast<std::ptrdiff_t>(closed.children_from),
                              pending.end());
        pending.resize(closed.children_from);
        if (!closed.anchor.empty()) anchors[closed.anchor] = closed.node;
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace distil::model::yaml::detail
