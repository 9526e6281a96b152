// `graph [--format dot|mermaid]`: the revision DAG as a picture source (Graphviz DOT or a
// Mermaid flowchart). Parents above children; branch points, merges, heads, branch labels
// and (when a database is reachable) its current revision(s) are marked. Deterministic.
#include <iostream>
#include <map>
#include <set>

#include "cli/commands/commands.hpp"
#include "db/runner.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Heads;
using model::Result;

namespace {

// What the picture shows of one revision.
struct Node {
  const model::Revision* rev = nullptr;
  std::string key;  // the node's name in the output
  bool head = false, current = false, branch_point = false, merge = false;
};

struct Edge {
  std::string from, to;  // node keys
  bool depends_on = false;
  friend bool operator<(const Edge& a, const Edge& b) {
    return std::tie(a.from, a.to, a.depends_on) < std::tie(b.from, b.to, b.depends_on);
  }
};

struct Picture {
  std::vector<Node> nodes;  // topological order: parents first, ties by file number then id
  std::set<Edge> edges;
};

Picture build_picture(const model::RevisionGraph& graph, const Heads& current, bool numbered_keys) {
  Picture p;
  std::map<std::string, int> children;
  for (const auto& r : graph.revisions())
    for (const auto& d : r.down_revisions) ++children[d];
  std::set<std::string> heads;
  for (const auto* h : graph.heads()) heads.insert(h->id);
  std::map<std::string, std::string> key_of;
  for (const auto* rev : graph.topological_order()) {
    std::string key = numbered_keys ? "r" + std::to_string(p.nodes.size()) : rev->id;
    key_of[rev->id] = key;
    p.nodes.push_back(Node{.rev = rev,
                           .key = key,
                           .head = heads.count(rev->id) > 0,
                           .current = current.count(rev->id) > 0,
                           .branch_point = children[rev->id] > 1,
                           .merge = rev->down_revisions.size() > 1});
  }
  for (const auto* rev : graph.topological_order()) {
    for (const auto& d : rev->down_revisions) p.edges.insert({key_of[d], key_of[rev->id], false});
    for (const auto& d : rev->depends_on) p.edges.insert({key_of[d], key_of[rev->id], true});
  }
  return p;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The label's lines: "id (labels)", the message's lines, and the marks.
std::vector<std::string> label_lines(const Node& n) {
  std::string title = n.rev->id;
  if (!n.rev->branch_labels.empty()) title += " (" + join(n.rev->branch_labels) + ")";
  std::vector<std::string> lines{title};
  std::string message = n.rev->message;
  while (!message.empty()) {
    auto nl = message.find('\n');
    lines.push_back(message.substr(0, nl));
    if (nl == std::string::npos) break;
    message.erase(0, nl + 1);
  }
  std::string marks;
  if (n.head) marks += "(head) ";
  if (n.current) marks += "(current) ";
  if (n.branch_point) marks += "(branchpoint) ";
  if (n.merge) marks += "(mergepoint) ";
  if (!marks.empty()) lines.push_back(marks.substr(0, marks.size() - 1));
  return lines;
}

// A DOT double-quoted string: backslash and quote escaped; a line break is DOT's "\n"
// (centred line); carriage returns dropped. <, > and & need nothing outside HTML labels.
std::string dot_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out + "\"";
}

std::string render_dot(const Picture& p) {
  std::string out =
      "digraph revisions {\n"
      "  rankdir=TB;\n"
      "  node [shape=box, style=rounded, fontname=\"monospace\"];\n"
      "  edge [arrowhead=normal];\n";
  for (const auto& n : p.nodes) {
    std::string label;
    for (const auto& line : label_lines(n)) label += (label.empty() ? "" : "\n") + line;
    std::string attrs = "label=" + dot_quote(label);
    // Fans out: wider at the bottom; fans in: wider at the top; both: a hexagon.
    if (n.branch_point && n.merge) {
      attrs += ", shape=hexagon";
    } else if (n.branch_point) {
      attrs += ", shape=trapezium";
    } else if (n.merge) {
      attrs += ", shape=invtrapezium";
    }
    std::string style = n.branch_point || n.merge ? "solid" : "rounded";
    if (n.head) {
      attrs += ", peripheries=2";
      style += style.empty() ? "bold" : ",bold";
    }
    if (n.current) {
      style += style.empty() ? "filled" : ",filled";
      attrs += ", fillcolor=\"#ffd54f\"";
    }
    if (style != "rounded") attrs += ", style=" + dot_quote(style);
    out += "  " + dot_quote(n.key) + " [" + attrs + "];\n";
  }
  for (const auto& e : p.edges) {
    out += "  " + dot_quote(e.from) + " -> " + dot_quote(e.to);
    if (e.depends_on) out += " [style=dashed, label=\"depends_on\"]";
    out += ";\n";
  }
  return out + "}\n";
}

// Mermaid label text inside "...": entity codes for the characters Mermaid would read as
// syntax or HTML (#, ", <, >, &); lines joined by <br/>.
std::string mermaid_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '#': out += "#35;"; break;
      case '"': out += "#quot;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '&': out += "#amp;"; break;
      case '\r': break;
      case '\n': out += "<br/>"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_mermaid(const Picture& p) {
  std::string out = "flowchart TD\n";
  for (const auto& n : p.nodes) {
    std::string label;
    for (const auto& line : label_lines(n)) label += (label.empty() ? "" : "<br/>") + mermaid_text(line);
    label = "\"" + label + "\"";
    // The same shapes as the DOT output: trapezoid fans out, inverted trapezoid fans in.
    if (n.branch_point && n.merge) {
      out += "  " + n.key + "{{" + label + "}}\n";
    } else if (n.branch_point) {
      out += "  " + n.key + "[/" + label + "\\]\n";
    } else if (n.merge) {
      out += "  " + n.key + "[\\" + label + "/]\n";
    } else {
      out += "  " + n.key + "(" + label + ")\n";
    }
  }
  for (const auto& e : p.edges) out += "  " + e.from + (e.depends_on ? " -.-> " : " --> ") + e.to + "\n";
  out += "  classDef head stroke-width:3px\n";
  out += "  classDef current fill:#ffd54f\n";
  std::vector<std::string> heads, current;
  for (const auto& n : p.nodes) {
    if (n.head) heads.push_back(n.key);
    if (n.current) current.push_back(n.key);
  }
  auto csv = [](const std::vector<std::string>& keys) {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "" : ",") + k;
    return s;
  };
  if (!heads.empty()) out += "  class " + csv(heads) + " head\n";
  if (!current.empty()) out += "  class " + csv(current) + " current\n";
  return out;
}

// The database's rows when one is reachable; nothing (and no error) otherwise: the graph
// is a picture of the files first.
Heads reachable_current(Context& ctx, const model::RevisionGraph& graph) {
  auto config = ctx.config();
  if (!config) return {};
  auto conn = ctx.connect(false);
  if (!conn) {
    Context::log("No database reachable (" + conn.error().message +
                 "); the current revision is not marked.");
    return {};
  }
  auto heads = db::read_heads(**conn, graph, (*config)->version_table);
  if (!heads) {
    Context::log("Cannot read the version table (" + heads.error().message +
                 "); the current revision is not marked.");
    return {};
  }
  return *heads;
}

Result<void> run_graph(const std::string& format, Context& ctx) {
  if (format != "dot" && format != "mermaid")
    return fail(Error{.code = ErrorCode::usage,
                      .message = "--format must be dot or mermaid, got \"" + format + "\""});
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph_headers());
  Heads current = reachable_current(ctx, *graph);
  // Mermaid node ids must be plain words; revision ids may hold any character.
  Picture p = build_picture(*graph, current, format == "mermaid");
  std::cout << (format == "dot" ? render_dot(p) : render_mermaid(p));
  return {};
}

}  // namespace

void add_graph(CLI::App& app, Context& ctx) {
  auto format = std::make_shared<std::string>("dot");
  auto* cmd = app.add_subcommand("graph", "Print the revision graph as Graphviz DOT or Mermaid");
  cmd->add_option("--format", *format, "dot (default) or mermaid");
  cmd->callback([format, &ctx] { ctx.result = run_graph(*format, ctx); });
}

}  // namespace distil::cli
