// Default constraint and index names (DESIGN §4): the same model gives the same names on
// every run, platform and dialect, so the differ can compare them with ==.
#include "model/names.hpp"

#include <cstdio>

namespace distil::model {

namespace {

// Appends `part`, turning every byte that is not a letter, digit, "_" or part of a UTF-8
// character into "_" (once per run), so expression columns such as lower(email) still
// give a usable identifier.
void append_part(std::string& out, std::string_view part) {
  bool in_junk = false;
  for (char c : part) {
    const auto byte = static_cast<unsigned char>(c);
    const bool keep = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                      (byte >= '0' && byte <= '9') || byte == '_' || byte >= 0x80;
    if (keep) {
      out += c;
      in_junk = false;
    } else if (!in_junk) {
      out += '_';
      in_junk = true;
    }
  }
  while (!out.empty() && out.back() == '_' && in_junk) {  // "lower(email)" -> "lower_email"
    out.pop_back();
    in_junk = false;
  }
}

std::string join_name(std::string_view prefix, std::string_view table,
                      const std::vector<std::string>& columns) {
  std::string name{prefix};
  name += '_';
  name += table;
  for (const std::string& column : columns) {
    name += '_';
    append_part(name, column);
  }
  return fit_identifier(name);
}

}  // namespace

std::uint32_t fnv1a32(std::string_view text) {
  std::uint32_t hash = 2166136261U;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619U;
  }
  return hash;
}

std::string fit_identifier(std::string_view name) {
  if (name.size() <= kMaxIdentifierBytes) return std::string(name);
  constexpr std::size_t kSuffixBytes = 9;  // "_" + 8 hex digits
  std::size_t cut = kMaxIdentifierBytes - kSuffixBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0U) == 0x80U) --cut;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(fnv1a32(name)));
  std::string out(name.substr(0, cut));
  out += '_';
  out += hex;
  return out;
}

std::string primary_key_name(std::string_view table) {
  return fit_identifier("pk_" + std::string(table));
}

std::string unique_name(std::string_view table, const std::vector<std::string>& columns) {
  return join_name("uq", table, columns);
}

std::string index_name(std::string_view table, const std::vector<std::string>& columns) {
  return join_name("ix", table, columns);
}

std::string foreign_key_name(std::string_view table, const std::vector<std::string>& columns,
                             std::string_view ref_table) {
  std::vector<std::string> parts = columns;
  parts.emplace_back(ref_table);
  return join_name("fk", table, parts);
}

std::string check_name(std::string_view table, int n) {
  return fit_identifier("ck_" + std::string(table) + "_" + std::to_string(n));
}

}  // namespace distil::model
