// Terminal awareness: colour and progress only when a stream is a terminal (and NO_COLOR is
// not set); plain text when piped. `--color always|never` overrides the guess.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace distil::cli::tty {

enum class ColourMode { automatic, always, never };

// Set once by main() from --color; defaults to automatic.
void set_colour_mode(ColourMode mode);
ColourMode colour_mode();
// "auto", "always", "never" (the --color values); nullopt for anything else.
std::optional<ColourMode> parse_colour_mode(std::string_view text);

bool is_terminal(int fd);
// Whether output written to `fd` (1 stdout, 2 stderr) gets ANSI colour: --color always/never
// decide; otherwise not when NO_COLOR is set (https://no-color.org) or TERM is "dumb", else
// iff `fd` is a terminal.
bool colour_enabled(int fd);
// Whether `fd` is a terminal that understands cursor control (\r and "clear line"): a tty
// whose TERM is not "dumb". Independent of colour (NO_COLOR does not turn progress off).
bool supports_cursor(int fd);
// Columns of the terminal on `fd`; 80 when unknown.
std::size_t width(int fd);

enum class Style { bold, dim, red, green, yellow, blue, magenta, cyan };
// `text` wrapped in the escape codes of `style` when `enabled`, else `text` unchanged.
std::string paint(Style style, std::string_view text, bool enabled);
// Like paint, but each line is wrapped on its own (so a pager shows every line coloured);
// line ends stay outside the escape codes.
std::string paint_lines(Style style, std::string_view text, bool enabled);

// "\r" + erase the whole line: the cursor is back at column 0 of an empty line.
inline constexpr std::string_view kClearLine = "\r\x1b[2K";

// Characters of `text` (UTF-8 code points).
std::size_t length(std::string_view text);
// `text` cut to at most `columns` characters (UTF-8 code points, as a terminal counts them
// for most text), with "…" as the last one when cut.
std::string fit(std::string_view text, std::size_t columns);

}  // namespace distil::cli::tty
