// Runs the built binary with stdout and/or stderr on a pseudo-terminal (openpty), the way
// an operator's terminal sees it, and the other stream in a file: the tty tests compare
// what a terminal receives with what a pipe receives.
#pragma once

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/cli_harness.hpp"

namespace distil::testing {

struct PtyResult {
  int status = -1;
  std::string tty;     // what the terminal received (the streams on it)
  std::string piped;   // the other stream (empty when both are on the terminal)
};

enum class OnTty { stdout_only, stderr_only };

// Runs `distil-db-manage --config-file distil.conf ARGS...` in `dir` with `which` stream on
// a 100-column pseudo-terminal. TERM=xterm and NO_COLOR unset unless `env` says otherwise
// (a value of nullopt unsets).
inline PtyResult run_on_pty(const std::filesystem::path& dir, const std::vector<std::string>& args,
                            OnTty which,
                            const std::map<std::string, std::optional<std::string>>& env = {}) {
  int master = -1, slave = -1;
  winsize ws{};
  ws.ws_row = 40;
  ws.ws_col = 100;
  PtyResult r;
  if (::openpty(&master, &slave, nullptr, nullptr, &ws) != 0) return r;
  std::string bin = std::string(DISTIL_BINARY_DIR) + "/distil-db-manage";
  std::filesystem::path piped = dir / "piped.txt";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    int file = ::open(piped.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(which == OnTty::stdout_only ? slave : file, 1);
    ::dup2(which == OnTty::stderr_only ? slave : file, 2);
    ::close(master);
    ::close(slave);
    ::close(file);
    ::setenv("TERM", "xterm", 1);
    ::unsetenv("NO_COLOR");
    for (const auto& [key, value] : env) {
      if (value) {
        ::setenv(key.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(key.c_str());
      }
    }
    std::vector<std::string> all{bin, "--config-file", "distil.conf"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(slave);
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      r.tty.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO: every slave descriptor is closed (the child exited)
    }
  }
  ::close(master);
  int raw = 0;
  ::waitpid(pid, &raw, 0);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.piped = read_text(piped);
  return r;
}

// The text with every ANSI escape sequence (ESC [ ... final byte) removed and the
// terminal's "\r\n" (the pty's output processing) turned back into "\n".
inline std::string strip_ansi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

// The lines a terminal shows at the end: "\r" returns to column 0, ESC[2K erases the
// line, other escape codes (colours) take no room. Enough of a terminal for one-line
// redraws; the cursor never moves up.
inline std::vector<std::string> screen_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  size_t col = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= '@' && text[j] <= '~')) ++j;
      if (j < text.size() && text[j] == 'K' && text.compare(i + 2, j - i - 2, "2") == 0) line.clear();
      i = j;
      continue;
    }
    if (c == '\r') {
      col = 0;
    } else if (c == '\n') {
      lines.push_back(line);
      line.clear();
      col = 0;
    } else {
      if (col < line.size()) {
        line[col] = c;
      } else {
        line += c;
      }
      ++col;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace distil::testing
