// The crash-safety campaign shared by tests/reliability/crash_sqlite_test.cpp and
// crash_pg_test.cpp: run `upgrade head -v` over the generated history (crash_history.hpp),
// SIGKILL it at many points, and after every kill check the database against a reference
// built on a fresh database by the runner itself, one snapshot (schema + every row) per
// revision. See docs/reliability.md, "Crash safety".
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "db/runner.hpp"
#include "emitters/model/writer.hpp"
#include "emitters/sql/dialect.hpp"
#include "emitters/sql/script.hpp"
#include "model/revision_graph.hpp"
#include "model/yaml/revision_io.hpp"
#include "tests/reliability/crash_history.hpp"

namespace distil::testing::crash {

inline constexpr const char* kVersionTable = "alembic_version";
inline constexpr const char* kLogPrefix = "INFO  [distil] ";

// A database state: the introspected schema and every row of every table (sorted by the
// first column, each row's columns joined by '|'), plus the recorded revision hashes (the
// side table next to the version table) under kHashRows.
struct Snapshot {
  model::Schema schema;
  std::map<std::string, std::vector<std::string>> rows;
};

inline constexpr const char* kHashRows = "<recorded revision hashes>";

inline std::string describe(const model::Error& e) { return e.message; }

inline std::string join_row(const db::Row& row) {
  std::string text;
  for (size_t i = 0; i < row.size(); ++i) text += (i ? "|" : "") + row[i].value_or("NULL");
  return text;
}

inline model::Result<Snapshot> snapshot(db::Connection& conn) {
  Snapshot s;
  DISTIL_TRY(s.schema, conn.introspect(kVersionTable));
  for (const auto& [name, table] : s.schema.tables) {
    DISTIL_TRY(auto rows, conn.query("SELECT * FROM " + emitters::quote_identifier(name) +
                                     " ORDER BY 1"));
    auto& out = s.rows[name];
    for (const auto& row : rows) out.push_back(join_row(row));
  }
  const std::string hashes(emitters::kHashTable);
  DISTIL_TRY(bool has_hashes, conn.table_exists(hashes));
  if (has_hashes) {
    DISTIL_TRY(auto rows, conn.query("SELECT revision, sha256 FROM " + hashes +
                                     " WHERE version_table = '" + kVersionTable +
                                     "' ORDER BY revision"));
    // An empty side table (created by a run killed before its first COMMIT) = none at all.
    for (const auto& row : rows) s.rows[kHashRows].push_back(join_row(row));
  }
  return s;
}

// What a clean database looks like after a revision: the runner applies the history to
// fresh databases. One goes straight to head (the final state, and the number of log lines
// of a full run); the other is advanced lazily to each revision a kill left the main
// database at (these only move forward along the chain of runs), and snapshotted there.
class Reference {
 public:
  Reference(std::unique_ptr<db::Connection> full, std::unique_ptr<db::Connection> walker,
            const std::filesystem::path& versions)
      : walker_(std::move(walker)) {
    auto revisions = model::yaml::load_revisions(versions);
    REQUIRE_MESSAGE(revisions.has_value(), (revisions ? "" : describe(revisions.error())));
    auto graph = model::RevisionGraph::build(std::move(*revisions));
    REQUIRE_MESSAGE(graph.has_value(), (graph ? "" : describe(graph.error())));
    graph_ = std::make_unique<model::RevisionGraph>(std::move(*graph));
    auto steps = graph_->plan_upgrade({}, "head");
    REQUIRE(steps.has_value());
    for (const auto& step : *steps) order.push_back(step.revision->id);
    db::RunOptions options;
    options.verbose = true;
    options.log = [&](const std::string&) { ++log_lines; };
    auto applied = db::run(
        *full, *graph_, [&](const model::Heads& h) { return graph_->plan_upgrade(h, "head"); },
        options);
    REQUIRE_MESSAGE(applied.has_value(), (applied ? "" : describe(applied.error())));
    log_lines += 2;  // the CLI's "Context impl" and "Will assume" lines
    auto end = snapshot(*full);
    REQUIRE_MESSAGE(end.has_value(), (end ? "" : describe(end.error())));
    final_state = std::move(*end);
  }

  // The position of `id` in apply order (0 = nothing applied, i = after order[i-1]), or -1.
  long position(const std::string& id) const {
    if (id.empty()) return 0;
    auto it = std::find(order.begin(), order.end(), id);
    return it == order.end() ? -1 : static_cast<long>(it - order.begin()) + 1;
  }

  // The state of a clean database at `id` ("" = nothing applied). REQUIRES: no earlier
  // position than the previous call's.
  const Snapshot& at(const std::string& id) {
    const long target = position(id);
    REQUIRE_MESSAGE(target >= 0, "the version table names \"" << id << "\", not a revision");
    REQUIRE_MESSAGE(target >= walked_, "the database went back from revision "
                                           << walked_ << " to " << target << " of the history");
    if (target == walked_ && have_) return current_;
    if (target > walked_) {
      auto applied = db::run(
          *walker_, *graph_,
          [&](const model::Heads& h) { return graph_->plan_upgrade(h, id); }, db::RunOptions{});
      REQUIRE_MESSAGE(applied.has_value(), (applied ? "" : describe(applied.error())));
      walked_ = target;
    }
    auto s = snapshot(*walker_);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : describe(s.error())));
    current_ = std::move(*s);
    have_ = true;
    return current_;
  }

  std::vector<std::string> order;  // revision ids in apply order
  Snapshot final_state;            // at head
  long log_lines = 0;              // lines `upgrade head -v` logs from base (about)

 private:
  std::unique_ptr<model::RevisionGraph> graph_;
  std::unique_ptr<db::Connection> walker_;
  long walked_ = 0;
  bool have_ = false;
  Snapshot current_;
};

// One run of the built binary, its stderr read through a pipe; SIGKILLed as soon as the
// `kill_at_line`-th log line begins, `kill_after_s` seconds after start (0 = never), or as
// soon as `kill_at_text` (non-empty) shows up in the log, i.e. while the statement it names is
// about to run (a statement is logged before it executes).
struct RunOutcome {
  bool killed = false;
  bool by_text = false;         // killed on kill_at_text
  int status = -1;              // exit status when it was not killed
  long lines_at_kill = 0;       // log lines begun when the signal was sent
  double first_line_s = 0;      // when the first log line appeared (start-up is over)
  std::string log;              // everything it wrote to stderr (drained after the kill)
};

inline RunOutcome run_tool(const std::filesystem::path& dir, const std::vector<std::string>& args,
                           long kill_at_line, double kill_after_s,
                           const std::string& kill_at_text = "") {
  RunOutcome out;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
  std::vector<std::string> argv_s{bin, "--config-file", "distil.conf"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::dup2(fds[1], 2);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) ::dup2(null_fd, 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  const std::string prefix = kLogPrefix;
  size_t scan = 0, text_scan = 0;
  long lines = 0;
  char buf[65536];
  for (;;) {
    int timeout_ms = -1;
    if (kill_after_s > 0 && !out.killed && lines > 0) {
      // Counted from the first log line: start-up (loading the history) varies a lot.
      const double left =
          kill_after_s + out.first_line_s -
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      timeout_ms = left <= 0 ? 0 : static_cast<int>(left * 1000) + 1;
    }
    pollfd pfd{.fd = fds[0], .events = POLLIN, .revents = 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready == 0) {  // the time-based kill
      if (!out.killed) {
        ::kill(pid, SIGKILL);
        out.killed = true;
        out.lines_at_kill = lines;
      }
      continue;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is gone (or was killed)
    out.log.append(buf, static_cast<size_t>(n));
    if (out.killed) continue;
    for (size_t pos; (pos = out.log.find(prefix, scan)) != std::string::npos;) {
      if (++lines == 1)
        out.first_line_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      scan = pos + prefix.size();
      if (kill_at_line > 0 && lines == kill_at_line) {
        ::kill(pid, SIGKILL);
        out.killed = true;
        out.lines_at_kill = lines;
        break;
      }
    }
    if (!out.killed && !kill_at_text.empty() &&
        out.log.find(kill_at_text, text_scan) != std::string::npos) {
      ::kill(pid, SIGKILL);
      out.killed = out.by_text = true;
      out.lines_at_kill = lines;
    }
    if (out.log.size() >= kill_at_text.size())
      text_scan = std::max(text_scan, out.log.size() - kill_at_text.size());
    if (!out.killed && out.log.size() >= prefix.size())
      scan = std::max(scan, out.log.size() - prefix.size() + 1);
  }
  ::close(fds[0]);
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0) {
  }
  if (WIFSIGNALED(raw) && WTERMSIG(raw) == SIGKILL && out.killed) return out;
  out.killed = false;  // it finished before the signal landed
  out.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// The log line that begins at the `n`-th prefix (1-based), without the prefix; "" if absent.
inline std::string log_line(const std::string& log, long n) {
  size_t pos = 0;
  for (long i = 0; i < n; ++i) {
    pos = log.find(kLogPrefix, i == 0 ? 0 : pos + 1);
    if (pos == std::string::npos) return "";
  }
  const size_t begin = pos + std::string(kLogPrefix).size();
  const size_t end = log.find(kLogPrefix, begin);
  std::string line = log.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

inline long count_lines(const std::string& log) {
  long n = 0;
  for (size_t pos = 0; (pos = log.find(kLogPrefix, pos)) != std::string::npos; ++pos) ++n;
  return n;
}

// Where a kill landed, from the log line that had begun when the signal was sent.
inline std::string classify(const std::string& line) {
  if (line.rfind("Running upgrade", 0) == 0) return "between revisions (after COMMIT, before BEGIN)";
  if (line.find(kVersionTable) != std::string::npos)
    return "at the version/hash update (just before COMMIT)";
  if (line.find("_distil_new_") != std::string::npos ||
      line.find("_distil_check") != std::string::npos || line.rfind("PRAGMA", 0) == 0)
    return "inside a SQLite table rebuild";
  if (line.rfind("Context impl", 0) == 0 || line.rfind("Will assume", 0) == 0)
    return "at start-up";
  if (line.find("CONCURRENTLY") != std::string::npos) return "inside the transaction: false revision";
  return "at another statement of a revision";
}

// The dialect-specific side of the campaign.
class Backend {
 public:
  virtual ~Backend() = default;
  // The project folder: distil.conf (the main database) and versions/.
  virtual std::filesystem::path dir() const = 0;
  virtual std::unique_ptr<db::Connection> open_main() = 0;
  // Two fresh databases for the reference (see Reference).
  virtual std::unique_ptr<db::Connection> open_reference() = 0;
  virtual std::unique_ptr<db::Connection> open_walker() = 0;
  // Waits until nothing of a killed run is still working on the main database.
  virtual void settle() = 0;
  // Problems beyond schema and rows: SQLite's integrity_check and foreign_key_check, leftover
  // rebuild tables; PostgreSQL's invalid indexes. Empty = clean.
  virtual std::vector<std::string> problems(db::Connection& conn, bool allow_invalid_index) = 0;
  // A copy of the main database in dir()/rerun (with its own distil.conf), to run `upgrade
  // head` to completion on without disturbing the campaign; open_rerun() looks at it.
  virtual void make_rerun_copy() = 0;
  virtual std::unique_ptr<db::Connection> open_rerun() = 0;
  virtual void drop_rerun() = 0;
};

struct CampaignOptions {
  // Statements to kill at, in order, on top of the spread points: each run is also killed at
  // the first pending one it logs (so a kill lands exactly in that step of a rebuild, or
  // inside the transaction: false revision).
  std::vector<std::string> targets;
  int kill_points = 30;     // DISTIL_CRASH_POINTS
  int rerun_every = 10;     // DISTIL_CRASH_RERUN_EVERY: a full rerun of `upgrade head` on a copy after every Nth kill
  int time_kill_every = 6;  // every Nth kill point is time-based instead of line-based
};

struct CampaignStats {
  int tried = 0, landed = 0, targeted = 0, line_based = 0, time_based = 0, reruns = 0, no_tx_window = 0;
  std::map<std::string, int> where;   // classify() -> count
  std::vector<std::string> kills;     // one line per kill point
  long total_lines = 0, lag_lines = 0;
  double seconds = 0, reference_s = 0, runs_s = 0, checks_s = 0, reruns_s = 0;
};

inline double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::atoi(v);
}

// The schema without the named index (for a kill inside the transaction: false revision).
inline model::Schema without_index(model::Schema s, const std::string& table,
                                   const std::string& index) {
  if (auto* t = s.find_table(table)) {
    std::erase_if(t->indexes, [&](const model::Index& ix) { return ix.name == index; });
  }
  return s;
}

// A short account of how two snapshots differ, for the failure message.
inline std::string difference(const Snapshot& live, const Snapshot& want) {
  std::ostringstream o;
  for (const auto& [name, t] : want.schema.tables) {
    const model::Table* l = live.schema.find_table(name);
    if (!l) {
      o << "table " << name << " missing\n";
    } else if (!(*l == t)) {
      model::Schema a, b;
      a.tables[name] = *l;
      b.tables[name] = t;
      o << "table " << name << " differs:\n--- live\n"
        << emitters::write_models(a) << "--- reference\n"
        << emitters::write_models(b);
    }
  }
  for (const auto& [name, t] : live.schema.tables)
    if (!want.schema.find_table(name)) o << "extra table " << name << "\n";
  for (const auto& [name, rows] : want.rows) {
    auto it = live.rows.find(name);
    const size_t have = it == live.rows.end() ? 0 : it->second.size();
    if (have != rows.size())
      o << "table " << name << ": " << have << " rows, reference " << rows.size() << "\n";
    else if (it->second != rows)
      o << "table " << name << ": same row count, different contents\n";
  }
  return o.str();
}

// Checks the main database (or the rerun copy) after a kill: the version table names one
// revision X of the history (or none), the schema and every row equal the reference at X,
// and the dialect's integrity checks are clean. Returns X ("" = nothing applied).
inline std::string check_state(db::Connection& conn, Backend& backend, Reference& ref,
                               const History& history, CampaignStats& stats,
                               const std::string& context, bool expect_head = false) {
  INFO(context);
  auto rows = db::read_rows(conn, kVersionTable);
  REQUIRE_MESSAGE(rows.has_value(), (rows ? "" : describe(rows.error())));
  REQUIRE_MESSAGE(rows->size() <= 1, "the version table has " << rows->size() << " rows");
  const std::string at = rows->empty() ? "" : *rows->begin();
  if (expect_head) REQUIRE(at == ref.order.back());
  const Snapshot& want = expect_head ? ref.final_state : ref.at(at);
  auto live = snapshot(conn);
  REQUIRE_MESSAGE(live.has_value(), (live ? "" : describe(live.error())));
  bool no_tx_window = false;
  if (!(live->schema == want.schema) && !history.no_transaction_id.empty()) {
    // A kill inside the transaction: false revision N: its ops are not atomic (documented),
    // so with the version table still at N's parent the index it builds may exist, valid or
    // invalid. Everything else must still match exactly.
    auto n = std::find(ref.order.begin(), ref.order.end(), history.no_transaction_id);
    const bool at_parent = n != ref.order.begin() && n != ref.order.end() && *(n - 1) == at;
    if (at_parent &&
        without_index(live->schema, history.no_transaction_table, history.no_transaction_index) ==
            want.schema) {
      no_tx_window = true;
      ++stats.no_tx_window;
      stats.kills.push_back("  (the kill above left the transaction: false revision half-done)");
    }
  }
  CHECK_MESSAGE((no_tx_window || live->schema == want.schema),
                "at \"" << at << "\" the schema differs from a clean upgrade to it:\n"
                        << difference(*live, want));
  CHECK_MESSAGE(live->rows == want.rows,
                "at \"" << at << "\" rows differ from a clean upgrade to it:\n"
                        << difference(*live, want));
  const auto problems = backend.problems(conn, no_tx_window);
  for (const auto& p : problems) CHECK_MESSAGE(false, "at \"" << at << "\": " << p);
  return at;
}

// The campaign: a chain of `upgrade head -v` runs, each SIGKILLed at the next kill point (the
// points spread over the whole migration), each kill followed by the checks above and, every
// `rerun_every` kills, a run of `upgrade head` to completion on a copy of the killed database
// that must reach the final reference exactly. The chain ends with a run that completes.
inline CampaignStats run_campaign(Backend& backend, const History& history,
                                  const CampaignOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CampaignStats stats;
  Reference ref(backend.open_reference(), backend.open_walker(), backend.dir() / "versions");
  stats.reference_s = since(start);
  REQUIRE(ref.order.size() == history.ids.size());
  stats.total_lines = ref.log_lines;
  const std::vector<std::string> args{"upgrade", "head", "-v"};

  // Kill points: positions in the log of one uninterrupted run, spread over all of it with a
  // deterministic jitter; a resumed run restarts its count, so each run is killed after the
  // gap to the next point.
  const int points = std::max(1, options.kill_points);
  std::vector<long> position;
  unsigned seed = 12345;
  auto next_random = [&] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % 1000u;
  };
  for (int i = 0; i < points; ++i) {
    const double slot = static_cast<double>(ref.log_lines) / points;
    long p = static_cast<long>(slot * i + slot * static_cast<double>(next_random()) / 1000.0);
    position.push_back(std::max(1L, p));
  }
  position[0] = 1;  // the very first line: before anything ran
  double seconds_per_line = 0;
  long previous = 0;
  size_t next_target = 0;
  for (int i = 0; i < points; ++i) {
    const long gap = std::max(1L, position[static_cast<size_t>(i)] - previous);
    previous = position[static_cast<size_t>(i)];
    const bool by_time =
        options.time_kill_every > 0 && i % options.time_kill_every == options.time_kill_every - 1 &&
        seconds_per_line > 0;
    const double delay = by_time ? seconds_per_line * static_cast<double>(gap) *
                                       (0.5 + static_cast<double>(next_random()) / 1000.0)
                                 : 0;
    const auto run_start = std::chrono::steady_clock::now();
    const std::string target =
        next_target < options.targets.size() ? options.targets[next_target] : "";
    RunOutcome run = run_tool(backend.dir(), args, by_time ? 0 : gap, delay, target);
    if (run.by_text) {
      ++next_target;
      ++stats.targeted;
    }
    const double took = since(run_start);
    stats.runs_s += took;
    const long written = count_lines(run.log);
    if (written > 1)
      seconds_per_line = (took - run.first_line_s) / static_cast<double>(written);
    ++stats.tried;
    (by_time ? stats.time_based : stats.line_based)++;
    std::ostringstream context;
    context << "kill point " << i + 1 << "/" << points << " ("
            << (by_time ? "after " + std::to_string(delay) + " s"
                        : "at log line " + std::to_string(gap))
            << (run.by_text ? ", at \"" + target + "\"" : "")
            << " of this run)";
    if (!run.killed) {
      // It finished first (the end of the history came before the point): it must succeed.
      INFO(context.str() << "\n" << run.log);
      REQUIRE(run.status == 0);
      break;
    }
    ++stats.landed;
    std::string line = log_line(run.log, std::max(1L, run.lines_at_kill));
    if (line.empty() && run.lines_at_kill > 1) {
      // Killed between writing a line's prefix and its text: just after the line before.
      line = log_line(run.log, run.lines_at_kill - 1);
    }
    stats.where[run.by_text ? "at a targeted statement: " + target.substr(0, 40)
                            : classify(line)]++;
    stats.lag_lines += std::max(0L, written - run.lines_at_kill);
    context << ": the line begun was \"" << line.substr(0, 120) << "\"; " << written
            << " lines were written before it died";
    stats.kills.push_back("  " + std::to_string(i + 1) + ": " +
                          (run.by_text ? "at \"" + target + "\""
                           : by_time   ? "after " + std::to_string(delay) + " s"
                                       : "at line " + std::to_string(gap)) +
                          ", landed " + classify(line) + ": " + line.substr(0, 70));
    const auto check_start = std::chrono::steady_clock::now();
    backend.settle();
    std::string at;
    {
      auto conn = backend.open_main();
      at = check_state(*conn, backend, ref, history, stats, context.str());
    }
    stats.kills.back() += " -> at " + (at.empty() ? std::string("<base>") : at);
    stats.checks_s += since(check_start);
    if (options.rerun_every > 0 && stats.landed % options.rerun_every == 0) {
      // A rerun of `upgrade head` from exactly this state completes and reaches head.
      const auto rerun_start = std::chrono::steady_clock::now();
      backend.make_rerun_copy();
      RunOutcome rerun = run_tool(backend.dir() / "rerun", {"upgrade", "head"}, 0, 0);
      INFO(context.str() << "\nrerun from \"" << at << "\":\n" << rerun.log);
      CHECK(rerun.status == 0);
      {
        auto conn = backend.open_rerun();
        CampaignStats ignore;
        (void)check_state(*conn, backend, ref, history, ignore,
                          context.str() + "; after the rerun", true);
      }
      backend.drop_rerun();
      ++stats.reruns;
      stats.reruns_s += since(rerun_start);
    }
  }
  // The chain ends with an uninterrupted run, which must complete at head.
  RunOutcome last = run_tool(backend.dir(), args, 0, 0);
  INFO(last.log);
  REQUIRE(last.status == 0);
  backend.settle();
  {
    auto conn = backend.open_main();
    (void)check_state(*conn, backend, ref, history, stats, "after the last run", true);
  }
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

inline void report(const std::string& dialect, const History& history, const CampaignStats& s) {
  std::ostringstream o;
  o << "crash campaign (" << dialect << "): " << history.ids.size() << " revisions, "
    << s.total_lines << " log lines per full run; " << s.tried << " kill points tried, "
    << s.landed << " landed (" << s.line_based << " line-based of which " << s.targeted
    << " on a targeted statement, " << s.time_based << " time-based), " << s.reruns << " reruns to head from a killed state";
  if (!history.no_transaction_id.empty())
    o << ", " << s.no_tx_window << " left the transaction: false revision half-done";
  o << "; lines written after the signal: " << s.lag_lines << " in all; " << s.seconds
    << " s (reference " << s.reference_s << " s, killed runs " << s.runs_s << " s, checks "
    << s.checks_s << " s, reruns " << s.reruns_s << " s)\n";
  for (const auto& [where, n] : s.where) o << "  " << n << " x " << where << "\n";
  o << "kill points:\n";
  for (const auto& k : s.kills) o << k << "\n";
  MESSAGE(o.str());
}

}  // namespace distil::testing::crash
