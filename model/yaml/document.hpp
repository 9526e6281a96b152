// Internal to model/yaml: a read-only YAML document, built from libyaml's event parser.
//
// Why not yaml-cpp's DOM: loading a 2000-table model folder (1.3 MB) with YAML::Load took
// about 60% of `check`'s CPU, half of it yaml-cpp's scanner and half the malloc/free of its
// per-node shared_ptr tree (about 25 bytes of heap per byte of YAML); bench/analysis.md has
// the profiles. libyaml scans the same text several times faster, and this tree is what
// the readers need and nothing more: scalars as written, lists and mappings in document
// order, and the 0-based line of every node. Aliases point at the anchored node (no copy),
// so the readers' entry count still bounds what a small file of aliases can cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace distil::model::yaml::detail {

struct Storage;

// A handle to one node of a Document (or to nothing: a default Node is null). Valid while
// its Document lives (moving the Document keeps it valid).
class Node {
 public:
  enum class Kind : std::uint8_t { null, scalar, sequence, map };

  Node() = default;
  Node(const Storage* storage, std::uint32_t index) : storage_(storage), index_(index) {}

  Kind kind() const;
  bool is_null() const { return kind() == Kind::null; }
  bool is_scalar() const { return kind() == Kind::scalar; }
  bool is_sequence() const { return kind() == Kind::sequence; }
  bool is_map() const { return kind() == Kind::map; }

  // The scalar's text as written (quotes removed, escapes resolved); "" for other kinds.
  std::string_view text() const;
  // 0-based line where the node starts; -1 for a null node with no text of its own.
  int line() const;

  // Items of a sequence, entries of a mapping; 0 otherwise.
  std::size_t size() const;
  // The i-th item of a sequence.
  Node item(std::size_t i) const;
  // The i-th key and value of a mapping.
  Node key(std::size_t i) const;
  Node value(std::size_t i) const;

  // `for (Node item : node.items())` over a sequence (empty for other kinds).
  class ItemRange;
  ItemRange items() const;

 private:
  Node child(std::size_t i) const;
  const Storage* storage_ = nullptr;
  std::uint32_t index_ = 0;
};

class Node::ItemRange {
 public:
  class iterator {
   public:
    iterator(Node node, std::size_t i) : node_(node), i_(i) {}
    Node operator*() const { return node_.item(i_); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const iterator& other) const { return i_ != other.i_; }

   private:
    Node node_;
    std::size_t i_;
  };
  explicit ItemRange(Node node) : node_(node) {}
  iterator begin() const { return {node_, 0}; }
  iterator end() const { return {node_, node_.is_sequence() ? node_.size() : 0}; }

 private:
  Node node_;
};

inline Node::ItemRange Node::items() const { return ItemRange(*this); }

// 16 bytes a node, with no allocation of its own: a scalar's text is a slice of one
// buffer per document, and a container's children a slice of one index array. A revision
// file of 5000 tables is 450,000 nodes, read back as it is written, so the size of a node is
// much of autogenerate's peak memory (64-byte nodes with a std::string and a std::vector
// each took 29 MB there).
struct NodeData {
  Node::Kind kind = Node::Kind::null;
  std::int32_t line = -1;
  std::uint32_t first = 0;  // scalars: offset in Storage::text; containers: in children
  std::uint32_t count = 0;  // bytes of text; items (sequence) or keys and values (mapping)
};

struct Storage {
  std::vector<NodeData> nodes;
  std::string text;                     // every scalar's text, one after another
  std::vector<std::uint32_t> children;  // node indexes; a mapping's are key, value, key, ...
};

// Where a libyaml error or a second document was found: its 0-based line.
struct Mark {
  int line = -1;
};

// The first YAML document of a text, and how many documents the text holds.
class Document {
 public:
  // Thrown by parse() for text libyaml rejects, and for an alias to an unknown anchor.
  struct Invalid {
    std::string message;  // libyaml's problem (and context), e.g. "did not find expected key"
    Mark mark;
  };

  // Parses all of `text` (so a syntax error anywhere is reported), builds the tree of the
  // first document only, and records where each document starts.
  static Document parse(std::string_view text);

  // The first document's root; a null Node when the text holds no document.
  Node root() const { return has_root_ ? Node(storage_.get(), root_) : Node(); }
  const std::vector<Mark>& document_starts() const { return starts_; }

  Document(Document&&) = default;
  Document& operator=(Document&&) = default;

 private:
  Document() : storage_(std::make_unique<Storage>()) {}
  std::unique_ptr<Storage> storage_;  // on the heap, so Nodes survive moving the Document
  std::uint32_t root_ = 0;
  bool has_root_ = false;
  std::vector<Mark> starts_;
};

}  // namespace distil::model::yaml::detail
