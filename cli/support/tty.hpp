// Terminal awareness: colour and progress only when a stream is a terminal (and NO_COLOR is
// not set); plain text when piped. `--color always|never` overrides the guess.
#pragma once

#include <string>
#include <string_view>

namespace distil::cli::tty {

enum class ColourMode { automatic, always, never };

// Set once by main() from --color; defaults to automatic.
void set_colour_mode(ColourMode mode);
ColourMode colour_mode();

bool is_terminal(int fd);
// Whether output written to `fd` (1 stdout, 2 stderr) gets ANSI colour.
bool colour_enabled(int fd);

enum class Style { bold, dim, red, green, yellow, blue, magenta, cyan };
// `text` wrapped in the escape codes of `style` when `enabled`, else `text` unchanged.
std::string paint(Style style, std::string_view text, bool enabled);

}  // namespace distil::cli::tty
