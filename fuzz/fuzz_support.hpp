// Shared by the fuzz targets: the invariants every parser owes a rejected input. A broken
// invariant aborts, which libFuzzer reports as a crash with the input that caused it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/result.hpp"

namespace distil::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void broken(const char* what, const model::Error& error) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n  error: %s\n", what,
               model::format_error(error).c_str());
  std::abort();
}

[[noreturn]] inline void broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n  %s\n", what, detail.c_str());
  std::abort();
}

// More than one line with something on it: an error must then say which line.
inline bool is_multi_line(std::string_view text) {
  size_t nl = text.find('\n');
  return nl != std::string_view::npos &&
         text.find_first_not_of(" \t\r\n", nl) != std::string_view::npos;
}

inline int line_count(std::string_view text) {
  return 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// Every rejected input gets a message. With `file`, the error names that file and, for a
// multi-line input, a line within it.
inline void check_rejection(const model::Error& error, std::string_view input,
                            std::string_view file = {}) {
  if (error.message.empty()) broken("rejected input without a message", error);
  if (file.empty()) return;
  if (error.where.file != file) broken("error does not name the file", error);
  if (is_multi_line(input) && (error.where.line < 1 || error.where.line > line_count(input)))
    broken("error on a multi-line input has no line within it", error);
}

}  // namespace distil::fuzz
