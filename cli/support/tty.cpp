// Terminal awareness.
#include "cli/support/tty.hpp"

#include <sys/ioctl.h>
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

bool dumb_terminal() {
  const char* term = std::getenv("TERM");
  return term && std::strcmp(term, "dumb") == 0;
}

// A UTF-8 continuation byte (10xxxxxx) does not start a new character.
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }
}  // namespace

void set_colour_mode(ColourMode mode) { g_mode = mode; }
ColourMode colour_mode() { return g_mode; }

std::optional<ColourMode> parse_colour_mode(std::string_view text) {
  if (text == "auto") return ColourMode::automatic;
  if (text == "always") return ColourMode::always;
  if (text == "never") return ColourMode::never;
  return std::nullopt;
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

bool colour_enabled(int fd) {
  if (g_mode == ColourMode::always) return true;
  if (g_mode == ColourMode::never) return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  if (dumb_terminal()) return false;
  return is_terminal(fd);
}

bool supports_cursor(int fd) { return is_terminal(fd) && !dumb_terminal(); }

std::size_t width(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string paint(Style style, std::string_view text, bool enabled) {
  if (!enabled) return std::string(text);
  std::string out(code(style));
  out += text;
  out += "\x1b[0m";
  return out;
}

std::string paint_lines(Style style, std::string_view text, bool enabled) {
  if (!enabled) return std::string(text);
  std::string out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty()) out += paint(style, line, true);
    if (nl == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::size_t length(std::string_view text) {
  std::size_t chars = 0;
  for (char c : text) chars += !continuation(c);
  return chars;
}

std::string fit(std::string_view text, std::size_t columns) {
  if (length(text) <= columns) return std::string(text);
  if (columns == 0) return "";
  std::string out;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!continuation(text[i]) && ++kept == columns) break;  // room for the ellipsis only
    out += text[i];
  }
  return out + "\u2026";
}

}  // namespace distil::cli::tty
