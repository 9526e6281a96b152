// Terminal awareness.
#include "cli/support/tty.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace distil::cli::tty {

namespace {
ColourMode g_mode = ColourMode::automatic;

std::string_view code(Style style) {
  switch (style) {
    case Style::bold: return "\x1b[1m";
    case Style::dim: return "\x1b[2m";
    case Style::red: return "\x1b[31m";
    case Style::green: return "\x1b[32m";
    case Style::yellow: return "\x1b[33m";
    case Style::blue: return "\x1b[34m";
    case Style::magenta: return "\x1b[35m";
    case Style::cyan: return "\x1b[36m";
  }
  return "";
}
}  // namespace

void set_colour_mode(ColourMode mode) { g_mode = mode; }
ColourMode colour_mode() { return g_mode; }

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

bool colour_enabled(int fd) {
  if (g_mode == ColourMode::always) return true;
  if (g_mode == ColourMode::never) return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal(fd);
}

std::string paint(Style style, std::string_view text, bool enabled) {
  if (!enabled) return std::string(text);
  std::string out(code(style));
  out += text;
  out += "\x1b[0m";
  return out;
}

}  // namespace distil::cli::tty
