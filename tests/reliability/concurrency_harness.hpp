// Concurrent operators (docs/reliability.md, "Concurrency" and "Faults"): start several runs of
// the built binary at once, collect each one's exit status, output and wall time, and check a
// database's event log (every revision's `sql:` marker and every version-table change, in
// commit order) for a revision applied twice. Shared by concurrency_*_test.cpp and fault_*.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace distil::testing::concurrency {

inline constexpr const char* kLockMessage = "database is locked by another migration";

// What a child process gets before exec (all optional).
struct ChildSetup {
  long file_size_limit = -1;  // RLIMIT_FSIZE in bytes (`ulimit -f`), -1 = unchanged
  bool ignore_sigxfsz = false;  // a write past the limit fails with EFBIG instead of killing
  int uid = -1;                 // run as this user (and group `gid`), e.g. 65534 = nobody
  int gid = -1;
  std::filesystem::path output_dir;  // where stdout/stderr files go; empty = the run's folder
};

struct Started {
  pid_t pid = -1;
  std::string what;  // the arguments, for messages
  std::filesystem::path out, err;
  std::chrono::steady_clock::time_point start;
};

struct Finished {
  std::string what;
  int status = -1;  // exit status; -1 when killed by a signal
  int signal = 0;
  bool hung = false;  // still running at the deadline (then SIGKILLed)
  std::string out, err;
  double seconds = 0;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts `distil-db-manage --config-file distil.conf ARGS...` in `dir`; stdout and stderr go
// to files named after `tag` in `dir`.
inline Started start(const std::filesystem::path& dir, const std::vector<std::string>& args,
                     const std::string& tag, const ChildSetup& setup = {}) {
  Started s;
  for (const auto& a : args) s.what += (s.what.empty() ? "" : " ") + a;
  const std::filesystem::path outputs = setup.output_dir.empty() ? dir : setup.output_dir;
  s.out = outputs / ("out-" + tag + "-" + std::to_string(::getpid()) + ".txt");
  s.err = outputs / ("err-" + tag + "-" + std::to_string(::getpid()) + ".txt");
  const std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
  std::vector<std::string> argv_s{bin, "--config-file", "distil.conf"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = s.out.string(), err = s.err.string();
  s.start = std::chrono::steady_clock::now();
  s.pid = ::fork();
  if (s.pid == 0) {
    // The child: only async-signal-safe calls until exec.
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (o < 0 || e < 0) ::_exit(126);
    ::dup2(o, 1);
    ::dup2(e, 2);
    if (setup.ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);
    if (setup.file_size_limit >= 0) {
      const rlimit limit{.rlim_cur = static_cast<rlim_t>(setup.file_size_limit),
                         .rlim_max = static_cast<rlim_t>(setup.file_size_limit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    if (setup.gid >= 0 && ::setgroups(0, nullptr) != 0) ::_exit(126);
    if (setup.gid >= 0 && ::setgid(static_cast<gid_t>(setup.gid)) != 0) ::_exit(126);
    if (setup.uid >= 0 && ::setuid(static_cast<uid_t>(setup.uid)) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  REQUIRE(s.pid > 0);  // in the parent only: the child never returns here
  return s;
}

// Waits for a started run; one still running after `deadline_s` is SIGKILLed and marked hung
// (a bound on "no hang", not a speed assertion).
inline Finished finish(const Started& s, double deadline_s = 120) {
  Finished f;
  f.what = s.what;
  int raw = 0;
  for (;;) {
    const pid_t r = ::waitpid(s.pid, &raw, WNOHANG);
    if (r == s.pid) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count();
    if (elapsed > deadline_s && !f.hung) {
      ::kill(s.pid, SIGKILL);
      f.hung = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count();
  if (WIFEXITED(raw)) f.status = WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) f.signal = WTERMSIG(raw);
  f.out = slurp(s.out);
  f.err = slurp(s.err);
  std::error_code ec;
  std::filesystem::remove(s.out, ec);
  std::filesystem::remove(s.err, ec);
  return f;
}

inline Finished run(const std::filesystem::path& dir, const std::vector<std::string>& args,
                    const ChildSetup& setup = {}) {
  return finish(start(dir, args, "single", setup));
}

// Polls `ready` every 20 ms for up to `seconds`; true once it holds.
template <class Predicate>
bool eventually(Predicate ready, double seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The outcome every concurrent run must have: success, or exit 1 with the lock message.
inline bool acceptable(const Finished& f) {
  return !f.hung && (f.status == 0 || (f.status == 1 && contains(f.err, kLockMessage)));
}

// ---- The history under test and its event log ----------------------------------------------

// A linear history of `n` revisions r1 .. rn with ids "c0c0c0c0000<i>"-style, each of whose
// upgrade inserts the marker ('up', id) into `events` and whose downgrade inserts ('down', id).
// Revisions hold no DDL, so any interleaving of upgrade, downgrade and stamp is valid.
struct History {
  std::vector<std::string> ids;               // in order, ids[0] is the base
  std::map<std::string, std::string> parent;  // id -> parent id ("" for the base)
};

inline std::string revision_id(int i) {
  std::string digits = std::to_string(i);
  return "c0c0c0c0" + std::string(4 - digits.size(), '0') + digits;
}

// Writes the revision files with `add(file, text)`; `extra_upgrade(i)` may add ops (YAML list
// entries) to revision i's upgrade, before its marker.
template <class Add, class Extra>
History write_history(int n, Add add, Extra extra_upgrade) {
  History h;
  for (int i = 1; i <= n; ++i) {
    const std::string id = revision_id(i);
    const std::string down = i == 1 ? "null" : "\"" + revision_id(i - 1) + "\"";
    const std::string marker = "INSERT INTO events (kind, rev) VALUES ('";
    std::string text = "revision: \"" + id + "\"\ndown_revision: " + down +
                       "\nmessage: marker " + std::to_string(i) +
                       "\ncreate_date: 2026-11-26T00:00:00Z\nupgrade:\n" + extra_upgrade(i) +
                       "  - sql: \"" + marker + "up', '" + id + "')\"\n" +
                       "downgrade:\n  - sql: \"" + marker + "down', '" + id + "')\"\n";
    std::string number = std::to_string(i);
    add(std::string(4 - number.size(), '0') + number + "_marker.yaml", text);
    h.parent[id] = i == 1 ? "" : revision_id(i - 1);
    h.ids.push_back(id);
  }
  return h;
}

// Replays the event log (rows "kind|rev" in commit order): 'up'/'down' are revision markers,
// 'ins'/'del' the version-table changes the triggers recorded (stamp's too). Returns "" when
// every upgrade marker ran from a state where its revision was not applied and its parent was
// the head, every downgrade marker ran while its revision was the head, every version change
// is consistent, and the replayed version table equals `rows`; otherwise what went wrong.
inline std::string replay(const History& h, const std::vector<std::string>& events,
                          const std::vector<std::string>& rows) {
  std::set<std::string> heads;
  auto state = [&] {
    std::string s;
    for (const auto& x : heads) s += (s.empty() ? "" : ",") + x;
    return "{" + s + "}";
  };
  size_t n = 0;
  for (const auto& e : events) {
    ++n;
    const size_t bar = e.find('|');
    const std::string kind = e.substr(0, bar), rev = e.substr(bar + 1);
    const std::string at = "event " + std::to_string(n) + " (" + e + ") at " + state() + ": ";
    if (!h.parent.count(rev)) return at + "unknown revision";
    if (kind == "up") {
      const std::string& p = h.parent.at(rev);
      const std::set<std::string> expected =
          p.empty() ? std::set<std::string>{} : std::set<std::string>{p};
      if (heads != expected) return at + "upgrade applied from the wrong state (applied twice?)";
    } else if (kind == "down") {
      if (heads != std::set<std::string>{rev}) return at + "downgrade of a revision not at head";
    } else if (kind == "ins") {
      if (!heads.insert(rev).second) return at + "version row inserted twice";
      if (heads.size() > 1) return at + "two version rows on a linear history";
    } else if (kind == "del") {
      if (!heads.erase(rev)) return at + "version row deleted that was not there";
    } else {
      return at + "unknown event kind";
    }
  }
  std::set<std::string> actual(rows.begin(), rows.end());
  if (actual != heads) return "the version table is not what its events say: replayed " + state();
  return "";
}

// ---- Rounds of concurrent operators --------------------------------------------------------

// The commands one round's operators run: upgrade/downgrade to the ends, one step, or to a
// revision, and stamp; `--lock-timeout 0` for the last operator, so some runs must give up.
inline std::vector<std::vector<std::string>> round_commands(const History& h, int round,
                                                            int operators) {
  std::mt19937 random(static_cast<unsigned>(1000 + round));
  auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
  std::vector<std::vector<std::string>> out;
  for (int i = 0; i < operators; ++i) {
    const std::string some = h.ids[pick(h.ids.size())];
    std::vector<std::vector<std::string>> mix = {
        {"upgrade", "head"}, {"downgrade", "base"}, {"upgrade", "+1"},  {"downgrade", "-1"},
        {"upgrade", some},   {"stamp", some},       {"stamp", "base"},  {"stamp", "head"},
        {"upgrade", "+2"},   {"upgrade", "head"}};
    auto command = mix[pick(mix.size())];
    command.push_back("--lock-timeout");
    command.push_back(i == operators - 1 ? "0" : "60");
    out.push_back(std::move(command));
  }
  return out;
}

// A relative step past head or base is refused, under the lock, before anything runs.
inline bool refused_relative_step(const Finished& f) {
  return f.status == 2 && (contains(f.err, "goes past the head") || contains(f.err, "goes past base"));
}

struct Tally {
  int runs = 0, succeeded = 0, lock_timeouts = 0, refused = 0;
  double longest_s = 0;
};

// Starts every command of the round at once in `dir`, waits for all, and checks each outcome.
inline void run_round(const std::filesystem::path& dir,
                      const std::vector<std::vector<std::string>>& commands, Tally& tally) {
  std::vector<Started> started;
  for (size_t i = 0; i < commands.size(); ++i)
    started.push_back(start(dir, commands[i], "op" + std::to_string(i)));
  for (const auto& s : started) {
    const Finished f = finish(s);
    INFO("operator `" << f.what << "` exit " << f.status << " signal " << f.signal
                      << (f.hung ? " (hung)" : "") << ", stderr:\n"
                      << f.err);
    CHECK((acceptable(f) || refused_relative_step(f)));
    ++tally.runs;
    tally.succeeded += f.status == 0;
    tally.lock_timeouts += f.status == 1;
    tally.refused += f.status == 2;
    tally.longest_s = std::max(tally.longest_s, f.seconds);
  }
}

}  // namespace distil::testing::concurrency
