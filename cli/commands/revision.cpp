// `revision` (a new numbered revision file) and `merge` (a revision joining several heads).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "cli/commands/commands.hpp"
#include "cli/schema_diff.hpp"
#include "emitters/revision/writer.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;

namespace {

struct RevisionOptions {
  std::string message;
  bool autogenerate = false;
  bool allow_empty = false;
  std::string rev_id;
  std::string head;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::vector<std::string> merge_revisions;  // merge only
};

Error usage(std::string message) { return Error{.code = ErrorCode::usage, .message = std::move(message)}; }

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 12; ++i) id += kHex[gen() % 16];
  return id;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<void> check_rev_id(const std::string& id, const model::RevisionGraph& graph) {
  if (id.empty() || id.size() > 32)
    return fail(usage("revision id \"" + id + "\" must be 1 to 32 characters"));
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return fail(usage("revision id \"" + id + "\" may hold only letters, digits, '_' and '-'"));
  if (const auto* other = graph.find(id))
    return fail(usage("revision id \"" + id + "\" is already used by " + other->path));
  return {};
}

// Writes `rev` as the next numbered file of the versions folder and reports it like Alembic.
Result<void> write_new(model::Revision rev, const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.versions, ec);
  if (ec)
    return fail(Error{.code = ErrorCode::io, .message = "cannot create versions folder: " + ec.message(),
                      .where = {.file = config.versions.string()}});
  std::string number = emitters::next_number(config.versions);
  rev.number = std::stoi(number);
  std::filesystem::path path =
      config.versions / (number + "_" + emitters::slugify(rev.message) + ".yaml");
  rev.path = path.string();
  std::string text = emitters::write_revision(rev);
  // Never write a file we could not read back.
  DISTIL_CHECK(model::yaml::parse_revision(text, rev.path));
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush())
      return fail(Error{.code = ErrorCode::io, .message = "cannot write revision file",
                        .where = {.file = tmp.string()}});
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return fail(Error{.code = ErrorCode::io, .message = "cannot write revision file: " + ec.message(),
                      .where = {.file = path.string()}});
  std::cout << "Generating " << path.string() << " ...  done\n";
  return {};
}

Result<void> run_revision(const RevisionOptions& o, Context& ctx) {
  if (o.message.empty()) return fail(usage("revision needs a message: -m \"description\""));
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  model::Revision rev;
  if (o.autogenerate) {
    DISTIL_TRY(auto conn, ctx.connect(true));
    DISTIL_CHECK(require_up_to_date(ctx, *conn));
    DISTIL_TRY(differ::DiffResult diff, diff_database(ctx, *conn));
    print_warnings(diff.warnings);
    if (diff.empty() && !o.allow_empty) {
      Context::log("No changes detected; no revision file written (--allow-empty writes one).");
      return {};
    }
    rev.upgrade = std::move(diff.upgrade);
    rev.downgrade = std::move(diff.downgrade);
  }
  rev.id = o.rev_id.empty() ? random_id() : o.rev_id;
  DISTIL_CHECK(check_rev_id(rev.id, *graph));
  auto heads = graph->heads();
  if (!o.head.empty()) {
    if (o.head != "base") {
      DISTIL_TRY(auto parent, graph->resolve(o.head));
      if (parent) rev.down_revisions.push_back((*parent)->id);
    }
  } else if (heads.size() > 1) {
    std::string list;
    for (const auto* h : heads) list += (list.empty() ? "" : ", ") + h->id;
    return fail(usage("Multiple heads are present (" + list +
                      "); please specify the head revision on which the new revision should be "
                      "based with --head, or perform a merge"));
  } else if (heads.size() == 1) {
    rev.down_revisions.push_back(heads[0]->id);
  }
  for (const auto& d : o.depends_on) {
    DISTIL_TRY(auto dep, graph->resolve(d));
    if (dep) rev.depends_on.push_back((*dep)->id);
  }
  rev.branch_labels = o.branch_labels;
  rev.message = o.message;
  rev.create_date = utc_now();
  return write_new(std::move(rev), *config);
}

Result<void> run_merge(const RevisionOptions& o, Context& ctx) {
  if (o.message.empty()) return fail(usage("merge needs a message: -m \"description\""));
  DISTIL_TRY(const Config* config, ctx.config());
  DISTIL_TRY(const model::RevisionGraph* graph, ctx.graph());
  model::Revision rev;
  for (const auto& ref : o.merge_revisions) {
    if (ref == "heads") {
      for (const auto* h : graph->heads()) rev.down_revisions.push_back(h->id);
      continue;
    }
    DISTIL_TRY(auto r, graph->resolve(ref));
    if (!r) return fail(usage("cannot merge \"base\""));
    rev.down_revisions.push_back((*r)->id);
  }
  std::sort(rev.down_revisions.begin(), rev.down_revisions.end());
  rev.down_revisions.erase(std::unique(rev.down_revisions.begin(), rev.down_revisions.end()),
                           rev.down_revisions.end());
  if (rev.down_revisions.size() < 2)
    return fail(usage("merge needs at least two distinct revisions (or \"heads\" with several heads)"));
  rev.id = o.rev_id.empty() ? random_id() : o.rev_id;
  DISTIL_CHECK(check_rev_id(rev.id, *graph));
  rev.branch_labels = o.branch_labels;
  rev.message = o.message;
  rev.create_date = utc_now();
  return write_new(std::move(rev), *config);
}

}  // namespace

void add_revision(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RevisionOptions>();
  auto* cmd = app.add_subcommand("revision", "Create a new revision file");
  cmd->add_option("-m,--message", o->message, "Message string to use with the revision");
  cmd->add_flag("--autogenerate", o->autogenerate, "Populate the revision with the differ's ops");
  cmd->add_flag("--allow-empty", o->allow_empty, "With --autogenerate: write a file even with no changes");
  cmd->add_option("--rev-id", o->rev_id, "A revision id to use instead of a generated one");
  cmd->add_option("--head", o->head, "The head revision (or base) to build the new revision on");
  cmd->add_option("--branch-label", o->branch_labels, "A branch label for the new revision");
  cmd->add_option("--depends-on", o->depends_on, "A revision the new one depends on");
  cmd->callback([o, &ctx] { ctx.result = run_revision(*o, ctx); });
}

void add_merge(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RevisionOptions>();
  auto* cmd = app.add_subcommand("merge", "Merge two or more revisions (or heads) together");
  cmd->add_option("-m,--message", o->message, "Message string to use with the revision");
  cmd->add_option("--rev-id", o->rev_id, "A revision id to use instead of a generated one");
  cmd->add_option("--branch-label", o->branch_labels, "A branch label for the merge revision");
  cmd->add_option("revisions", o->merge_revisions, "Revisions to merge, or heads")->required();
  cmd->callback([o, &ctx] { ctx.result = run_merge(*o, ctx); });
}

}  // namespace distil::cli
