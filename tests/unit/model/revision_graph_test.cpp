// The revision graph: validation, heads and labels, target resolution and plans (Alembic
// semantics), on histories built in memory.
#include "model/revision_graph.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model {
namespace {

using Ids = std::vector<std::string>;

Revision rev(std::string id, Ids down = {}, Ids labels = {}, Ids depends = {}, int number = 0) {
  Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.branch_labels = std::move(labels);
  r.depends_on = std::move(depends);
  r.number = number;
  return r;
}

Revision in_file(Revision r, std::string path, int line = 2) {
  r.path = std::move(path);
  r.line = line;
  return r;
}

RevisionGraph graph_of(std::vector<Revision> revisions) {
  auto graph = RevisionGraph::build(std::move(revisions));
  REQUIRE_MESSAGE(graph.has_value(), (graph ? "" : format_error(graph.error())));
  return *graph;
}

Ids ids(const std::vector<const Revision*>& revisions) {
  Ids out;
  for (const Revision* r : revisions) out.push_back(r->id);
  return out;
}

// The ids of a plan, checking every step goes in the expected direction.
Ids plan_ids(const Result<std::vector<PlanStep>>& plan, bool upgrade) {
  REQUIRE_MESSAGE(plan.has_value(), (plan ? "" : format_error(plan.error())));
  Ids out;
  for (const PlanStep& step : *plan) {
    CHECK(step.upgrade == upgrade);
    out.push_back(step.revision->id);
  }
  return out;
}
Ids up(const Result<std::vector<PlanStep>>& plan) { return plan_ids(plan, true); }
Ids down(const Result<std::vector<PlanStep>>& plan) { return plan_ids(plan, false); }

// The version rows after running a whole plan step by step, as the runner does.
Heads run(const RevisionGraph& graph, Heads current, const Result<std::vector<PlanStep>>& plan) {
  REQUIRE_MESSAGE(plan.has_value(), (plan ? "" : format_error(plan.error())));
  for (const PlanStep& step : *plan) current = graph.after_step(current, step);
  return current;
}

template <class T>
Error error_of(const Result<T>& result) {
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// kilo, then an expand branch (e1 -> e2 -> e3) and a contract branch (c1 -> c2) whose
// revisions depend on expand ones, as OpenStack Neutron's history.
std::vector<Revision> neutron_like() {
  return {
      rev("kilo", {}, {}, {}, 1),
      rev("e1", {"kilo"}, {"expand"}, {}, 2),
      rev("c1", {"kilo"}, {"contract"}, {"e1"}, 3),
      rev("e2", {"e1"}, {}, {}, 4),
      rev("c2", {"c1"}, {}, {"e2"}, 5),
      rev("e3", {"e2"}, {}, {}, 6),
  };
}

PlanStep step(const RevisionGraph& graph, const std::string& id, bool upgrade) {
  const Revision* r = graph.find(id);
  REQUIRE(r != nullptr);
  return PlanStep{r, upgrade};
}

}  // namespace

TEST_CASE("a linear chain is ordered by down_revision, not by file number") {
  RevisionGraph graph = graph_of({rev("d", {"c"}, {}, {}, 1), rev("b", {"a"}, {}, {}, 3),
                                  rev("a", {}, {}, {}, 4), rev("c", {"b"}, {}, {}, 2)});
  CHECK(ids(graph.topological_order()) == Ids{"a", "b", "c", "d"});
  CHECK(ids(graph.heads()) == Ids{"d"});
  CHECK(ids(graph.bases()) == Ids{"a"});
  CHECK(graph.branch_points().empty());
  CHECK(up(graph.plan_upgrade({}, "head")) == Ids{"a", "b", "c", "d"});
  CHECK(up(graph.plan_upgrade({"b"}, "head")) == Ids{"c", "d"});
  CHECK(down(graph.plan_downgrade({"d"}, "base")) == Ids{"d", "c", "b", "a"});
  CHECK(down(graph.plan_downgrade({"d"}, "b")) == Ids{"d", "c"});
  CHECK(run(graph, {}, graph.plan_upgrade({}, "head")) == Heads{"d"});
  CHECK(run(graph, {"d"}, graph.plan_downgrade({"d"}, "b")) == Heads{"b"});
  CHECK(run(graph, {"d"}, graph.plan_downgrade({"d"}, "base")) == Heads{});
}

TEST_CASE("revisions ready at the same time are ordered by file number, then id") {
  RevisionGraph graph = graph_of({rev("r", {}, {}, {}, 1), rev("m", {"r"}, {}, {}, 3),
                                  rev("k", {"r"}, {}, {}, 2), rev("j", {"r"}, {}, {}, 2)});
  CHECK(ids(graph.topological_order()) == Ids{"r", "j", "k", "m"});
  CHECK(ids(graph.heads()) == Ids{"j", "k", "m"});
  CHECK(ids(graph.branch_points()) == Ids{"r"});
}

TEST_CASE("resolve accepts head, base, full ids and an id that is a prefix of another") {
  RevisionGraph graph = graph_of({rev("006"), rev("0061", {"006"}), rev("kilo", {"0061"})});
  CHECK(graph.resolve("head").value().value()->id == "kilo");
  CHECK(graph.resolve("heads").value().value()->id == "kilo");
  CHECK_FALSE(graph.resolve("base").value().has_value());
  CHECK(graph.resolve("006").value().value()->id == "006");  // exact beats prefix
  CHECK(graph.resolve("0061").value().value()->id == "0061");
  CHECK(graph.resolve("kil").value().value()->id == "kilo");
  CHECK(graph.resolve("kilo-2").value().value()->id == "006");
  CHECK(graph.find("0061") != nullptr);
  CHECK(graph.find("006x") == nullptr);
}

TEST_CASE("a branch and its merge: both sides apply before the merge") {
  RevisionGraph graph =
      graph_of({rev("a", {}, {}, {}, 1), rev("b1", {"a"}, {}, {}, 2), rev("b2", {"a"}, {}, {}, 3),
                rev("m", {"b1", "b2"}, {}, {}, 4), rev("n", {"m"}, {}, {}, 5)});
  CHECK(ids(graph.branch_points()) == Ids{"a"});
  CHECK(ids(graph.heads()) == Ids{"n"});
  CHECK(up(graph.plan_upgrade({}, "head")) == Ids{"a", "b1", "b2", "m", "n"});
  CHECK(up(graph.plan_upgrade({"b1"}, "head")) == Ids{"b2", "m", "n"});
  CHECK(up(graph.plan_upgrade({"b1"}, "m")) == Ids{"b2", "m"});
  CHECK(down(graph.plan_downgrade({"n"}, "a")) == Ids{"n", "m", "b2", "b1"});
  CHECK(down(graph.plan_downgrade({"n"}, "b1")) == Ids{"n", "m"});
  CHECK(run(graph, {"n"}, graph.plan_downgrade({"n"}, "b1")) == Heads{"b1", "b2"});
  CHECK(graph.check_single_head_per_branch().empty());
}

TEST_CASE("after_step keeps one row per unmerged head across a merge") {
  RevisionGraph graph = graph_of({rev("a", {}, {}, {}, 1), rev("b1", {"a"}, {}, {}, 2),
                                  rev("b2", {"a"}, {}, {}, 3), rev("m", {"b1", "b2"}, {}, {}, 4)});
  Heads rows = graph.after_step({}, step(graph, "a", true));
  CHECK(rows == Heads{"a"});
  rows = graph.after_step(rows, step(graph, "b1", true));
  CHECK(rows == Heads{"b1"});
  rows = graph.after_step(rows, step(graph, "b2", true));
  CHECK(rows == Heads{"b1", "b2"});
  rows = graph.after_step(rows, step(graph, "m", true));
  CHECK(rows == Heads{"m"});
  rows = graph.after_step(rows, step(graph, "m", false));
  CHECK(rows == Heads{"b1", "b2"});
  rows = graph.after_step(rows, step(graph, "b2", false));
  CHECK(rows == Heads{"b1"});
  rows = graph.after_step(rows, step(graph, "b1", false));
  CHECK(rows == Heads{"a"});
  rows = graph.after_step(rows, step(graph, "a", false));
  CHECK(rows == Heads{});
}

TEST_CASE(
    "after_step agrees with heads_of_applied(applied_set(current) +/- the step) from any state") {
  RevisionGraph graph = graph_of(neutron_like());
  // Asked in an order that jumps between states, and with rows that are not normalized
  // ({kilo, e3}: kilo is below e3), as a version table edited by hand could be.
  const std::vector<Heads> states{{},           {"c2", "e3"}, {"kilo"},       {"e3"}, {"c2"},
                                  {"c1", "e2"}, {"e1"},       {"kilo", "e3"}, {"c1"}, {"c2", "e3"}};
  int compared = 0;
  for (const Heads& current : states) {
    for (const Revision* r : graph.topological_order()) {
      for (bool upgrade : {true, false}) {
        std::set<std::string> applied = graph.applied_set(current);
        if (upgrade) {
          applied.insert(r->id);
        } else {
          applied.erase(r->id);
        }
        CHECK_MESSAGE(
            graph.after_step(current, PlanStep{r, upgrade}) == graph.heads_of_applied(applied),
            (upgrade ? "upgrade " : "downgrade ")
                << r->id << " from " << current.size() << " row(s)");
        ++compared;
      }
    }
  }
  CHECK(compared == 120);
  CHECK(graph.after_step({"kilo", "e3"}, step(graph, "c1", true)) == Heads{"c1", "e3"});
}

TEST_CASE("two heads: 'head' is refused as Alembic does, 'heads' applies both") {
  RevisionGraph graph =
      graph_of({rev("a", {}, {}, {}, 1), rev("b", {"a"}, {}, {}, 2), rev("c", {"a"}, {}, {}, 3)});
  CHECK(ids(graph.heads()) == Ids{"b", "c"});
  Error error = error_of(graph.resolve("head"));
  CHECK(error.code == ErrorCode::usage);
  CHECK(contains(error.message,
                 "Multiple head revisions are present for given argument 'head'; please specify a "
                 "specific target revision, '<branchname>@head' to narrow to a specific head, or "
                 "'heads' for all heads"));
  CHECK(contains(error.message, "b, c"));
  CHECK(error_of(graph.plan_upgrade({}, "head")).code == ErrorCode::usage);
  CHECK(up(graph.plan_upgrade({}, "heads")) == Ids{"a", "b", "c"});
  CHECK(run(graph, {}, graph.plan_upgrade({}, "heads")) == Heads{"b", "c"});
  CHECK(up(graph.plan_upgrade({"b"}, "heads")) == Ids{"c"});
}

TEST_CASE("check_single_head_per_branch names the heads and the branch point") {
  RevisionGraph graph = graph_of({in_file(rev("a", {}, {}, {}, 1), "versions/0001_a.yaml"),
                                  rev("b", {"a"}, {}, {}, 2), rev("c", {"a"}, {}, {}, 3),
                                  rev("d", {"c"}, {}, {}, 4)});
  std::vector<GraphProblem> problems = graph.check_single_head_per_branch();
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems[0].message, "2 heads: b, d"));
  CHECK(contains(problems[0].message, "branch point a (versions/0001_a.yaml)"));

  RevisionGraph two_bases = graph_of({rev("x"), rev("y")});
  problems = two_bases.check_single_head_per_branch();
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems[0].message, "separate bases"));
}

TEST_CASE("heads carrying distinct branch labels are separate branches - a fork inside one is not") {
  CHECK(graph_of(neutron_like()).check_single_head_per_branch().empty());

  std::vector<Revision> forked = neutron_like();
  forked.push_back(rev("e3b", {"e2"}, {}, {}, 7));
  std::vector<GraphProblem> problems = graph_of(forked).check_single_head_per_branch();
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems[0].message, "branch 'expand' has 2 heads: e3, e3b"));
  CHECK(contains(problems[0].message, "diverge at branch point e2"));
  CHECK_FALSE(contains(problems[0].message, "kilo"));
}

TEST_CASE("a unique prefix resolves - an ambiguous prefix lists its candidates") {
  RevisionGraph graph = graph_of({rev("1975ea83b712"), rev("ae1027a6acf", {"1975ea83b712"}),
                                  rev("ae10b2c3d4e5", {"ae1027a6acf"})});
  CHECK(graph.resolve("1975").value().value()->id == "1975ea83b712");
  CHECK(graph.resolve("ae1027").value().value()->id == "ae1027a6acf");
  Error error = error_of(graph.resolve("ae10"));
  CHECK(error.code == ErrorCode::usage);
  CHECK(contains(error.message, "multiple revisions start with 'ae10'"));
  CHECK(contains(error.message, "'ae1027a6acf', 'ae10b2c3d4e5'"));
  CHECK(up(graph.plan_upgrade({}, "ae1027")) == Ids{"1975ea83b712", "ae1027a6acf"});
  CHECK(error_of(graph.plan_upgrade({}, "ae10")).code == ErrorCode::usage);
}

TEST_CASE("an unknown target is a usage error naming it") {
  RevisionGraph graph = graph_of({rev("a1b2c3"), rev("006", {"a1b2c3"})});
  Error error = error_of(graph.plan_upgrade({}, "nope"));
  CHECK(error.code == ErrorCode::usage);
  CHECK(contains(error.message, "no such revision or branch 'nope'"));
  CHECK(contains(error_of(graph.plan_downgrade({"006"}, "zzzz9")).message,
                 "no such revision or branch 'zzzz9'"));
  // As Alembic, ids of three characters or fewer only match in full.
  CHECK(contains(error_of(graph.resolve("00")).message, "at least four characters"));
  CHECK(contains(error_of(graph.resolve("nobranch@head")).message, "no such branch 'nobranch'"));
}

TEST_CASE("a cycle is a build error naming its revisions in order, with their files") {
  Result<RevisionGraph> graph =
      RevisionGraph::build({rev("a"), in_file(rev("b", {"a", "d"}), "versions/0002_b.yaml"),
                            rev("c", {"b"}), rev("d", {"c"}), rev("e", {"d"})});
  Error error = error_of(graph);
  CHECK(error.code == ErrorCode::revision);
  CHECK(contains(error.message, "b (versions/0002_b.yaml) -> c -> d -> b (versions/0002_b.yaml)"));
  CHECK_FALSE(contains(error.message, "a ->"));
  CHECK_FALSE(contains(error.message, "-> e"));

  CHECK(contains(error_of(RevisionGraph::build({rev("x", {"x"})})).message, "x -> x"));
  Error through_depends =
      error_of(RevisionGraph::build({rev("p"), rev("q", {"p"}, {}, {"r"}), rev("r", {"q"})}));
  CHECK(contains(through_depends.message, "q -> r -> q"));
}

TEST_CASE("a missing down_revision names the revision, the missing id and the file") {
  Error error = error_of(RevisionGraph::build(
      {rev("a"), in_file(rev("b", {"zzz"}), "versions/0002_add_currency.yaml", 3)}));
  CHECK(error.code == ErrorCode::revision);
  std::string text = format_error(error);
  CHECK(contains(text, "versions/0002_add_currency.yaml:3"));
  CHECK(contains(text, "revision b"));
  CHECK(contains(text, "down_revision 'zzz'"));

  Error depends = error_of(RevisionGraph::build({rev("a"), rev("b", {"a"}, {}, {"nothere"})}));
  CHECK(
      contains(format_error(depends), "revision b: depends_on 'nothere' is not a known revision"));
}

TEST_CASE("a duplicate revision id names both files") {
  Error error = error_of(RevisionGraph::build({in_file(rev("abc123"), "versions/0001_a.yaml"),
                                               in_file(rev("abc123"), "versions/0002_b.yaml")}));
  CHECK(error.code == ErrorCode::revision);
  CHECK(contains(error.message, "duplicate revision id 'abc123'"));
  CHECK(contains(error.message, "versions/0001_a.yaml"));
  CHECK(contains(error.message, "versions/0002_b.yaml"));
}

TEST_CASE("a branch label used twice or equal to a revision id is a build error") {
  Error twice = error_of(RevisionGraph::build(
      {rev("a", {}, {"expand"}), in_file(rev("b", {"a"}, {"expand"}), "versions/0002_b.yaml")}));
  CHECK(contains(format_error(twice), "versions/0002_b.yaml"));
  CHECK(contains(twice.message, "branch label 'expand' is already used by revision a"));

  Error is_id = error_of(RevisionGraph::build({rev("a"), rev("b", {"a"}, {"a"})}));
  CHECK(contains(is_id.message, "branch label 'a' is also the id of revision a"));
}

TEST_CASE("revision ids Alembic refuses or the version table cannot hold are build errors") {
  CHECK(contains(error_of(RevisionGraph::build({rev("a-b")})).message, "contains '-'"));
  CHECK(
      contains(error_of(RevisionGraph::build({rev(std::string(33, 'f'))})).message, "at most 32"));
  CHECK(RevisionGraph::build({rev(std::string(32, 'f'))}).has_value());
  CHECK(contains(error_of(RevisionGraph::build({rev("head")})).message, "reserved"));
}

TEST_CASE("branch labels are inherited by descendants - LABEL@head picks that branch's head") {
  RevisionGraph graph = graph_of(neutron_like());
  CHECK(ids(graph.heads()) == Ids{"c2", "e3"});
  CHECK(ids(graph.branch_points()) == Ids{"kilo"});
  CHECK(graph.labels_of(*graph.find("e3")) == std::set<std::string>{"expand"});
  CHECK(graph.labels_of(*graph.find("c2")) == std::set<std::string>{"contract"});
  CHECK(graph.labels_of(*graph.find("kilo")).empty());
  CHECK(graph.resolve("expand@head").value().value()->id == "e3");
  CHECK(graph.resolve("contract@head").value().value()->id == "c2");
  CHECK(graph.resolve("expand").value().value()->id == "e3");
  CHECK(graph.resolve("expand@e2").value().value()->id == "e2");
  CHECK(graph.resolve("expand@kilo").value().value()->id == "kilo");  // an ancestor shares it
  CHECK(contains(error_of(graph.resolve("expand@c1")).message,
                 "revision c1 is not a member of branch 'expand'"));
  CHECK_FALSE(graph.resolve("expand@base").value().has_value());
}

TEST_CASE(
    "upgrade expand@head applies only expand; contract@head also pulls its expand dependencies") {
  RevisionGraph graph = graph_of(neutron_like());
  CHECK(up(graph.plan_upgrade({}, "expand@head")) == Ids{"kilo", "e1", "e2", "e3"});
  CHECK(run(graph, {}, graph.plan_upgrade({}, "expand@head")) == Heads{"e3"});
  CHECK(up(graph.plan_upgrade({"e3"}, "contract@head")) == Ids{"c1", "c2"});
  CHECK(run(graph, {"e3"}, graph.plan_upgrade({"e3"}, "contract@head")) == Heads{"c2", "e3"});

  // From base, contract needs e1 and e2 (not e3); e2 then has no row of its own, as Alembic.
  CHECK(up(graph.plan_upgrade({}, "contract@head")) == Ids{"kilo", "e1", "c1", "e2", "c2"});
  CHECK(run(graph, {}, graph.plan_upgrade({}, "contract@head")) == Heads{"c2"});
  CHECK(up(graph.plan_upgrade({"c2"}, "expand@head")) == Ids{"e3"});
  CHECK(up(graph.plan_upgrade({"c2"}, "expand@heads")) == Ids{"e3"});
}

TEST_CASE("after upgrade heads the version table holds exactly the two branch heads") {
  RevisionGraph graph = graph_of(neutron_like());
  CHECK(up(graph.plan_upgrade({}, "heads")) == Ids{"kilo", "e1", "c1", "e2", "c2", "e3"});
  CHECK(run(graph, {}, graph.plan_upgrade({}, "heads")) == Heads{"c2", "e3"});
  CHECK(graph.heads_of_applied({"kilo", "e1", "e2", "e3", "c1", "c2"}) == Heads{"c2", "e3"});
  CHECK(graph.applied_set({"c2"}) == std::set<std::string>{"kilo", "e1", "c1", "e2", "c2"});
  CHECK(graph.heads_of_applied({"kilo", "e1", "c1"}) == Heads{"c1"});
  CHECK(up(graph.plan_upgrade({"c2", "e3"}, "heads")).empty());
}

TEST_CASE("Neutron-like downgrades: LABEL@base, a revision, LABEL@-1") {
  RevisionGraph graph = graph_of(neutron_like());
  const Heads top{"c2", "e3"};
  CHECK(down(graph.plan_downgrade(top, "contract@base")) == Ids{"c2", "c1"});
  CHECK(run(graph, top, graph.plan_downgrade(top, "contract@base")) == Heads{"e3"});
  // Unapplying expand also unapplies the contract revisions that depend on it.
  CHECK(down(graph.plan_downgrade(top, "expand@base")) == Ids{"e3", "c2", "e2", "c1", "e1"});
  CHECK(run(graph, top, graph.plan_downgrade(top, "expand@base")) == Heads{"kilo"});
  // Down to e1: e1's child e2 goes, and c2 that depends on it; c1 (needing only e1) stays.
  CHECK(down(graph.plan_downgrade(top, "e1")) == Ids{"e3", "c2", "e2"});
  CHECK(run(graph, top, graph.plan_downgrade(top, "e1")) == Heads{"c1"});
  CHECK(down(graph.plan_downgrade(top, "expand@-1")) == Ids{"e3"});
  CHECK(down(graph.plan_downgrade(top, "contract@-1")) == Ids{"c2"});
  CHECK(down(graph.plan_downgrade(top, "expand@kilo")) == Ids{"e3", "c2", "e2", "c1", "e1"});
  CHECK(down(graph.plan_downgrade(top, "base")) == Ids{"e3", "c2", "e2", "c1", "e1", "kilo"});
  Error ambiguous = error_of(graph.plan_downgrade(top, "-1"));
  CHECK(ambiguous.code == ErrorCode::usage);
  CHECK(contains(ambiguous.message, "ambiguous"));
  CHECK(contains(ambiguous.message, "c2, e3"));
}

TEST_CASE("depends_on may name a branch label, meaning the revision that declares it") {
  RevisionGraph graph =
      graph_of({rev("kilo", {}, {}, {}, 1), rev("e1", {"kilo"}, {"expand"}, {}, 2),
                rev("e2", {"e1"}, {}, {}, 3), rev("c1", {"kilo"}, {"contract"}, {"expand"}, 4)});
  CHECK(up(graph.plan_upgrade({}, "c1")) == Ids{"kilo", "e1", "c1"});
}

TEST_CASE("+N, -N, ID+N and ID-N walk along down_revision") {
  RevisionGraph graph =
      graph_of({rev("a"), rev("b", {"a"}), rev("c", {"b"}), rev("d", {"c"}), rev("e", {"d"})});
  CHECK(up(graph.plan_upgrade({"b"}, "+2")) == Ids{"c", "d"});
  CHECK(up(graph.plan_upgrade({}, "+1")) == Ids{"a"});
  CHECK(up(graph.plan_upgrade({"a"}, "b+2")) == Ids{"b", "c", "d"});
  CHECK(contains(error_of(graph.plan_upgrade({"d"}, "+3")).message,
                 "relative revision +3 goes past the head (only 1 revision(s) above the current "
                 "revision)"));
  CHECK(down(graph.plan_downgrade({"d"}, "-2")) == Ids{"d", "c"});
  CHECK(down(graph.plan_downgrade({"b"}, "-2")) == Ids{"b", "a"});
  Error past = error_of(graph.plan_downgrade({"b"}, "-3"));
  CHECK(past.code == ErrorCode::usage);
  CHECK(past.message == "relative revision -3 goes past base (only 2 applied)");
  CHECK(down(graph.plan_downgrade({"e"}, "d-1")) == Ids{"e", "d"});
  CHECK(down(graph.plan_downgrade({"e"}, "b+1")) == Ids{"e", "d"});
  CHECK(error_of(graph.plan_upgrade({"a"}, "-1")).code == ErrorCode::usage);
  CHECK(error_of(graph.plan_downgrade({"a"}, "+1")).code == ErrorCode::usage);
}

TEST_CASE("+N is refused where the history branches, -N where it merges") {
  RevisionGraph graph =
      graph_of({rev("a"), rev("b", {"a"}), rev("c", {"a"}), rev("m", {"b", "c"})});
  Error fork = error_of(graph.plan_upgrade({"a"}, "+1"));
  CHECK(contains(fork.message, "ambiguous"));
  CHECK(contains(fork.message, "b, c"));
  CHECK(up(graph.plan_upgrade({"b"}, "+1")) == Ids{"c", "m"});  // the merge needs c too
  Error merge = error_of(graph.plan_downgrade({"m"}, "-1"));
  CHECK(contains(merge.message, "revision m merges several revisions (b, c)"));
}

TEST_CASE("--delta N plans N revisions up or down") {
  RevisionGraph graph = graph_of({rev("a"), rev("b", {"a"}), rev("c", {"b"}), rev("d", {"c"})});
  CHECK(up(graph.plan_delta({"a"}, 2, true)) == Ids{"b", "c"});
  CHECK(up(graph.plan_delta({}, 4, true)) == Ids{"a", "b", "c", "d"});
  CHECK(down(graph.plan_delta({"d"}, 3, false)) == Ids{"d", "c", "b"});
  CHECK(error_of(graph.plan_delta({"d"}, 0, false)).code == ErrorCode::usage);
  CHECK(contains(error_of(graph.plan_delta({"d"}, 5, false)).message, "only 4 applied"));
}

TEST_CASE(
    "upgrading to an applied revision is a no-op; downgrading to an unapplied one is refused") {
  RevisionGraph graph = graph_of({rev("a"), rev("b", {"a"}), rev("c", {"b"}), rev("x", {"a"})});
  CHECK(up(graph.plan_upgrade({"c"}, "b")).empty());
  CHECK(up(graph.plan_upgrade({"c"}, "c")).empty());
  CHECK(up(graph.plan_upgrade({"c"}, "base")).empty());
  CHECK(down(graph.plan_downgrade({"b"}, "b")).empty());
  Error above = error_of(graph.plan_downgrade({"b"}, "c"));
  CHECK(above.code == ErrorCode::usage);
  CHECK(above.message ==
        "revision c is not below the current revision(s) (b); nothing to downgrade");
  CHECK(contains(error_of(graph.plan_downgrade({"c"}, "x")).message, "revision x is not below"));
  // An upgrade to a revision on another branch applies just that branch.
  CHECK(up(graph.plan_upgrade({"c"}, "x")) == Ids{"x"});
  CHECK(run(graph, {"c"}, graph.plan_upgrade({"c"}, "x")) == Heads{"c", "x"});
}

TEST_CASE("a version row naming no revision is an error, not an empty plan") {
  RevisionGraph graph = graph_of({rev("a")});
  Error error = error_of(graph.plan_upgrade({"zzz"}, "head"));
  CHECK(error.code == ErrorCode::revision);
  CHECK(contains(error.message, "'zzz'"));
  CHECK(error_of(graph.plan_downgrade({"zzz"}, "base")).code == ErrorCode::revision);
}

TEST_CASE("a default-constructed graph is an empty history") {
  RevisionGraph graph;
  CHECK(graph.revisions().empty());
  CHECK(graph.heads().empty());
  CHECK(up(graph.plan_upgrade({}, "head")).empty());
  CHECK(graph.check_single_head_per_branch().empty());
}

TEST_CASE("10,000 revisions in a chain: the plan from base has 10,000 steps in order") {
  constexpr int kCount = 10000;
  std::vector<Revision> revisions;
  Ids order;
  for (int i = 0; i < kCount; ++i) {
    order.push_back("r" + std::to_string(100000 + i));
    revisions.push_back(
        rev(order.back(), i == 0 ? Ids{} : Ids{order[static_cast<std::size_t>(i) - 1]}));
  }
  std::reverse(revisions.begin(), revisions.end());  // input order must not matter
  RevisionGraph graph = graph_of(std::move(revisions));
  CHECK(ids(graph.heads()) == Ids{order.back()});
  auto plan = graph.plan_upgrade({}, "head");
  CHECK(up(plan) == order);
  CHECK(run(graph, {}, plan) == Heads{order.back()});
  auto back = graph.plan_downgrade({order.back()}, "base");
  Ids reversed(order.rbegin(), order.rend());
  CHECK(down(back) == reversed);
  CHECK(run(graph, {order.back()}, back) == Heads{});
  CHECK(up(graph.plan_delta({order[4999]}, 3, true)) == Ids{order[5000], order[5001], order[5002]});
}

TEST_CASE("10,000 revisions with branches, merges and depends_on: every step follows its parents") {
  // A base, then blocks of four: left1 -> left2 and right (depending on the previous block's
  // left1) off the tip, merged back; then a short tail. 1 + 2499 * 4 + 3 = 10,000 revisions.
  std::vector<Revision> revisions{rev("g0")};
  std::string tip = "g0", previous_left;
  for (int b = 0; b < 2499; ++b) {
    std::string n = std::to_string(b);
    Ids depends = previous_left.empty() ? Ids{} : Ids{previous_left};
    revisions.push_back(rev("l1_" + n, {tip}));
    revisions.push_back(rev("l2_" + n, {"l1_" + n}));
    revisions.push_back(rev("r_" + n, {tip}, {}, depends));
    revisions.push_back(rev("m_" + n, {"l2_" + n, "r_" + n}));
    previous_left = "l1_" + n;
    tip = "m_" + n;
  }
  for (int t = 0; t < 3; ++t) {
    revisions.push_back(rev("t" + std::to_string(t), {tip}));
    tip = "t" + std::to_string(t);
  }
  REQUIRE(revisions.size() == 10000);
  RevisionGraph graph = graph_of(revisions);
  CHECK(ids(graph.heads()) == Ids{"t2"});
  CHECK(graph.branch_points().size() == 2499);
  CHECK(graph.check_single_head_per_branch().empty());

  Ids plan = up(graph.plan_upgrade({}, "head"));
  REQUIRE(plan.size() == 10000);
  CHECK(plan == ids(graph.topological_order()));
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < plan.size(); ++i) position[plan[i]] = i;
  std::size_t out_of_order = 0;
  for (const Revision& r : revisions) {
    for (const std::string& p : r.down_revisions) out_of_order += position[p] > position[r.id];
    for (const std::string& p : r.depends_on) out_of_order += position[p] > position[r.id];
  }
  CHECK(out_of_order == 0);
  CHECK(run(graph, {}, graph.plan_upgrade({}, "head")) == Heads{"t2"});
  CHECK(down(graph.plan_downgrade({"t2"}, "base")).size() == 10000);
  CHECK(run(graph, {"t2"}, graph.plan_downgrade({"t2"}, "base")) == Heads{});
  CHECK(down(graph.plan_downgrade({"t2"}, "m_2497")) ==
        Ids{"t2", "t1", "t0", "m_2498", "r_2498", "l2_2498", "l1_2498"});
}

TEST_CASE("a merge's parents are named in the order its file lists them") {
  // c comes before b among the vertices, and m lists b first.
  RevisionGraph graph =
      graph_of({rev("a"), rev("c", {"a"}), rev("b", {"a"}), rev("m", {"b", "c"})});
  CHECK(contains(error_of(graph.plan_downgrade({"m"}, "-1")).message,
                 "revision m merges several revisions (b, c)"));
  RevisionGraph reversed =
      graph_of({rev("a"), rev("b", {"a"}), rev("c", {"a"}), rev("m", {"c", "b"})});
  CHECK(contains(error_of(reversed.plan_downgrade({"m"}, "-1")).message,
                 "revision m merges several revisions (c, b)"));
}

}  // namespace distil::model
