// Fuzzes target parsing (model/revision_graph: resolve, plan_upgrade, plan_downgrade,
// plan_delta and the START:END bounds of `--sql`) on a fixed small graph with a branch, a
// merge, branch labels and depends_on. Invariants: no crash, sanitizer report or hang; a
// rejected target gets a message; an accepted plan is valid: each step names a revision of
// the graph, an upgrade applies a revision only after its parents and never twice, a
// downgrade unapplies only applied revisions, never twice.
#include <charconv>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "model/revision_graph.hpp"

namespace {

using namespace distil;
using model::Heads;
using model::PlanStep;
using model::RevisionGraph;

model::Revision rev(std::string id, std::vector<std::string> down,
                    std::vector<std::string> labels = {}, std::vector<std::string> depends = {}) {
  model::Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.branch_labels = std::move(labels);
  r.depends_on = std::move(depends);
  return r;
}

//   1a2b3c4d5e6f -> ae1f2a3b4c5d -> ae2f2a3b4c5d ----------> f00d00000005 (merge)
//                                \-> abc123456789 (feature) -/
//   6e6e6e6e6e6e (other, depends_on ae1f2a3b4c5d)
const RevisionGraph& graph() {
  static const RevisionGraph g = [] {
    auto built = RevisionGraph::build({
        rev("1a2b3c4d5e6f", {}),
        rev("ae1f2a3b4c5d", {"1a2b3c4d5e6f"}),
        rev("ae2f2a3b4c5d", {"ae1f2a3b4c5d"}),
        rev("abc123456789", {"ae1f2a3b4c5d"}, {"feature"}),
        rev("f00d00000005", {"ae2f2a3b4c5d", "abc123456789"}),
        rev("6e6e6e6e6e6e", {}, {"other"}, {"ae1f2a3b4c5d"}),
    });
    if (!built) fuzz::broken("the fixed graph does not build", built.error());
    return *built;
  }();
  return g;
}

const std::vector<Heads>& states() {
  static const std::vector<Heads> s = {
      {}, {"1a2b3c4d5e6f"}, {"ae2f2a3b4c5d", "abc123456789"}, {"f00d00000005", "6e6e6e6e6e6e"},
      {"ae1f2a3b4c5d", "6e6e6e6e6e6e"}};
  return s;
}

void check_plan(const Heads& current, const model::Result<std::vector<PlanStep>>& plan,
                bool upgrade, std::string_view target) {
  if (!plan) {
    fuzz::check_rejection(plan.error(), target);
    return;
  }
  const RevisionGraph& g = graph();
  std::set<std::string> applied = g.applied_set(current);
  std::set<std::string> seen;
  Heads heads = current;
  for (const PlanStep& step : *plan) {
    if (step.revision == nullptr || g.find(step.revision->id) != step.revision)
      fuzz::broken("plan step names no revision of the graph", std::string(target));
    const model::Revision& r = *step.revision;
    if (step.upgrade != upgrade) fuzz::broken("plan step goes the wrong way", r.id);
    if (!seen.insert(r.id).second) fuzz::broken("plan visits a revision twice", r.id);
    if (upgrade) {
      if (applied.count(r.id)) fuzz::broken("upgrade plan reapplies a revision", r.id);
      for (const auto& parent : r.down_revisions)
        if (!applied.count(parent)) fuzz::broken("upgrade plan applies before a parent", r.id);
      for (const auto& dep : r.depends_on)
        if (!applied.count(dep)) fuzz::broken("upgrade plan applies before a dependency", r.id);
      applied.insert(r.id);
    } else {
      if (!applied.count(r.id)) fuzz::broken("downgrade plan unapplies an unapplied revision", r.id);
      applied.erase(r.id);
    }
    heads = g.after_step(heads, step);
  }
  if (upgrade && g.applied_set(heads) != applied)
    fuzz::broken("version rows after the plan disagree with the revisions applied",
                 std::string(target));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target = fuzz::as_text(data, size);
  const RevisionGraph& g = graph();
  if (auto r = g.resolve(target); !r) fuzz::check_rejection(r.error(), target);
  // START:END (offline ranges): each bound on its own.
  if (size_t colon = target.find(':'); colon != std::string_view::npos) {
    for (std::string_view bound : {target.substr(0, colon), target.substr(colon + 1)})
      if (auto r = g.resolve(bound); !r) fuzz::check_rejection(r.error(), bound);
  }
  int delta = 0;
  bool is_number = std::from_chars(target.data(), target.data() + target.size(), delta).ec ==
                   std::errc();
  for (const Heads& current : states()) {
    check_plan(current, g.plan_upgrade(current, target), true, target);
    check_plan(current, g.plan_downgrade(current, target), false, target);
    if (is_number) {
      check_plan(current, g.plan_delta(current, delta, true), true, target);
      check_plan(current, g.plan_delta(current, delta, false), false, target);
    }
  }
  return 0;
}
