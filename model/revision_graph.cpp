// The revision graph: a Boost.Graph DAG (one edge parent -> child per down_revision and per
// depends_on) and Alembic's semantics computed from it: heads, branch labels, target resolution
// and upgrade/downgrade plans. Pure: no database, no files.
#include "model/revision_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace distil::model {
namespace {

// An edge runs from a parent to the revision naming it; `depends` marks a depends_on edge.
struct EdgeKind {
  bool depends = false;
};
// Built once and never changed: Boost's compressed sparse row graph keeps every edge in a
// few flat arrays (an adjacency list allocates per vertex and per edge, which dominated
// building a graph of 10,000 revisions).
using Graph =
    boost::compressed_sparse_row_graph<boost::bidirectionalS, boost::no_property, EdgeKind>;
using Vertex = Graph::vertex_descriptor;
using Marks = std::vector<char>;         // one flag per vertex
using Position = std::optional<Vertex>;  // a point of a walk; nullopt is "base"

constexpr std::size_t kMaxIdLength = 32;  // alembic_version.version_num is VARCHAR(32)
// Alembic refuses these in revision ids: they would make targets such as ID+N ambiguous.
constexpr std::string_view kIllegalIdChars = "@+-:";

// Revision ids to vertices, with the part of std::unordered_map's interface the graph uses:
// the pairs in one array and an open-addressing table of their positions (an
// unordered_map allocates a node per id, which showed in building a graph of 10,000
// revisions). find() returns end() when the id is unknown.
class IdIndex {
 public:
  using Entry = std::pair<std::string_view, Vertex>;

  void reserve(std::size_t n) {
    entries_.reserve(n);
    rehash(n);
  }
  // The entry of `id` and true when it was added; the existing entry and false otherwise.
  std::pair<const Entry*, bool> emplace(std::string_view id, Vertex v) {
    if (2 * (entries_.size() + 1) > slots_.size()) rehash(2 * (entries_.size() + 1));
    std::size_t slot = slot_of(id);
    if (slots_[slot] != kEmpty) return {&entries_[slots_[slot]], false};
    slots_[slot] = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back(id, v);
    return {&entries_.back(), true};
  }
  const Entry* find(std::string_view id) const {
    if (slots_.empty()) return end();
    std::uint32_t at = slots_[slot_of(id)];
    return at == kEmpty ? end() : &entries_[at];
  }
  std::size_t count(std::string_view id) const { return find(id) == end() ? 0 : 1; }
  const Entry* begin() const { return entries_.data(); }
  const Entry* end() const { return entries_.data() + entries_.size(); }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFF;

  // The slot holding `id`, or the empty slot where it belongs (linear probing; the table is
  // never more than half full).
  std::size_t slot_of(std::string_view id) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = std::hash<std::string_view>{}(id) & mask;
    while (slots_[slot] != kEmpty && entries_[slots_[slot]].first != id) slot = (slot + 1) & mask;
    return slot;
  }
  void rehash(std::size_t n) {
    std::size_t size = 16;
    while (size < 2 * n) size *= 2;
    if (size <= slots_.size()) return;
    slots_.assign(size, kEmpty);
    for (std::size_t i = 0; i < entries_.size(); ++i)
      slots_[slot_of(entries_[i].first)] = static_cast<std::uint32_t>(i);
  }

  std::vector<Entry> entries_;
  std::vector<std::uint32_t> slots_;  // a power of two of them
};

bool is_reserved(std::string_view name) {
  return name == "head" || name == "heads" || name == "base";
}

Unexpected usage_error(std::string message) {
  return fail(Error{.code = ErrorCode::usage, .message = std::move(message)});
}

// A parsed target: [LABEL@][SYMBOL][+N|-N].
struct Ref {
  std::string label;
  std::string symbol;
  std::optional<int> relative;
};

Result<Ref> parse_ref(std::string_view text) {
  if (text.empty()) return usage_error("empty revision reference");
  Ref ref;
  std::string_view rest = text;
  std::size_t sign = text.find_last_of("+-");
  if (sign != std::string_view::npos && sign + 1 < text.size()) {
    std::string_view digits = text.substr(sign + 1);
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (digits.size() > 9)
        return usage_error(fmt::format("relative revision '{}' is too large", text));
      int n = 0;
      for (char c : digits) n = n * 10 + (c - '0');
      if (n == 0) return usage_error(fmt::format("relative revision '{}' moves nowhere", text));
      ref.relative = text[sign] == '-' ? -n : n;
      rest = text.substr(0, sign);
    }
  }
  if (std::size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.label = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
    if (ref.label.empty()) return usage_error(fmt::format("'{}' names no branch before '@'", text));
  }
  ref.symbol = std::string(rest);
  if (!ref.relative && ref.symbol.empty()) {
    return usage_error(fmt::format("'{}' names no revision after '@'", text));
  }
  return ref;
}

}  // namespace

struct RevisionGraph::Impl {
  struct Label {
    std::string_view name;
    Vertex owner;  // the revision that declares it
  };

  std::vector<Revision> revisions;  // vertex v is revisions[v]; never changes after build
  Graph graph;
  IdIndex by_id;
  // For prefix look-ups; sorted on the first one (most commands never need it).
  mutable std::vector<std::pair<std::string_view, Vertex>> ids_sorted;
  mutable std::once_flag ids_sorted_once;
  std::vector<Label> labels;
  std::unordered_map<std::string_view, std::size_t> label_by_name;
  std::vector<std::vector<std::size_t>> labels_of;  // per vertex, sorted indices into `labels`
  std::vector<Vertex> topo;
  std::vector<std::size_t> topo_pos;
  std::vector<Vertex> heads, bases, branch_points;  // each in topological order

  static const Impl& of(const std::shared_ptr<const Impl>& impl) {
    static const Impl empty;  // a default-constructed RevisionGraph is an empty history
    return impl ? *impl : empty;
  }

  std::size_t size() const { return revisions.size(); }
  const Revision& rev(Vertex v) const { return revisions[v]; }
  // The vertex of `r`: by address when it is one of this graph's (as every revision a graph
  // hands out is), else by id.
  std::optional<Vertex> vertex_of(const Revision& r) const {
    if (!revisions.empty() && std::less_equal<>{}(revisions.data(), &r) &&
        std::less<>{}(&r, revisions.data() + revisions.size()))
      return static_cast<Vertex>(&r - revisions.data());
    if (auto it = by_id.find(r.id); it != by_id.end()) return it->second;
    return std::nullopt;
  }

  // ---- names for messages ----

  std::string describe(Vertex v) const {
    const Revision& r = rev(v);
    return r.path.empty() ? r.id : fmt::format("{} ({})", r.id, r.path);
  }
  std::string ids(const std::vector<Vertex>& vs) const {
    std::string out;
    for (Vertex v : vs) out += (out.empty() ? "" : ", ") + rev(v).id;
    return out;
  }
  std::string described(const std::vector<Vertex>& vs) const {
    std::string out;
    for (Vertex v : vs) out += (out.empty() ? "" : ", ") + describe(v);
    return out;
  }
  Unexpected revision_error(Vertex v, std::string message) const {
    const Revision& r = rev(v);
    return fail(
        Error{.code = ErrorCode::revision,
              .message = std::move(message),
              .where = {.file = r.path, .line = r.path.empty() ? 0 : r.line, .revision = r.id}});
  }

  // ---- traversal ----

  template <class F>
  void for_each_parent(Vertex v, bool with_depends, F&& f) const {
    for (auto [it, end] = boost::in_edges(v, graph); it != end; ++it) {
      if (with_depends || !graph[*it].depends) f(boost::source(*it, graph));
    }
  }
  template <class F>
  void for_each_child(Vertex v, bool with_depends, F&& f) const {
    for (auto [it, end] = boost::out_edges(v, graph); it != end; ++it) {
      if (with_depends || !graph[*it].depends) f(boost::target(*it, graph));
    }
  }
  // The revision a down_revision (an id) or a depends_on (an id or, as in Alembic, a
  // branch label) names; nullopt when there is none.
  std::optional<Vertex> parent_named(std::string_view name, bool depends) const {
    if (auto it = by_id.find(name); it != by_id.end()) return it->second;
    if (auto label = label_by_name.find(name); depends && label != label_by_name.end())
      return labels[label->second].owner;
    return std::nullopt;
  }
  // The parents of `v` in the order its file names them: its down_revisions, then (with
  // `with_depends`) its depends_on. The graph keeps a vertex's parents in vertex order.
  std::vector<Vertex> declared_parents(Vertex v, bool with_depends) const {
    std::vector<Vertex> out;
    auto add = [&](const std::string& name, bool depends) {
      std::optional<Vertex> p = parent_named(name, depends);
      if (p && std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
    };
    for (const std::string& name : rev(v).down_revisions) add(name, false);
    if (with_depends)
      for (const std::string& name : rev(v).depends_on) add(name, true);
    return out;
  }
  std::vector<Vertex> down_parents(Vertex v) const { return declared_parents(v, false); }
  std::vector<Vertex> down_children(Vertex v) const {
    std::vector<Vertex> out;
    for_each_child(v, false, [&](Vertex c) { out.push_back(c); });
    sort_topologically(out);
    return out;
  }
  void sort_topologically(std::vector<Vertex>& vs) const {
    std::sort(vs.begin(), vs.end(), [&](Vertex a, Vertex b) { return topo_pos[a] < topo_pos[b]; });
  }

  // `starts` and everything they reach through parents (down_revision, and depends_on if
  // asked), or through children when `downward`.
  Marks reach(const std::vector<Vertex>& starts, bool with_depends, bool downward) const {
    Marks seen(size(), 0);
    std::vector<Vertex> todo;
    auto visit = [&](Vertex v) {
      if (!seen[v]) seen[v] = 1, todo.push_back(v);
    };
    for (Vertex s : starts) visit(s);
    while (!todo.empty()) {
      Vertex v = todo.back();
      todo.pop_back();
      if (downward) {
        for_each_child(v, with_depends, visit);
      } else {
        for_each_parent(v, with_depends, visit);
      }
    }
    return seen;
  }
  Marks ancestors(const std::vector<Vertex>& starts, bool with_depends) const {
    return reach(starts, with_depends, /*downward=*/false);
  }
  // `starts` and everything that reaches them through parents.
  Marks descendants(const std::vector<Vertex>& starts, bool with_depends) const {
    return reach(starts, with_depends, /*downward=*/true);
  }
  // The marked vertices that no other marked vertex reaches through down_revision or
  // depends_on (the set need not be closed under ancestry), in topological order.
  std::vector<Vertex> heads_of(const Marks& set) const {
    Marks below(size(), 0);
    std::vector<Vertex> todo;
    for (Vertex v = 0; v < size(); ++v) {
      if (!set[v]) continue;
      for_each_parent(v, true, [&](Vertex p) {
        if (!below[p]) below[p] = 1, todo.push_back(p);
      });
    }
    while (!todo.empty()) {
      Vertex v = todo.back();
      todo.pop_back();
      for_each_parent(v, true, [&](Vertex p) {
        if (!below[p]) below[p] = 1, todo.push_back(p);
      });
    }
    std::vector<Vertex> out;
    for (Vertex v : topo) {
      if (set[v] && !below[v]) out.push_back(v);
    }
    return out;
  }
  std::vector<Vertex> in_topological_order(const Marks& set) const {
    std::vector<Vertex> out;
    for (Vertex v : topo) {
      if (set[v]) out.push_back(v);
    }
    return out;
  }
  std::vector<PlanStep> steps(const Marks& set, bool upgrade) const {
    std::vector<PlanStep> out;
    for (Vertex v : in_topological_order(set)) out.push_back(PlanStep{&rev(v), upgrade});
    if (!upgrade) std::reverse(out.begin(), out.end());  // children first
    return out;
  }

  // ---- build ----

  Result<void> index_ids() {
    by_id.reserve(size());
    for (Vertex v = 0; v < size(); ++v) {
      const std::string& id = rev(v).id;
      if (id.empty()) return revision_error(v, "the revision id is empty");
      if (id.size() > kMaxIdLength) {
        return revision_error(v, fmt::format("revision id '{}' is {} characters long; the version "
                                             "table holds at most {}",
                                             id, id.size(), kMaxIdLength));
      }
      if (std::size_t bad = id.find_first_of(kIllegalIdChars); bad != std::string::npos) {
        return revision_error(v, fmt::format("revision id '{}' contains '{}'; the characters "
                                             "@ + - : are not allowed in revision ids",
                                             id, id[bad]));
      }
      if (is_reserved(id)) {
        return revision_error(v, fmt::format("revision id '{}' is a reserved word", id));
      }
      auto [it, inserted] = by_id.emplace(id, v);
      if (!inserted) {
        return revision_error(v, fmt::format("duplicate revision id '{}': defined in {} and in {}",
                                             id, where_text(it->second), where_text(v)));
      }
    }
    return {};
  }
  std::string where_text(Vertex v) const {
    const Revision& r = rev(v);
    return r.path.empty() ? fmt::format("revision {} (in memory)", r.id) : r.path;
  }

  Result<void> index_labels() {
    for (Vertex v = 0; v < size(); ++v) {
      for (const std::string& name : rev(v).branch_labels) {
        if (name.empty() || name.find('@') != std::string::npos || is_reserved(name)) {
          return revision_error(v, fmt::format("'{}' cannot be a branch label", name));
        }
        if (auto id = by_id.find(name); id != by_id.end()) {
          return revision_error(v, fmt::format("branch label '{}' is also the id of revision {}",
                                               name, describe(id->second)));
        }
        auto [it, inserted] = label_by_name.emplace(name, labels.size());
        if (inserted) {
          labels.push_back(Label{name, v});
        } else if (labels[it->second].owner != v) {
          return revision_error(v, fmt::format("branch label '{}' is already used by revision {}",
                                               name, describe(labels[it->second].owner)));
        }
      }
    }
    return {};
  }

  Result<void> add_edges() {
    std::vector<std::pair<Vertex, Vertex>> edges;
    std::vector<EdgeKind> kinds;
    edges.reserve(size());
    kinds.reserve(size());
    struct Missing {
      Vertex v;
      const char* field;
      std::string_view id;
    };
    std::vector<Missing> missing;
    std::vector<Vertex> parents;  // of v (one vector for all, not an allocation per revision)
    for (Vertex v = 0; v < size(); ++v) {
      parents.clear();
      auto add = [&](std::string_view name, bool depends) {
        const std::optional<Vertex> p = parent_named(name, depends);
        if (!p) {
          missing.push_back({v, depends ? "depends_on" : "down_revision", name});
        } else if (std::find(parents.begin(), parents.end(), *p) == parents.end()) {
          parents.push_back(*p);
          edges.emplace_back(*p, v);
          kinds.push_back(EdgeKind{depends});
        }
      };
      for (const std::string& d : rev(v).down_revisions) add(d, false);
      for (const std::string& d : rev(v).depends_on) add(d, true);
    }
    if (missing.empty()) {
      graph = Graph(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(),
                    kinds.begin(), size());
      return {};
    }
    const Missing& first = missing.front();
    std::string message = fmt::format("{} '{}' is not a known revision", first.field, first.id);
    for (std::size_t i = 1; i < missing.size(); ++i) {
      message += fmt::format("; also revision {}: {} '{}' is not a known revision",
                             describe(missing[i].v), missing[i].field, missing[i].id);
    }
    return revision_error(first.v, std::move(message));
  }

  // Kahn's algorithm; among revisions ready at once the lowest (number, id) goes first.
  Result<void> sort_topologically() {
    std::vector<Vertex> by_rank(size());
    for (Vertex v = 0; v < size(); ++v) by_rank[v] = v;
    auto before = [&](Vertex a, Vertex b) {
      return std::tie(rev(a).number, rev(a).id) < std::tie(rev(b).number, rev(b).id);
    };
    // Revisions come in file-name order, which is usually this order already.
    if (!std::is_sorted(by_rank.begin(), by_rank.end(), before))
      std::sort(by_rank.begin(), by_rank.end(), before);
    std::vector<std::size_t> rank(size());
    for (std::size_t r = 0; r < size(); ++r) rank[by_rank[r]] = r;

    std::vector<std::size_t> waiting(size());
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (Vertex v = 0; v < size(); ++v) {
      waiting[v] = boost::in_degree(v, graph);
      if (waiting[v] == 0) ready.push(rank[v]);
    }
    topo.clear();
    topo.reserve(size());
    while (!ready.empty()) {
      Vertex v = by_rank[ready.top()];
      ready.pop();
      topo.push_back(v);
      for_each_child(v, true, [&](Vertex c) {
        if (--waiting[c] == 0) ready.push(rank[c]);
      });
    }
    if (topo.size() == size()) {
      topo_pos.assign(size(), 0);
      for (std::size_t i = 0; i < topo.size(); ++i) topo_pos[topo[i]] = i;
      return {};
    }
    // Every revision left over still waits for a parent that is left over too, so walking
    // from one to such a parent must come back to a revision already seen: that is a cycle.
    Marks emitted(size(), 0);
    for (Vertex v : topo) emitted[v] = 1;
    Vertex v = 0;
    while (emitted[v]) ++v;
    constexpr std::size_t kUnseen = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> seen_at(size(), kUnseen);
    std::vector<Vertex> path;
    while (seen_at[v] == kUnseen) {
      seen_at[v] = path.size();
      path.push_back(v);
      Vertex next = v;
      for (Vertex p : declared_parents(v, true)) {
        if (!emitted[p] && next == v) next = p;
      }
      if (next == v) break;  // a self-loop
      v = next;
    }
    std::vector<Vertex> cycle(path.begin() + static_cast<std::ptrdiff_t>(seen_at[v]), path.end());
    std::reverse(cycle.begin(), cycle.end());  // parent before child
    auto first = std::min_element(cycle.begin(), cycle.end(),
                                  [&](Vertex a, Vertex b) { return rank[a] < rank[b]; });
    std::rotate(cycle.begin(), first, cycle.end());
    std::string chain;
    for (Vertex c : cycle) chain += describe(c) + " -> ";
    chain += describe(cycle.front());
    return revision_error(cycle.front(),
                          fmt::format("cycle in the revision history: {} (each revision is a "
                                      "down_revision or depends_on of the next)",
                                      chain));
  }

  void derive() {
    labels_of.assign(size(), {});
    for (Vertex v : topo) {
      std::vector<std::size_t>& mine = labels_of[v];
      for (const std::string& name : rev(v).branch_labels) mine.push_back(label_by_name.at(name));
      for_each_parent(v, false, [&](Vertex p) {
        mine.insert(mine.end(), labels_of[p].begin(), labels_of[p].end());
      });
      std::sort(mine.begin(), mine.end());
      mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    }
    for (Vertex v : topo) {
      std::size_t children = 0;
      for_each_child(v, false, [&](Vertex) { ++children; });
      if (children == 0) heads.push_back(v);
      if (children > 1) branch_points.push_back(v);
      if (rev(v).down_revisions.empty()) bases.push_back(v);
    }
  }

  // ---- resolution ----

  Result<Vertex> lookup_id(std::string_view name) const {
    if (auto it = by_id.find(name); it != by_id.end()) return it->second;
    // As Alembic: a prefix matches ids longer than three characters.
    std::call_once(ids_sorted_once, [this] {
      ids_sorted.assign(by_id.begin(), by_id.end());
      std::sort(ids_sorted.begin(), ids_sorted.end());
    });
    std::vector<Vertex> found;
    auto it = std::lower_bound(ids_sorted.begin(), ids_sorted.end(),
                               std::pair<std::string_view, Vertex>{name, 0});
    for (; it != ids_sorted.end() && it->first.substr(0, name.size()) == name; ++it) {
      if (it->first.size() > 3) found.push_back(it->second);
    }
    if (found.size() == 1) return found.front();
    if (found.size() > 1) {
      sort_topologically(found);
      std::string list;
      for (Vertex v : found) list += (list.empty() ? "'" : ", '") + rev(v).id + "'";
      return usage_error(
          fmt::format("multiple revisions start with '{}': {}; give more characters", name, list));
    }
    return usage_error(fmt::format("no such revision or branch '{}'{}", name,
                                   name.size() < 4
                                       ? "; please ensure at least four characters are "
                                         "present for partial revision identifier matches"
                                       : ""));
  }

  // A branch is named by a label or, as in Alembic, by a revision in it.
  Result<Vertex> branch_root(std::string_view name) const {
    if (auto it = label_by_name.find(name); it != label_by_name.end())
      return labels[it->second].owner;
    if (auto it = by_id.find(name); it != by_id.end()) return it->second;
    auto v = lookup_id(name);
    if (v) return *v;
    if (v.error().message.starts_with("multiple revisions")) return fail(std::move(v.error()));
    return usage_error(fmt::format("no such branch '{}'", name));
  }

  // Heads that descend (through down_revision) from `root`, i.e. carry its branch.
  std::vector<Vertex> heads_in_branch(Vertex root) const {
    Marks below = descendants({root}, false);
    std::vector<Vertex> out;
    for (Vertex h : heads) {
      if (below[h]) out.push_back(h);
    }
    return out;
  }
  // Revisions sharing a lineage with `root`: its descendants and its ancestors (down_revision).
  Marks lineage(Vertex root) const {
    Marks out = descendants({root}, false);
    Marks up = ancestors({root}, false);
    for (std::size_t i = 0; i < size(); ++i) out[i] = static_cast<char>(out[i] || up[i]);
    return out;
  }

  Unexpected multiple_heads(std::string_view argument, const std::vector<Vertex>& found) const {
    return usage_error(fmt::format(
        "Multiple head revisions are present for given argument '{}'; please specify a specific "
        "target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all "
        "heads (heads: {})",
        argument, ids(found)));
  }

  // One revision from [LABEL@]SYMBOL (no relative part); nullopt is base.
  Result<Position> resolve_single(const std::string& label, const std::string& symbol) const {
    std::optional<Vertex> root;
    if (!label.empty()) {
      DISTIL_TRY(Vertex r, branch_root(label));
      root = r;
    }
    if (symbol == "base") return Position{};
    if (symbol == "head" || symbol == "heads") {
      std::vector<Vertex> found = root ? heads_in_branch(*root) : heads;
      if (found.size() > 1) {
        return multiple_heads(label.empty() ? symbol : label + "@" + symbol, found);
      }
      if (found.empty()) return Position{};
      return Position{found.front()};
    }
    if (root) {
      DISTIL_TRY(Vertex v, lookup_id(symbol));
      if (!lineage(*root)[v]) {
        return usage_error(
            fmt::format("revision {} is not a member of branch '{}'", rev(v).id, label));
      }
      return Position{v};
    }
    if (!by_id.count(symbol)) {
      if (auto it = label_by_name.find(symbol); it != label_by_name.end()) {
        std::vector<Vertex> found = heads_in_branch(labels[it->second].owner);
        if (found.size() > 1) return multiple_heads(symbol + "@head", found);
        return Position{found.front()};  // the owner's lineage ends in at least one head
      }
    }
    DISTIL_TRY(Vertex v, lookup_id(symbol));
    return Position{v};
  }

  // Walks `steps` along down_revision: up (> 0, towards the heads, within the lineage of
  // `branch` if set) or down (< 0, towards base), as Alembic's relative revisions.
  Result<Position> walk(Position start, int steps, std::optional<Vertex> branch,
                        std::string_view text, bool from_current) const {
    Position at = start;
    std::optional<Marks> within;
    if (branch && steps > 0) within = lineage(*branch);
    int total = steps < 0 ? -steps : steps;
    for (int walked = 0; walked < total; ++walked) {
      std::vector<Vertex> next;
      if (steps > 0) {
        next = at ? down_children(*at) : bases;
        if (within) {
          std::erase_if(next, [&](Vertex v) { return !(*within)[v]; });
        }
        if (next.empty()) {
          std::string from = from_current ? "the current revision"
                             : start      ? "'" + rev(*start).id + "'"
                                          : "base";
          return usage_error(
              fmt::format("relative revision {} goes past the head (only {} "
                          "revision(s) above {})",
                          text, walked, from));
        }
        if (next.size() > 1) {
          return usage_error(fmt::format(
              "relative revision {} is ambiguous: {} is followed by several revisions ({}); "
              "name a revision, or narrow with LABEL@+N",
              text, at ? "revision " + rev(*at).id : std::string("base"), ids(next)));
        }
      } else {
        if (!at) {
          return usage_error(
              from_current
                  ? fmt::format("relative revision {} goes past base (only {} applied)", text,
                                walked)
                  : fmt::format("relative revision {} goes past base (only {} revision(s) at or "
                                "below '{}')",
                                text, walked, start ? rev(*start).id : "base"));
        }
        next = down_parents(*at);
        if (next.size() > 1) {
          return usage_error(fmt::format(
              "relative revision {} is ambiguous: revision {} merges several revisions ({}); "
              "name a revision instead",
              text, rev(*at).id, ids(next)));
        }
        if (next.empty()) {
          at.reset();  // one step down from a base revision is base
          continue;
        }
      }
      at = next.front();
    }
    return at;
  }

  // Where a relative target (+N, -N, LABEL@+N, LABEL@-N) starts: the one current revision
  // (within the branch when a label is given), as Alembic.
  Result<Position> start_from_current(const std::vector<Vertex>& rows, const std::string& label,
                                      std::string_view text) const {
    std::vector<Vertex> from = rows;
    if (!label.empty()) {
      DISTIL_TRY(Vertex root, branch_root(label));
      Marks within = lineage(root);
      std::erase_if(from, [&](Vertex v) { return !within[v]; });
      if (from.empty()) {
        // The branch has no version row (another row depends on its tip): use the tips of
        // what is applied of it.
        Marks active = ancestors(rows, true);
        for (std::size_t i = 0; i < size(); ++i)
          active[i] = static_cast<char>(active[i] && within[i]);
        Marks tip = active;
        for (Vertex v = 0; v < size(); ++v) {
          if (active[v]) for_each_parent(v, true, [&](Vertex p) { tip[p] = 0; });
        }
        from = in_topological_order(tip);
      }
    }
    if (from.size() > 1) {
      sort_topologically(from);
      return usage_error(
          fmt::format("relative revision {} is ambiguous from several current "
                      "revisions ({}); name a revision, or use LABEL@{}",
                      text, ids(from), text));
    }
    if (from.empty()) return Position{};
    return Position{from.front()};
  }

  Result<std::vector<Vertex>> known_rows(const Heads& current) const {
    std::vector<Vertex> rows;
    for (const std::string& id : current) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        return fail(Error{.code = ErrorCode::revision,
                          .message = fmt::format("the version table holds revision '{}', which no "
                                                 "revision file defines",
                                                 id),
                          .where = {.revision = id}});
      }
      rows.push_back(it->second);
    }
    return rows;
  }

  // The target of a relative reference: from the current rows (no symbol) or from SYMBOL.
  Result<Position> relative_target(const std::vector<Vertex>& rows, const Ref& ref,
                                   std::string_view text) const {
    std::optional<Vertex> branch;
    if (!ref.label.empty()) {
      DISTIL_TRY(Vertex root, branch_root(ref.label));
      branch = root;
    }
    bool from_current = ref.symbol.empty();
    Position start;
    if (from_current) {
      DISTIL_TRY(start, start_from_current(rows, ref.label, text));
    } else {
      DISTIL_TRY(start, resolve_single(ref.label, ref.symbol));
    }
    return walk(start, *ref.relative, branch, text, from_current);
  }

  std::string current_text(const std::vector<Vertex>& rows) const {
    return rows.empty() ? "base" : ids(rows);
  }

  // after_step remembers the applied set behind the rows it last returned, so running a plan
  // of n steps costs O(n) in total, not O(n^2). The graph is otherwise immutable and may be
  // shared between threads, hence the mutex.
  struct StepCache {
    bool valid = false;
    Heads rows;     // normalized version rows...
    Marks applied;  // ...and exactly what they apply (closed under ancestry)
  };
  mutable std::mutex step_mutex;
  mutable StepCache step_cache;

  Heads after_step(const Heads& current, Vertex v, bool upgrade) const {
    std::lock_guard<std::mutex> lock(step_mutex);
    StepCache& cache = step_cache;
    if (!cache.valid || cache.rows != current) {
      cache.valid = false;
      std::vector<Vertex> rows;
      for (const std::string& id : current) {
        auto it = by_id.find(id);
        if (it == by_id.end()) return after_step_in_general(current, v, upgrade);
        rows.push_back(it->second);
      }
      Marks applied = ancestors(rows, true);
      if (heads_of(applied).size() != rows.size()) {  // rows below other rows: not normalized
        return after_step_in_general(current, v, upgrade);
      }
      cache = StepCache{true, current, std::move(applied)};
    }
    Marks& applied = cache.applied;
    if (upgrade) {
      if (applied[v]) return current;
      bool parents_applied = true;
      for_each_parent(v, true, [&](Vertex p) { parents_applied = parents_applied && applied[p]; });
      if (!parents_applied) {
        cache.valid = false;
        return after_step_in_general(current, v, upgrade);
      }
      // Only direct parents can be rows below v (any other row below it would be below a
      // parent too): they give way to v.
      applied[v] = 1;
      for_each_parent(v, true, [&](Vertex p) { cache.rows.erase(rev(p).id); });
      cache.rows.insert(rev(v).id);
      return cache.rows;
    }
    if (!applied[v]) return current;
    if (!cache.rows.count(rev(v).id)) {
      cache.valid = false;
      return after_step_in_general(current, v, upgrade);
    }
    // v is a row: removing it keeps the set closed; a parent becomes a row when no applied
    // revision is left above it.
    applied[v] = 0;
    cache.rows.erase(rev(v).id);
    for_each_parent(v, true, [&](Vertex p) {
      bool covered = false;
      for_each_child(p, true, [&](Vertex c) { covered = covered || applied[c]; });
      if (!covered) cache.rows.insert(rev(p).id);
    });
    return cache.rows;
  }

  // heads_of_applied(applied_set(current) with v added or removed), from scratch.
  Heads after_step_in_general(const Heads& current, Vertex v, bool upgrade) const {
    Heads out;
    std::vector<Vertex> rows;
    for (const std::string& id : current) {
      if (auto it = by_id.find(id); it != by_id.end()) {
        rows.push_back(it->second);
      } else {
        out.insert(id);  // unknown to this graph: kept as it is
      }
    }
    Marks applied = ancestors(rows, true);
    applied[v] = upgrade ? 1 : 0;
    for (Vertex h : heads_of(applied)) out.insert(rev(h).id);
    return out;
  }
};

// ---- public API ----

Result<RevisionGraph> RevisionGraph::build(std::vector<Revision> revisions) {
  auto impl = std::make_shared<Impl>();
  impl->revisions = std::move(revisions);
  DISTIL_CHECK(impl->index_ids());
  DISTIL_CHECK(impl->index_labels());
  DISTIL_CHECK(impl->add_edges());
  DISTIL_CHECK(impl->sort_topologically());
  impl->derive();
  RevisionGraph graph;
  graph.impl_ = std::move(impl);
  return graph;
}

const std::vector<Revision>& RevisionGraph::revisions() const { return Impl::of(impl_).revisions; }

const Revision* RevisionGraph::find(std::string_view id) const {
  const Impl& im = Impl::of(impl_);
  auto it = im.by_id.find(id);
  return it == im.by_id.end() ? nullptr : &im.rev(it->second);
}

namespace {
template <class Im>
std::vector<const Revision*> pointers(const Im& im, const std::vector<Vertex>& vs) {
  std::vector<const Revision*> out;
  out.reserve(vs.size());
  for (Vertex v : vs) out.push_back(&im.rev(v));
  return out;
}
}  // namespace

std::vector<const Revision*> RevisionGraph::heads() const {
  const Impl& im = Impl::of(impl_);
  return pointers(im, im.heads);
}
std::vector<const Revision*> RevisionGraph::bases() const {
  const Impl& im = Impl::of(impl_);
  return pointers(im, im.bases);
}
std::vector<const Revision*> RevisionGraph::branch_points() const {
  const Impl& im = Impl::of(impl_);
  return pointers(im, im.branch_points);
}
std::vector<const Revision*> RevisionGraph::children(const Revision& revision) const {
  const Impl& im = Impl::of(impl_);
  std::vector<const Revision*> out;
  if (auto v = im.vertex_of(revision))
    im.for_each_child(*v, false, [&](Vertex c) { out.push_back(&im.rev(c)); });
  return out;
}
bool RevisionGraph::is_head(const Revision& revision) const {
  const Impl& im = Impl::of(impl_);
  auto v = im.vertex_of(revision);
  if (!v) return false;
  bool any = false;
  im.for_each_child(*v, false, [&](Vertex) { any = true; });
  return !any;
}
std::vector<const Revision*> RevisionGraph::topological_order() const {
  const Impl& im = Impl::of(impl_);
  return pointers(im, im.topo);
}

std::set<std::string> RevisionGraph::labels_of(const Revision& revision) const {
  const Impl& im = Impl::of(impl_);
  auto it = im.by_id.find(revision.id);
  if (it == im.by_id.end()) return {revision.branch_labels.begin(), revision.branch_labels.end()};
  std::set<std::string> out;
  for (std::size_t l : im.labels_of[it->second]) out.emplace(im.labels[l].name);
  return out;
}

std::vector<GraphProblem> RevisionGraph::check_single_head_per_branch() const {
  const Impl& im = Impl::of(impl_);
  std::map<std::vector<std::size_t>, std::vector<Vertex>> branches;  // label set -> heads
  for (Vertex h : im.heads) branches[im.labels_of[h]].push_back(h);
  std::vector<GraphProblem> problems;
  for (const auto& [label_set, heads] : branches) {
    if (heads.size() < 2) continue;
    // reach[v]: which of these heads descend from v (a bit set, `words` words per vertex).
    const std::size_t words = (heads.size() + 63) / 64;
    std::vector<std::uint64_t> reach(im.size() * words, 0);
    for (std::size_t i = 0; i < heads.size(); ++i) {
      reach[heads[i] * words + i / 64] |= std::uint64_t{1} << (i % 64);
    }
    for (auto it = im.topo.rbegin(); it != im.topo.rend(); ++it) {
      Vertex v = *it;
      im.for_each_parent(v, false, [&](Vertex p) {
        for (std::size_t w = 0; w < words; ++w) reach[p * words + w] |= reach[v * words + w];
      });
    }
    auto reached = [&](Vertex v) {
      return std::vector<std::uint64_t>(
          reach.begin() + static_cast<std::ptrdiff_t>(v * words),
          reach.begin() + static_cast<std::ptrdiff_t>((v + 1) * words));
    };
    // A branch point divides them where two of its children lead to different heads.
    std::vector<Vertex> divide;
    for (Vertex b : im.branch_points) {
      std::vector<std::vector<std::uint64_t>> sets;
      for (Vertex c : im.down_children(b)) {
        auto set = reached(c);
        if (std::any_of(set.begin(), set.end(), [](std::uint64_t w) { return w != 0; })) {
          sets.push_back(std::move(set));
        }
      }
      if (sets.size() > 1 &&
          std::any_of(sets.begin(), sets.end(), [&](const auto& s) { return s != sets.front(); })) {
        divide.push_back(b);
      }
    }
    std::string branch = "the revision history";
    if (!label_set.empty()) {
      std::string names;
      for (std::size_t l : label_set)
        names += (names.empty() ? "" : ", ") + std::string(im.labels[l].name);
      branch = fmt::format("branch '{}'", names);
    }
    std::string where = divide.empty()
                            ? "they share no branch point (separate bases)"
                            : fmt::format("they diverge at branch point {}", im.described(divide));
    problems.push_back(GraphProblem{
        fmt::format("{} has {} heads: {}; {}. Merge them (merge heads) or give each branch its own "
                    "branch_labels",
                    branch, heads.size(), im.described(heads), where)});
  }
  return problems;
}

Result<std::optional<const Revision*>> RevisionGraph::resolve(std::string_view ref) const {
  const Impl& im = Impl::of(impl_);
  DISTIL_TRY(Ref parsed, parse_ref(ref));
  Position at;
  if (parsed.relative) {
    if (parsed.symbol.empty()) {
      return usage_error(
          fmt::format("relative revision '{}' is relative to the current revision; "
                      "use it as an upgrade or downgrade target",
                      ref));
    }
    DISTIL_TRY(at, im.relative_target({}, parsed, ref));
  } else {
    DISTIL_TRY(at, im.resolve_single(parsed.label, parsed.symbol));
  }
  if (!at) return std::optional<const Revision*>{};
  return std::optional<const Revision*>{&im.rev(*at)};
}

Heads RevisionGraph::heads_of_applied(const std::set<std::string>& applied) const {
  const Impl& im = Impl::of(impl_);
  Marks set(im.size(), 0);
  Heads out;
  for (const std::string& id : applied) {
    if (auto it = im.by_id.find(id); it != im.by_id.end()) {
      set[it->second] = 1;
    } else {
      out.insert(id);  // unknown: nothing can reach it
    }
  }
  for (Vertex v : im.heads_of(set)) out.insert(im.rev(v).id);
  return out;
}

std::set<std::string> RevisionGraph::applied_set(const Heads& heads) const {
  const Impl& im = Impl::of(impl_);
  std::vector<Vertex> rows;
  std::set<std::string> out;
  for (const std::string& id : heads) {
    if (auto it = im.by_id.find(id); it != im.by_id.end()) {
      rows.push_back(it->second);
    } else {
      out.insert(id);
    }
  }
  Marks applied = im.ancestors(rows, true);
  for (Vertex v = 0; v < im.size(); ++v) {
    if (applied[v]) out.insert(im.rev(v).id);
  }
  return out;
}

Result<std::vector<PlanStep>> RevisionGraph::plan_upgrade(const Heads& current,
                                                          std::string_view target) const {
  const Impl& im = Impl::of(impl_);
  DISTIL_TRY(std::vector<Vertex> rows, im.known_rows(current));
  DISTIL_TRY(Ref ref, parse_ref(target));
  std::vector<Vertex> targets;
  if (ref.relative) {
    if (ref.symbol.empty() && *ref.relative < 0) {
      return usage_error(fmt::format("relative revision {} is a downgrade target; use downgrade {}",
                                     target, target));
    }
    DISTIL_TRY(Position at, im.relative_target(rows, ref, target));
    if (at) targets.push_back(*at);
  } else if (ref.symbol == "heads") {
    if (ref.label.empty()) {
      targets = im.heads;
    } else {
      DISTIL_TRY(Vertex root, im.branch_root(ref.label));
      targets = im.heads_in_branch(root);
    }
  } else {
    DISTIL_TRY(Position at, im.resolve_single(ref.label, ref.symbol));
    if (at) targets.push_back(*at);
  }
  Marks need = im.ancestors(targets, true);
  Marks applied = im.ancestors(rows, true);
  for (std::size_t i = 0; i < im.size(); ++i) need[i] = static_cast<char>(need[i] && !applied[i]);
  return im.steps(need, true);
}

Result<std::vector<PlanStep>> RevisionGraph::plan_downgrade(const Heads& current,
                                                            std::string_view target) const {
  const Impl& im = Impl::of(impl_);
  DISTIL_TRY(std::vector<Vertex> rows, im.known_rows(current));
  DISTIL_TRY(Ref ref, parse_ref(target));
  Marks applied = im.ancestors(rows, true);
  auto keep_applied = [&](Marks set) {
    for (std::size_t i = 0; i < im.size(); ++i) set[i] = static_cast<char>(set[i] && applied[i]);
    return set;
  };
  if (!ref.relative && ref.symbol == "base") {
    if (ref.label.empty()) return im.steps(applied, false);
    // LABEL@base: what carries the label, and whatever depends on it.
    DISTIL_TRY(Vertex root, im.branch_root(ref.label));
    return im.steps(keep_applied(im.descendants({root}, true)), false);
  }
  Position at;
  if (ref.relative) {
    if (ref.symbol.empty() && *ref.relative > 0) {
      return usage_error(
          fmt::format("relative revision {} is an upgrade target; use upgrade {}", target, target));
    }
    DISTIL_TRY(at, im.relative_target(rows, ref, target));
  } else {
    DISTIL_TRY(at, im.resolve_single(ref.label, ref.symbol));
  }
  if (!at) return im.steps(applied, false);  // walked down to base
  Vertex to = *at;
  if (!applied[to]) {
    return usage_error(
        fmt::format("revision {} is not below the current revision(s) ({}); "
                    "nothing to downgrade",
                    im.rev(to).id, im.current_text(rows)));
  }
  // As Alembic: unapply the target's children and all that descends from or depends on them.
  std::vector<Vertex> roots = im.down_children(to);
  if (!ref.label.empty() && roots.size() > 1) {
    DISTIL_TRY(Vertex root, im.branch_root(ref.label));
    Marks branch = im.ancestors({root}, false);
    std::erase_if(roots, [&](Vertex v) { return !branch[v]; });
    if (roots.empty()) {
      return usage_error(
          fmt::format("revision {} has no child on branch '{}'; nothing to downgrade",
                      im.rev(to).id, ref.label));
    }
  }
  return im.steps(keep_applied(im.descendants(roots, true)), false);
}

Result<std::vector<PlanStep>> RevisionGraph::plan_delta(const Heads& current, int delta,
                                                        bool upgrade) const {
  if (delta <= 0) {
    return usage_error(
        fmt::format("--delta must be a positive number of revisions, not {}", delta));
  }
  std::string target = fmt::format("{}{}", upgrade ? '+' : '-', delta);
  return upgrade ? plan_upgrade(current, target) : plan_downgrade(current, target);
}

Heads RevisionGraph::after_step(const Heads& current, const PlanStep& step) const {
  const Impl& im = Impl::of(impl_);
  if (step.revision == nullptr) return current;
  auto found = im.by_id.find(step.revision->id);
  if (found == im.by_id.end()) return current;
  return im.after_step(current, found->second, step.upgrade);
}

}  // namespace distil::model
