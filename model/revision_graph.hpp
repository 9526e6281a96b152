// The revision graph (Boost.Graph DAG) and everything computed from it: validation, heads,
// branch points, target resolution and upgrade/downgrade plans. Pure: no database, no files.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model {

// One step of a plan: apply (upgrade) or unapply (downgrade) one revision.
struct PlanStep {
  const Revision* revision = nullptr;
  bool upgrade = true;
};

// A version table state: the rows of alembic_version (revision ids), as a sorted set.
using Heads = std::set<std::string>;

// A problem found by validate(); every one makes check_migration exit 1.
struct GraphProblem {
  std::string message;  // names the revisions (and files) involved
};

class RevisionGraph {
 public:
  // Builds the graph. Errors (exit 1, nothing runs): duplicate id (both files named), a
  // down_revision or depends_on naming no revision, a cycle (its revisions named in order),
  // a branch label used twice or equal to a revision id.
  static Result<RevisionGraph> build(std::vector<Revision> revisions);

  const std::vector<Revision>& revisions() const;
  const Revision* find(std::string_view id) const;  // exact id

  // Revisions no other revision names as down_revision, in topological order.
  std::vector<const Revision*> heads() const;
  // Revisions with no down_revision.
  std::vector<const Revision*> bases() const;
  // Revisions named as down_revision by more than one revision.
  std::vector<const Revision*> branch_points() const;
  // The revisions naming `revision` as a down_revision (depends_on not counted).
  std::vector<const Revision*> children(const Revision& revision) const;
  bool is_head(const Revision& revision) const;
  // All revisions, parents before children (down_revision and depends_on both order);
  // ties broken by file number, then id, so the order is stable.
  std::vector<const Revision*> topological_order() const;
  // The branch labels that apply to a revision: its own and those inherited along
  // down_revision from its ancestors (as Alembic).
  std::set<std::string> labels_of(const Revision& revision) const;

  // Problems check_migration reports: more than one head within one branch (heads carrying
  // distinct branch labels are separate branches), with the branch point named.
  std::vector<GraphProblem> check_single_head_per_branch() const;

  // Resolves a single revision reference: full id, unique prefix (ambiguous prefix: error
  // listing candidates), "head" (error when there are several), "LABEL@head", a branch
  // label alone (its head), "base" (returns nullopt). Errors are ErrorCode::usage.
  Result<std::optional<const Revision*>> resolve(std::string_view ref) const;

  // Version-table rows after `current` plus/minus revisions: the applied revisions no other
  // applied revision reaches through down_revision or depends_on.
  Heads heads_of_applied(const std::set<std::string>& applied) const;
  // All revisions reachable from `heads` through down_revision and depends_on, heads included.
  std::set<std::string> applied_set(const Heads& heads) const;

  // Plan from `current` (version-table rows) to an upgrade target: "head", "heads",
  // "LABEL@head", id/prefix, "+N", "ID+N". Steps are in apply order. An error when the target
  // is unknown, ambiguous, or "+N" goes beyond the heads.
  Result<std::vector<PlanStep>> plan_upgrade(const Heads& current, std::string_view target) const;
  // Plan from `current` to a downgrade target: id/prefix, "base", "-N", "LABEL@base",
  // "ID-N". Steps are in unapply order (children first).
  Result<std::vector<PlanStep>> plan_downgrade(const Heads& current, std::string_view target) const;
  // --delta N: N revisions up (upgrade) or down (downgrade) from current.
  Result<std::vector<PlanStep>> plan_delta(const Heads& current, int delta, bool upgrade) const;

  // Version-table rows after applying or unapplying one step.
  Heads after_step(const Heads& current, const PlanStep& step) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace distil::model
